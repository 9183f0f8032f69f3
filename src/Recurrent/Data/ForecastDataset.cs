// A forecasting data set ready for windows: the raw [N, F] values (target in column 0), the chronological
// split, and the scaler fitted on the training rows only. Size checks happen here, with messages in the
// user's terms (rows, --lookback, --horizon).
namespace Recurrent.Data;

/// <summary>Raw and scaled values of a (multivariate) series; feature 0 is the target.</summary>
public sealed class ForecastDataset
{
    private ForecastDataset(string source, string[] names, double[] raw, ChronologicalSplit split, StandardScaler scaler)
    {
        Source = source;
        Names = names;
        Raw = raw;
        Split = split;
        Scaler = scaler;
        Scaled = scaler.Transform(raw);
        Target = new double[Rows];
        for (int r = 0; r < Rows; r++) Target[r] = raw[r * Features];
    }

    /// <summary>Names the data in messages (file name or "built-in sine").</summary>
    public string Source { get; }
    /// <summary>Feature names, the target first.</summary>
    public IReadOnlyList<string> Names { get; }
    /// <summary>F.</summary>
    public int Features => Names.Count;
    /// <summary>N.</summary>
    public int Rows => Raw.Length / Features;
    /// <summary>Row-major [N, F] raw values.</summary>
    public double[] Raw { get; }
    /// <summary>Row-major [N, F] standardised values (float, the model's input).</summary>
    public float[] Scaled { get; }
    /// <summary>The raw target column [N].</summary>
    public double[] Target { get; }
    /// <summary>The chronological parts.</summary>
    public ChronologicalSplit Split { get; }
    /// <summary>Fitted on <see cref="Split"/>.Train only.</summary>
    public StandardScaler Scaler { get; }

    /// <summary>Splits and scales (fitting on the training part; or using <paramref name="scaler"/> when given, e.g. a trained model's).</summary>
    /// <exception cref="ArgumentException">names and values disagree.</exception>
    public static ForecastDataset Create(string source, string[] names, double[] raw, ChronologicalSplit split, StandardScaler? scaler = null)
    {
        if (names.Length == 0 || raw.Length % names.Length != 0 || raw.Length / names.Length != split.Count)
            throw new ArgumentException($"ForecastDataset: {raw.Length} values do not form {split.Count} rows of {names.Length} features.");
        if (split.TrainEnd < 1) throw new InvalidDataException($"{source}: {split.Count} rows leave no training part.");
        scaler ??= StandardScaler.Fit(raw, names.Length, 0, split.TrainEnd);
        if (scaler.Features != names.Length) throw new InvalidDataException($"{source}: the scaler has {scaler.Features} features, the data {names.Length}.");
        return new ForecastDataset(source, names, raw, split, scaler);
    }

    /// <summary>Reads the target (and extra feature) columns of a CSV table as a row-major [N, F] matrix.</summary>
    /// <exception cref="InvalidDataException">A column is missing, a cell is empty, not a number, NaN or infinite.</exception>
    public static (string[] Names, double[] Values) ReadColumns(CsvTable table, string target, IReadOnlyList<string> features)
    {
        var names = new List<string> { target };
        foreach (var f in features) if (!names.Contains(f)) names.Add(f);
        var columns = names.Select(table.Numeric).ToArray();
        int n = table.RowCount, F = names.Count;
        var values = new double[n * F];
        for (int r = 0; r < n; r++)
            for (int f = 0; f < F; f++) values[r * F + f] = columns[f][r];
        return (names.ToArray(), values);
    }

    /// <summary>Checks that every part has at least one window of W inputs and K targets.</summary>
    /// <exception cref="InvalidDataException">Too few rows; the message says how many are needed.</exception>
    public void CheckSize(int lookback, int horizon)
    {
        int need = lookback + horizon;
        var (_, trainEnd) = Split.Train;
        var (vs, ve) = Split.Validation;
        var (ts, te) = Split.Test;
        if (Rows < need)
            throw new InvalidDataException($"{Source}: {Rows} rows are fewer than --lookback {lookback} + --horizon {horizon} = {need}.");
        if (trainEnd < need)
            throw new InvalidDataException($"{Source}: the training part has {trainEnd} rows ({Rows} in all), fewer than --lookback {lookback} + --horizon {horizon} = {need}; use more rows or a shorter lookback/horizon.");
        if (ve - vs > 0 && ve - vs < horizon)
            throw new InvalidDataException($"{Source}: the validation part has {ve - vs} rows, fewer than --horizon {horizon}; use more rows or a shorter horizon.");
        if (te - ts < horizon)
            throw new InvalidDataException($"{Source}: the test part has {te - ts} rows, fewer than --horizon {horizon}; use more rows or a shorter horizon.");
    }

    /// <summary>The windows whose targets lie in rows [from, to).</summary>
    public WindowSet Windows(int lookback, int horizon, (int From, int To) part)
        => SlidingWindows.Build(Scaled, Features, 0, lookback, horizon, part.From, part.To);

    /// <summary>Back to the target's original units.</summary>
    public double Unscale(float z) => Scaler.Inverse(z, 0);
}
