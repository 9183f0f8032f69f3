// Per-feature standardisation z = (x − mean) / scale, fitted on the training part only so that no
// statistic of the validation or test part leaks into the model. Stored in the checkpoint config.
using System.Globalization;
using System.Text.Json.Nodes;

namespace Recurrent.Data;

/// <summary>Standard scaling per feature (scikit-learn's StandardScaler: population std, constant
/// features get scale 1). Serialises to <c>{"type":"standard","mean":[…],"scale":[…]}</c>.</summary>
public sealed class StandardScaler
{
    /// <summary>A scaler with given statistics.</summary>
    /// <exception cref="ArgumentException">Lengths differ, or a value is not finite, or a scale is not positive.</exception>
    public StandardScaler(double[] mean, double[] scale)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(scale);
        if (mean.Length != scale.Length || mean.Length == 0)
            throw new ArgumentException($"StandardScaler: {mean.Length} means and {scale.Length} scales.");
        for (int f = 0; f < mean.Length; f++)
            if (!double.IsFinite(mean[f]) || !double.IsFinite(scale[f]) || scale[f] <= 0)
                throw new ArgumentException($"StandardScaler: feature {f} has mean {mean[f]} and scale {scale[f]} (need finite, scale > 0).");
        Mean = (double[])mean.Clone();
        Scale = (double[])scale.Clone();
    }

    /// <summary>Per-feature means.</summary>
    public double[] Mean { get; }

    /// <summary>Per-feature standard deviations (1 where a feature is constant).</summary>
    public double[] Scale { get; }

    /// <summary>Number of features.</summary>
    public int Features => Mean.Length;

    /// <summary>Fits on rows [<paramref name="start"/>, <paramref name="end"/>) of a row-major [N, F] matrix.</summary>
    /// <exception cref="ArgumentException">The row range is empty or outside the data.</exception>
    public static StandardScaler Fit(ReadOnlySpan<double> data, int features, int start, int end)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        int rows = data.Length / features;
        if (start < 0 || end > rows || end <= start)
            throw new ArgumentException($"StandardScaler: fit rows [{start}, {end}) are empty or outside the {rows} rows.");
        var mean = new double[features];
        var scale = new double[features];
        int n = end - start;
        for (int f = 0; f < features; f++)
        {
            double s = 0;
            for (int r = start; r < end; r++) s += data[r * features + f];
            double m = s / n, v = 0;
            for (int r = start; r < end; r++) { double d = data[r * features + f] - m; v += d * d; }
            double sd = Math.Sqrt(v / n);
            mean[f] = m;
            scale[f] = sd > 1e-12 * Math.Max(1, Math.Abs(m)) ? sd : 1.0;
        }
        return new StandardScaler(mean, scale);
    }

    /// <summary>Scales a row-major [N, F] matrix into float (the model's element type).</summary>
    public float[] Transform(ReadOnlySpan<double> data)
    {
        var z = new float[data.Length];
        for (int i = 0; i < data.Length; i++) z[i] = (float)Transform(data[i], i % Features);
        return z;
    }

    /// <summary>z = (x − mean[f]) / scale[f].</summary>
    public double Transform(double x, int feature) => (x - Mean[feature]) / Scale[feature];

    /// <summary>x = z·scale[f] + mean[f].</summary>
    public double Inverse(double z, int feature) => z * Scale[feature] + Mean[feature];

    /// <summary>The JSON form stored in a checkpoint's config.</summary>
    public JsonObject ToJson() => new()
    {
        ["type"] = "standard",
        ["mean"] = new JsonArray(Mean.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
        ["scale"] = new JsonArray(Scale.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
    };

    /// <summary>Reads the JSON form.</summary>
    /// <exception cref="InvalidDataException">The node is not a valid standard scaler.</exception>
    public static StandardScaler FromJson(JsonNode? node)
    {
        if (node is not JsonObject o || (string?)o["type"] != "standard")
            throw new InvalidDataException("config: 'scaler' must be an object with \"type\": \"standard\".");
        double[] Read(string key)
        {
            if (o[key] is not JsonArray a) throw new InvalidDataException($"config: scaler.{key} must be an array of numbers.");
            try { return a.Select(v => v!.GetValue<double>()).ToArray(); }
            catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
            { throw new InvalidDataException($"config: scaler.{key} must be an array of numbers."); }
        }
        try { return new StandardScaler(Read("mean"), Read("scale")); }
        catch (ArgumentException e) { throw new InvalidDataException("config: " + e.Message); }
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join(", ", Mean.Select((m, f) => string.Create(CultureInfo.InvariantCulture, $"({m:G4} ± {Scale[f]:G4})")));
}
