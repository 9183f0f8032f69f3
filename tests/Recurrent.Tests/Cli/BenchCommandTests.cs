// `recurrent bench`: JSON lines with the fields the issue lists, the start-up machine line, user errors.
using System.Text.Json;

namespace Recurrent.Tests.Cli;

public class BenchCommandTests
{
    [Fact]
    public void JsonHasOneLinePerConfigurationWithTheRequiredFields()
    {
        var r = CliRunner.Run("bench", "--cell", "rnn", "lstm", "--hidden", "8", "--batch", "3", "--steps", "4",
            "--mode", "train", "infer", "generate", "--batches", "2", "--warmup", "1", "--json").AssertOk();
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + 2 * 3, lines.Length);
        using var env = JsonDocument.Parse(lines[0]);
        Assert.Equal("env", env.RootElement.GetProperty("bench").GetString());
        Assert.True(env.RootElement.GetProperty("fma_peak_gflops").GetProperty("1").GetDouble() > 0);
        Assert.False(string.IsNullOrEmpty(env.RootElement.GetProperty("cpu").GetString()));
        foreach (var line in lines.Skip(1))
        {
            using var doc = JsonDocument.Parse(line);
            var o = doc.RootElement;
            foreach (var field in new[] { "cell", "hidden", "batch", "steps", "mode", "threads", "tokens_per_s", "gflops", "pct_of_peak" })
                Assert.True(o.TryGetProperty(field, out _), $"missing {field} in {line}");
            Assert.True(o.GetProperty("tokens_per_s").GetDouble() > 0, line);
            string mode = o.GetProperty("mode").GetString()!;
            if (mode == "generate")
            {
                Assert.Equal(1, o.GetProperty("batch").GetInt32());
                Assert.True(o.GetProperty("us_per_token").GetDouble() > 0, line);
            }
            else Assert.Equal(3, o.GetProperty("batch").GetInt32());
        }
    }

    [Fact]
    public void TextModePrintsTheMachineAndPeakFirst()
    {
        var r = CliRunner.Run("bench", "--cell", "gru", "--hidden", "6", "--batch", "2", "--steps", "3", "--mode", "train",
            "--batches", "1", "--warmup", "0", "--path", "autograd").AssertOk();
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("cpu: ", lines[0]);
        Assert.StartsWith("FMA peak (measured): ", lines[1]);
        Assert.Contains("tok/s", lines[^1]);
    }

    [Fact]
    public void BadOptionsAreOneLineErrors()
    {
        foreach (var (args, fragment) in new[] { (new[] { "bench", "--cell", "tree" }, "tree"), (new[] { "bench", "--hidden", "0" }, "--hidden") })
        {
            var r = CliRunner.Run(args);
            Assert.True(r.ExitCode == 2, r.ToString());
            Assert.StartsWith("error: ", r.Stderr);
            Assert.Contains(fragment, r.Stderr.Split('\n')[0]);
            Assert.DoesNotContain("   at ", r.Stderr);
        }
        CliRunner.Run("bench", "--data", "/nonexistent/corpus.txt", "--batches", "1").AssertUserError(1, "corpus.txt");
    }
}
