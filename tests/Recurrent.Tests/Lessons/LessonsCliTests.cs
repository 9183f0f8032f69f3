// End-to-end: `recurrent train adding|copy` and `recurrent diagnose gradients` on tiny settings, the files
// they write, and one-line errors for bad input.
using System.Text.Json;
using Recurrent.Cli;
using Recurrent.Tests.Cli;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Lessons;

public class LessonsCliTests
{
    private static readonly string[] TinyTrain = ["--hidden", "4", "--batch", "4", "--train-steps", "4", "--eval-every", "2", "--test-size", "10", "--quiet"];

    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    [Fact]
    public void TrainAdding_WritesCheckpointMetricsAndPlot()
    {
        using var tmp = new TempDir();
        string dir = tmp.File("run");
        var r = CliRunner.Run(["train", "adding", "--length", "5", "--cell", "lstm", "--forget-bias", "1", .. TinyTrain, "--out", dir]).AssertOk();
        var m = Json(Path.Combine(dir, "metrics.json"));
        Assert.True(m.GetProperty("test_mse").GetDouble() > 0);
        Assert.Equal(1.0 / 6, m.GetProperty("baseline_mse").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, m.GetProperty("steps_to_solve").ValueKind);
        Assert.Equal(1.0, m.GetProperty("forget_bias").GetDouble());
        Assert.True(m.GetProperty("cpu_seconds").GetDouble() >= 0);
        Assert.Equal(m.GetProperty("test_mse").GetDouble(), JsonDocument.Parse(r.Stdout).RootElement.GetProperty("test_mse").GetDouble());
        foreach (var f in new[] { "config.json", "model.safetensors", "metrics.csv", "steps.csv", "loss.svg" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Length);   // header + steps 0, 2, 4
        Assert.Equal(5, File.ReadAllLines(Path.Combine(dir, "steps.csv")).Length);     // header + 4 steps
        Assert.Equal("LSTM", Json(Path.Combine(dir, "config.json")).GetProperty("rnn").GetProperty("mode").GetString());
    }

    [Fact]
    public void TrainAdding_SameSeed_SameResult()
    {
        using var tmp = new TempDir();
        CliRunner.Run(["train", "adding", "--length", "4", "--cell", "gru", .. TinyTrain, "--seed", "3", "--out", tmp.File("a")]).AssertOk();
        CliRunner.Run(["train", "adding", "--length", "4", "--cell", "gru", .. TinyTrain, "--seed", "3", "--out", tmp.File("b")]).AssertOk();
        Assert.Equal(File.ReadAllText(tmp.File("a/steps.csv")), File.ReadAllText(tmp.File("b/steps.csv")));
    }

    [Fact]
    public void TrainCopy_ReportsAccuracyCrossEntropyAndBaseline()
    {
        using var tmp = new TempDir();
        string dir = tmp.File("copy");
        CliRunner.Run(["train", "copy", "--length", "3", "--cell", "rnn", .. TinyTrain, "--out", dir]).AssertOk();
        var m = Json(Path.Combine(dir, "metrics.json"));
        Assert.InRange(m.GetProperty("test_accuracy").GetDouble(), 0, 1);
        Assert.True(m.GetProperty("test_cross_entropy").GetDouble() > 0);
        Assert.Equal(10 * Math.Log(8) / 23, m.GetProperty("baseline_cross_entropy").GetDouble(), 12);
        Assert.True(m.TryGetProperty("steps_to_solve", out _));
        Assert.False(m.TryGetProperty("test_mse", out _));
    }

    [Fact]
    public void DiagnoseGradients_FreshCells_WritesCsvSvgSummary()
    {
        using var tmp = new TempDir();
        string dir = tmp.File("diag");
        var r = CliRunner.Run("diagnose", "gradients", "--cell", "all", "--length", "6", "--hidden", "4", "--batch", "2", "--quiet", "--out", dir).AssertOk();
        var rows = File.ReadAllLines(Path.Combine(dir, "gradients.csv"));
        Assert.Equal("model,t,steps_back,grad_h,grad_c", rows[0]);
        Assert.Equal(1 + 3 * 7, rows.Length);
        Assert.Contains(rows, l => l.StartsWith("lstm,0,6,", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(dir, "gradients.svg")));
        Assert.Contains("<path", File.ReadAllText(Path.Combine(dir, "gradients.svg")));
        var models = Json(Path.Combine(dir, "summary.json")).GetProperty("models");
        Assert.Equal(3, models.GetArrayLength());
        foreach (var m in models.EnumerateArray())
        {
            double before = m.GetProperty("grad_norm_before_clip").GetDouble(), after = m.GetProperty("grad_norm_after_clip").GetDouble();
            Assert.True(after <= Math.Min(before, 1.0) + 1e-6, $"after clipping {after}, before {before}");
        }
        Assert.Contains("rnn", r.Stdout);
        Assert.Contains("gru", r.Stdout);
        var weights = File.ReadAllLines(Path.Combine(dir, "weights.csv"));
        Assert.Equal(1 + 1 + 4 + 5, weights.Length);   // rnn: h; gru: r z n all; lstm: i f g o all
    }

    [Fact]
    public void DiagnoseGradients_LargeInitScale_ExplodesAndClipsToTheMaxNorm()
    {
        using var tmp = new TempDir();
        string dir = tmp.File("diag");
        CliRunner.Run("diagnose", "gradients", "--cell", "rnn", "--length", "30", "--hidden", "32", "--init-scale", "6", "--clip", "0.5", "--quiet", "--out", dir).AssertOk();
        var m = Json(Path.Combine(dir, "summary.json")).GetProperty("models")[0];
        Assert.True(m.GetProperty("factor_per_step").GetDouble() > 1, "gradients grow going back");
        Assert.True(m.GetProperty("grad_norm_before_clip").GetDouble() > 10);
        Assert.Equal(0.5, m.GetProperty("grad_norm_after_clip").GetDouble(), 4);
    }

    [Fact]
    public void DiagnoseGradients_TrainedRun_ComparesWithAFreshTwin()
    {
        using var tmp = new TempDir();
        string run = tmp.File("run"), dir = tmp.File("diag");
        CliRunner.Run(["train", "adding", "--length", "5", "--cell", "gru", .. TinyTrain, "--out", run]).AssertOk();
        CliRunner.Run("diagnose", "gradients", "--trained", run, "--quiet", "--out", dir).AssertOk();
        var models = Json(Path.Combine(dir, "summary.json")).GetProperty("models");
        Assert.Equal(new[] { "gru fresh", "gru trained" }, models.EnumerateArray().Select(m => m.GetProperty("model").GetString()!).ToArray());
        Assert.Equal(5, Json(Path.Combine(dir, "summary.json")).GetProperty("length").GetInt32());
    }

    [Theory]
    [InlineData("--length", "0")]
    [InlineData("--length", "1")]
    [InlineData("--cell", "transformer")]
    [InlineData("--hidden", "0")]
    [InlineData("--lr", "0")]
    [InlineData("--clip", "-1")]
    [InlineData("--batch", "0")]
    [InlineData("--eval-every", "0")]
    [InlineData("--train-steps", "-5")]
    public void TrainAdding_BadValue_IsOneLineUsageError(string option, string value)
    {
        using var tmp = new TempDir();
        var args = new List<string> { "train", "adding", "--length", "5", "--quiet", "--out", tmp.File("x") };
        int i = args.IndexOf(option);
        if (i >= 0) args[i + 1] = value; else args.AddRange([option, value]);
        CliRunner.Run([.. args]).AssertUserError(ExitCodes.Usage, option.TrimStart('-'));
    }

    [Fact]
    public void TrainCopy_ZeroLength_And_ForgetBiasOnGru_AreOneLineErrors()
    {
        using var tmp = new TempDir();
        CliRunner.Run("train", "copy", "--length", "0", "--out", tmp.File("x")).AssertUserError(ExitCodes.Usage, "--length");
        CliRunner.Run("train", "adding", "--length", "5", "--cell", "gru", "--forget-bias", "1", "--out", tmp.File("x")).AssertUserError(ExitCodes.Usage, "--forget-bias");
    }

    [Fact]
    public void HugeLength_IsRefusedBeforeAllocating()
    {
        using var tmp = new TempDir();
        CliRunner.Run("train", "adding", "--length", "100000", "--out", tmp.File("x")).AssertUserError(ExitCodes.Usage, "GB");
        CliRunner.Run("train", "copy", "--length", "90000", "--test-size", "2000", "--hidden", "1", "--batch", "1", "--out", tmp.File("x")).AssertUserError(ExitCodes.Usage, "test set");
        CliRunner.Run("diagnose", "gradients", "--length", "100000", "--batch", "1000", "--out", tmp.File("x")).AssertUserError(ExitCodes.Usage, "--length");
    }

    [Fact]
    public void HugeHiddenSize_IsRefusedBeforeAllocatingTheWeights()
    {
        using var tmp = new TempDir();
        // 4·H² LSTM weights (and gradients, Adam's moments) would not fit: refused by the size check, not by the allocator.
        CliRunner.Run("train", "adding", "--length", "5", "--hidden", "20000", "--out", tmp.File("x")).AssertUserError(ExitCodes.Usage, "parameters", "hidden");
        CliRunner.Run("train", "copy", "--length", "5", "--hidden", "3000", "--layers", "20", "--out", tmp.File("x")).AssertUserError(ExitCodes.Usage, "parameters", "layer");
        CliRunner.Run("diagnose", "gradients", "--length", "10", "--hidden", "16000", "--out", tmp.File("x")).AssertUserError(ExitCodes.Usage, "hidden size");
        CliRunner.Run("diagnose", "gradients", "--length", "100000", "--hidden", "16000", "--out", tmp.File("x")).AssertUserError(ExitCodes.Usage, "--length");
        Assert.False(Directory.Exists(tmp.File("x")));
    }

    [Theory]
    [InlineData("train", "adding", "--length", "3000000000")]
    [InlineData("train", "copy", "--train-steps", "1000000000000")]
    [InlineData("diagnose", "gradients", "--length", "99999999999999")]
    public void NumberBeyondInt_IsAUsageErrorInWords(string verb, string sub, string option, string value)
    {
        using var tmp = new TempDir();
        var args = new List<string> { verb, sub, "--length", "5", "--quiet", "--out", tmp.File("x") };
        int i = args.IndexOf(option);
        if (i >= 0) args[i + 1] = value; else args.AddRange([option, value]);
        var r = CliRunner.Run([.. args]);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(option, lines[0]);
        Assert.Contains("whole number from -2147483648 to 2147483647", lines[0]);
        Assert.DoesNotContain("System.", r.Stderr);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("see '", l));   // the frame's usage hint
    }

    [Fact]
    public void TrainAdding_OutIsAFile_IsAUserError()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("f"), "x");
        CliRunner.Run(["train", "adding", "--length", "5", .. TinyTrain, "--out", tmp.File("f")]).AssertUserError(ExitCodes.UserError, "--out");
    }

    [Theory]
    [InlineData("--cell", "lstm,foo", "foo")]
    [InlineData("--cell", "rnn,rnn", "twice")]
    [InlineData("--length", "0", "--length")]
    [InlineData("--init-scale", "0", "--init-scale")]
    [InlineData("--task", "sort", "--task")]
    [InlineData("--hidden", "0", "--hidden")]
    public void DiagnoseGradients_BadValue_IsOneLineUsageError(string option, string value, string mention)
    {
        using var tmp = new TempDir();
        var args = new List<string> { "diagnose", "gradients", option, value, "--quiet", "--out", tmp.File("x") };
        if (option != "--hidden") args.AddRange(["--hidden", "4"]);
        CliRunner.Run([.. args]).AssertUserError(ExitCodes.Usage, mention);
    }

    [Fact]
    public void DiagnoseGradients_BadTrainedDirectory_IsOneLineError()
    {
        using var tmp = new TempDir();
        CliRunner.Run("diagnose", "gradients", "--trained", tmp.File("missing"), "--out", tmp.File("x")).AssertUserError(ExitCodes.UserError, "missing");
        Directory.CreateDirectory(tmp.File("bad"));
        File.WriteAllText(tmp.File("bad/config.json"), "{ not json");
        File.WriteAllText(tmp.File("bad/model.safetensors"), "");
        CliRunner.Run("diagnose", "gradients", "--trained", tmp.File("bad"), "--out", tmp.File("x")).AssertUserError(ExitCodes.UserError, "config.json");
        File.WriteAllText(tmp.File("bad/config.json"), "{\"task\": \"adding\"}");
        CliRunner.Run("diagnose", "gradients", "--trained", tmp.File("bad"), "--out", tmp.File("x")).AssertUserError(ExitCodes.UserError, "rnn");
    }

    [Fact]
    public void DiagnoseGradients_TrainedWithCell_IsAUsageError()
    {
        using var tmp = new TempDir();
        string run = tmp.File("run");
        CliRunner.Run(["train", "adding", "--length", "4", "--cell", "gru", .. TinyTrain, "--out", run]).AssertOk();
        CliRunner.Run("diagnose", "gradients", "--trained", run, "--cell", "lstm", "--out", tmp.File("x")).AssertUserError(ExitCodes.Usage, "--cell");
    }

    [Fact]
    public void Diagnose_WithoutSubcommand_PrintsUsage()
    {
        var r = CliRunner.Run("diagnose");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("gradients", r.Stderr);
    }
}
