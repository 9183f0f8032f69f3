// `train lm` writes steps.csv: the loss and the gradient norm before clipping of every step, which the
// clipping lesson plots (the epoch means in metrics.csv hide spikes). Appended across --resume; a
// diverging run ends with a nan row.
using System.Globalization;
using Recurrent.Tests.Cli;
using Recurrent.Tests.Support;
using Recurrent.Tests.Training;

namespace Recurrent.Tests.Lessons;

public class LanguageModelStepLogTests
{
    private static string[] Args(string text, string run, params string[] more) =>
        ["train", "lm", "--text", text, "--prep", "raw", "--cell", "rnn", "--hidden", "8", "--batch", "4", "--steps", "8",
         "--val-fraction", "0.2", "--optimizer", "sgd", "--quiet", "--out", run, .. more];

    private static List<string[]> Rows(string run) =>
        File.ReadAllLines(Path.Combine(run, "steps.csv")).Skip(1).Select(l => l.Split(',')).ToList();

    [Fact]
    public void EveryStepIsLogged_WithTheNormBeforeClipping()
    {
        using var dir = new TempDir();
        string text = LanguageModelTrainingTests.WriteText(dir), run = dir.File("run");
        CliRunner.Run(Args(text, run, "--epochs", "2", "--clip-norm", "0.001")).AssertOk();
        var lines = File.ReadAllLines(Path.Combine(run, "steps.csv"));
        Assert.Equal("epoch,step,loss,grad_norm,tokens_per_second", lines[0]);
        var rows = Rows(run);
        Assert.Equal(["1", "2"], rows.Select(r => r[0]).Distinct().ToArray());
        Assert.Equal(Enumerable.Range(1, rows.Count(r => r[0] == "1")).Select(i => i.ToString(CultureInfo.InvariantCulture)),
            rows.Where(r => r[0] == "1").Select(r => r[1]));
        // Clipped to 0.001, yet the logged norms are the raw ones.
        Assert.All(rows, r => Assert.True(double.Parse(r[3], CultureInfo.InvariantCulture) > 0.001, $"norm {r[3]}"));
        Assert.All(rows, r => Assert.True(double.Parse(r[2], CultureInfo.InvariantCulture) > 0));
    }

    [Fact]
    public void Resume_Appends_And_Divergence_EndsWithNan()
    {
        using var dir = new TempDir();
        string text = LanguageModelTrainingTests.WriteText(dir), run = dir.File("run");
        CliRunner.Run(Args(text, run, "--epochs", "1")).AssertOk();
        int first = Rows(run).Count;
        var r = CliRunner.Run("train", "lm", "--resume", run, "--epochs", "3", "--lr", "1e38", "--quiet");
        Assert.Equal(1, r.ExitCode);
        var rows = Rows(run);
        Assert.True(rows.Count > first, "the resumed epoch's steps are appended");
        Assert.Single(File.ReadAllLines(Path.Combine(run, "steps.csv")), l => l.StartsWith("epoch,", StringComparison.Ordinal));
        Assert.Equal("nan", rows[^1][2]);
        Assert.Equal("2", rows[^1][0]);
    }
}
