using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Recurrent.Tests.Cli;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Tasks;

/// <summary>End-to-end runs of `recurrent train` / `train forecast` / `forecast` with tiny settings.</summary>
public class ForecastCliTests
{
    // Small and fast: a short lookback, a few hidden units, two epochs.
    private static readonly string[] Tiny = ["--lookback", "8", "--hidden", "4", "--epochs", "2", "-q"];

    /// <summary>A daily series with a weekly cycle, a second feature and a date column.</summary>
    private static string WriteSeries(TempDir dir, int rows = 160, string name = "energy.csv")
    {
        var sb = new StringBuilder("date,load,temp\n");
        var start = new DateTime(2024, 1, 1);
        for (int t = 0; t < rows; t++)
            sb.Append(CultureInfo.InvariantCulture, $"{start.AddDays(t):yyyy-MM-dd},{10 + 3 * Math.Sin(2 * Math.PI * t / 7) + 0.01 * t:0.###},{5 + Math.Cos(t / 10.0):0.###}\n");
        string path = dir.File(name);
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    [Fact]
    public void TrainWithoutArgumentsTrainsTheSineForecasterAndWritesEverything()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run(["train", "--out", dir.Path, .. Tiny]).AssertOk();
        Assert.Contains("naive (last value)", r.Stdout);
        Assert.Contains("k-step-ahead MSE", r.Stdout);
        foreach (var f in new[] { "config.json", "model.safetensors", "metrics.json", "metrics.csv", "test_predictions.csv", "forecast.svg", "kstep.svg", "loss.svg" })
            Assert.True(File.Exists(dir.File(f)), f);
        var m = JsonNode.Parse(File.ReadAllText(dir.File("metrics.json")))!.AsObject();
        foreach (var key in new[] { "test_mse_1step", "test_rmse_1step", "test_mae_1step", "naive_rmse_1step", "test_mape_1step", "test_mase_1step", "clean_signal_mse_1step" })
            Assert.True(m[key]!.GetValue<double>() > 0, key);
        Assert.Equal(["1", "4", "16", "64"], m["test_mse_kstep"]!.AsObject().Select(p => p.Key));
        Assert.Equal(200, m["test_points_1step"]!.GetValue<int>());
        Assert.Equal(Math.Sqrt(m["test_mse_1step"]!.GetValue<double>()), m["test_rmse_1step"]!.GetValue<double>(), 9);
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        Assert.Equal("forecast", config["task"]!.GetValue<string>());
        Assert.Equal("GRU", config["model"]!["rnn"]!["mode"]!.GetValue<string>());
        Assert.Equal("standard", config["scaler"]!["type"]!.GetValue<string>());
        Assert.StartsWith("<svg", File.ReadAllText(dir.File("kstep.svg")));
    }

    [Fact]
    public void SameSeedSameMetrics()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        CliRunner.Run(["train", "--out", a.Path, "--seed", "7", .. Tiny]).AssertOk();
        CliRunner.Run(["train", "--out", b.Path, "--seed", "7", .. Tiny]).AssertOk();
        Assert.Equal(File.ReadAllText(a.File("test_predictions.csv")), File.ReadAllText(b.File("test_predictions.csv")));
    }

    [Fact]
    public void MultivariateCsvTrainForecastAndBacktest()
    {
        using var dir = new TempDir();
        string csv = WriteSeries(dir);
        string model = dir.File("model");
        var r = CliRunner.Run(["train", "forecast", "--csv", csv, "--target", "load", "--features", "temp", "--time", "date",
            "--horizon", "3", "--season", "7", "--cell", "gru", "--out", model, .. Tiny]).AssertOk();
        Assert.Contains("seasonal naive (S=7)", r.Stdout);
        var m = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "metrics.json")))!.AsObject();
        Assert.True(m.ContainsKey("seasonal_naive_mse_1step"));
        Assert.Equal(["1"], m["test_mse_kstep"]!.AsObject().Select(p => p.Key));   // extra features: only k ≤ horizon
        Assert.StartsWith("date,", File.ReadAllText(Path.Combine(model, "test_predictions.csv")));

        string outCsv = dir.File("fc.csv");
        var f = CliRunner.Run("forecast", "--model", model, "--csv", csv, "--horizon", "3", "--out", outCsv).AssertOk();
        var lines = File.ReadAllLines(outCsv);
        Assert.Equal("step,date,forecast_load", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("1,2024-06-09,", lines[1]);            // 160 days after 2024-01-01 (the day after the last row)
        Assert.True(File.Exists(dir.File("fc.svg")));
        Assert.Contains("3-step forecast", f.Stdout);

        var bt = CliRunner.Run("forecast", "--model", model, "--csv", csv, "--horizon", "3", "--backtest", "--out", outCsv).AssertOk();
        Assert.Contains("backtest: model MAE", bt.Stdout);
        Assert.Equal("step,date,forecast_load,actual_load", File.ReadAllLines(outCsv)[0]);

        // With an extra feature the future is unknown: more steps than the trained horizon is refused.
        CliRunner.Run("forecast", "--model", model, "--csv", csv, "--horizon", "5", "--out", outCsv)
            .AssertUserError(1, "extra features (temp)", "horizon 3");
    }

    [Fact]
    public void UnivariateMlpForecastsRecursivelyPastItsHorizon()
    {
        using var dir = new TempDir();
        string csv = WriteSeries(dir);
        string model = dir.File("mlp");
        CliRunner.Run(["train", "forecast", "--csv", csv, "--target", "load", "--model", "mlp", "--out", model, .. Tiny]).AssertOk();
        string outCsv = dir.File("fc.csv");
        CliRunner.Run("forecast", "--model", model, "--csv", csv, "--horizon", "10", "--out", outCsv, "-q").AssertOk();
        var lines = File.ReadAllLines(outCsv);
        Assert.Equal(11, lines.Length);
        Assert.Equal("step,row,forecast_load", lines[0]);
        Assert.StartsWith("10,170,", lines[10]);
    }

    // ---------- bad input: one line on stderr, non-zero exit ----------

    [Fact]
    public void MissingColumn()
    {
        using var dir = new TempDir();
        string csv = WriteSeries(dir);
        CliRunner.Run(["train", "forecast", "--csv", csv, "--target", "power", "--out", dir.File("m"), .. Tiny])
            .AssertUserError(1, "energy.csv", "no column 'power'", "'load'");
        CliRunner.Run(["train", "forecast", "--csv", csv, "--target", "load", "--features", "humidity", "--out", dir.File("m"), .. Tiny])
            .AssertUserError(1, "no column 'humidity'");
    }

    [Theory]
    [InlineData("abc", "line 6, column 'load'", "'abc' is not a number")]
    [InlineData("", "line 6, column 'load'", "empty cell")]
    [InlineData("NaN", "line 6, column 'load'", "NaN or infinite")]
    [InlineData("inf", "line 6, column 'load'", "NaN or infinite")]
    public void BadCellsNameFileLineAndColumn(string cell, string where, string what)
    {
        using var dir = new TempDir();
        string csv = WriteSeries(dir);
        var lines = File.ReadAllLines(csv);
        var parts = lines[5].Split(',');
        parts[1] = cell;
        lines[5] = string.Join(',', parts);
        File.WriteAllLines(csv, lines);
        CliRunner.Run(["train", "forecast", "--csv", csv, "--target", "load", "--out", dir.File("m"), .. Tiny])
            .AssertUserError(1, "energy.csv: " + where, what);
    }

    [Fact]
    public void FewerRowsThanLookbackPlusHorizon()
    {
        using var dir = new TempDir();
        string csv = WriteSeries(dir, rows: 20);
        CliRunner.Run("train", "forecast", "--csv", csv, "--target", "load", "--lookback", "16", "--horizon", "4", "--out", dir.File("m"), "-q")
            .AssertUserError(1, "energy.csv", "--lookback 16 + --horizon 4");
    }

    [Fact]
    public void MissingFilesAndModels()
    {
        using var dir = new TempDir();
        CliRunner.Run(["train", "forecast", "--csv", dir.File("nope.csv"), "--target", "y", "--out", dir.File("m"), .. Tiny])
            .AssertUserError(1, "nope.csv", "not found");
        string csv = WriteSeries(dir);
        CliRunner.Run("forecast", "--model", dir.File("no-model"), "--csv", csv, "--horizon", "2")
            .AssertUserError(1, "no-model", "not found");
    }

    [Fact]
    public void TimeColumnOutOfOrder()
    {
        using var dir = new TempDir();
        string csv = WriteSeries(dir);
        var lines = File.ReadAllLines(csv).ToList();
        (lines[10], lines[11]) = (lines[11], lines[10]);
        File.WriteAllLines(csv, lines);
        CliRunner.Run(["train", "forecast", "--csv", csv, "--target", "load", "--time", "date", "--out", dir.File("m"), .. Tiny])
            .AssertUserError(1, "energy.csv: line 12, column 'date'", "sort the rows by time");
    }

    [Fact]
    public void ForecastFileMissingTheModelsFeatureColumn()
    {
        using var dir = new TempDir();
        string csv = WriteSeries(dir);
        string model = dir.File("model");
        CliRunner.Run(["train", "forecast", "--csv", csv, "--target", "load", "--features", "temp", "--out", model, .. Tiny]).AssertOk();
        string other = dir.File("other.csv");
        File.WriteAllLines(other, File.ReadAllLines(csv).Select(l => string.Join(',', l.Split(',')[..2])));
        CliRunner.Run("forecast", "--model", model, "--csv", other, "--horizon", "1", "--out", dir.File("fc.csv"))
            .AssertUserError(1, "other.csv", "no column 'temp'");
        File.WriteAllLines(other, File.ReadAllLines(csv).Take(5));
        CliRunner.Run("forecast", "--model", model, "--csv", other, "--horizon", "1", "--out", dir.File("fc.csv"))
            .AssertUserError(1, "other.csv", "4 rows are fewer than the model's lookback 8");
    }

    [Fact]
    public void UsageErrorsExitTwo()
    {
        using var dir = new TempDir();
        string csv = WriteSeries(dir);
        CliRunner.Run(["train", "forecast", "--csv", csv, "--out", dir.File("m"), .. Tiny]).AssertUserError(2, "--target");
        CliRunner.Run(["train", "forecast", "--csv", csv, "--target", "load", "--split", "0.9,0.2", "--out", dir.File("m"), .. Tiny]).AssertUserError(2, "--split");
        Assert.Equal(2, CliRunner.Run(["train", "--cell", "transformer", "--out", dir.File("m")]).ExitCode);
    }
}
