// Small pieces shared by the forecasting and classification verbs: parsing list options, writing
// metrics files, turning library argument errors into one-line user errors.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Recurrent.IO;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

/// <summary>Helpers for the forecast/classify verbs.</summary>
internal static class TaskCliHelpers
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>"a,b, c" → ["a", "b", "c"] (empty entries dropped).</summary>
    public static string[] SplitList(string? value)
        => value is null ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Parses "0.6,0.2" into (train, validation) fractions.</summary>
    /// <exception cref="UsageException">Not two numbers that leave a test part.</exception>
    public static (double Train, double Val) ParseSplit(string value)
    {
        var parts = SplitList(value);
        if (parts.Length != 2 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double t)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            || !(t > 0) || !(v >= 0) || !(t + v < 1))
            throw new UsageException($"--split '{value}' must be two fractions TRAIN,VALIDATION with TRAIN > 0 and TRAIN + VALIDATION < 1 (e.g. 0.6,0.2).");
        return (t, v);
    }

    /// <summary>Parses "1,4,16,64".</summary>
    public static int[] ParseSteps(string value)
    {
        var parts = SplitList(value);
        var steps = new List<int>();
        foreach (var p in parts)
        {
            if (!int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int k) || k < 1 || k > 100_000)
                throw new UsageException($"--steps '{value}': '{p}' is not a step count between 1 and 100000.");
            steps.Add(k);
        }
        if (steps.Count == 0) throw new UsageException("--steps needs at least one step count (e.g. 1,4,16,64).");
        return steps.Distinct().OrderBy(k => k).ToArray();
    }

    /// <summary>The training options from the parsed values, with a usage error for bad ones.</summary>
    public static TrainingOptions Options(int epochs, int batch, double lr, double clip, int patience, double weightDecay = 0, bool cosine = false, double average = 0)
    {
        var o = new TrainingOptions { Epochs = epochs, BatchSize = batch, LearningRate = lr, ClipNorm = clip, Patience = patience, WeightDecay = weightDecay, CosineDecay = cosine, AverageDecay = average };
        try { o.Validate(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        return o;
    }

    /// <summary>Creates the output directory (one clear error when that is impossible).</summary>
    public static void EnsureDirectory(string dir)
    {
        if (File.Exists(dir)) throw new UserErrorException($"--out {dir}: is a file, expected a directory.");
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new UserErrorException($"--out {dir}: cannot create the directory ({e.Message})."); }
    }

    /// <summary>Writes metrics.json atomically.</summary>
    public static void WriteJson(string path, JsonObject o) => AtomicFile.WriteAllText(path, o.ToJsonString(Json) + "\n");

    /// <summary>Writes the per-epoch history as metrics.csv.</summary>
    public static void WriteHistory(string path, IReadOnlyList<EpochReport> history, string scoreName)
    {
        var sb = new StringBuilder($"epoch,train_loss,val_loss,{scoreName},grad_norm,seconds,best\n");
        foreach (var e in history)
            sb.Append(CultureInfo.InvariantCulture, $"{e.Epoch},{F(e.TrainLoss)},{F(e.ValidationLoss)},{F(e.ValidationScore)},{F(e.MeanGradNorm)},{e.Seconds:0.###},{(e.Best ? 1 : 0)}\n");
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>Invariant "G6" formatting; empty for NaN.</summary>
    public static string F(double v) => double.IsFinite(v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "";

    /// <summary>A number for a text table: fixed 4 decimals, "–" when undefined.</summary>
    public static string T(double v, int width = 9) => (double.IsFinite(v) ? v.ToString(Math.Abs(v) >= 1e4 ? "0.###E+0" : "0.0000", CultureInfo.InvariantCulture) : "–").PadLeft(width);

    /// <summary>A JSON number, or null for NaN/∞.</summary>
    public static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}
