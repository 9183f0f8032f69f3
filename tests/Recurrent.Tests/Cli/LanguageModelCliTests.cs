// `recurrent train lm` and `recurrent generate` end to end, as a user runs them: a tiny training in
// about a second, the files it writes, generation, Ctrl-C and --resume, divergence, and bad input.
using System.Globalization;
using System.Text.Json;
using Recurrent.Tests.Support;
using Recurrent.Tests.Training;

namespace Recurrent.Tests.Cli;

public class LanguageModelCliTests
{
    /// <summary>A tiny `train lm` command line; <paramref name="extra"/> options replace the defaults of the same name
    /// (System.CommandLine rejects an option given twice).</summary>
    private static string[] TinyArgs(string text, string outDir, params string[] extra)
    {
        var options = new List<(string Name, string? Value)>
        {
            ("--text", text), ("--prep", "raw"), ("--cell", "gru"), ("--hidden", "16"), ("--batch", "4"), ("--steps", "8"),
            ("--epochs", "3"), ("--val-fraction", "0.2"), ("--seed", "3"), ("--out", outDir), ("--quiet", null),
        };
        for (int i = 0; i < extra.Length; i++)
        {
            string name = extra[i];
            string? value = i + 1 < extra.Length && !extra[i + 1].StartsWith("--", StringComparison.Ordinal) ? extra[++i] : null;
            int at = options.FindIndex(o => o.Name == name);
            if (at >= 0) options[at] = (name, value); else options.Add((name, value));
        }
        return ["train", "lm", .. options.SelectMany(o => o.Value is null ? new[] { o.Name } : [o.Name, o.Value])];
    }

    [Fact]
    public void TrainsWritesItsFilesAndGenerates()
    {
        using var dir = new TempDir();
        string text = LanguageModelTrainingTests.WriteText(dir), run = dir.File("run");
        var r = CliRunner.Run(TinyArgs(text, run)).AssertOk();

        using var summary = JsonDocument.Parse(r.Stdout);
        foreach (var key in new[] { "train_perplexity", "val_perplexity", "best_val_perplexity", "tokens_per_s", "epochs" })
            Assert.True(summary.RootElement.TryGetProperty(key, out _), $"metrics lack {key}\n{r}");
        Assert.Equal(3, summary.RootElement.GetProperty("epochs").GetInt32());
        Assert.True(summary.RootElement.GetProperty("best_val_perplexity").GetDouble() > 1);
        Assert.Equal(File.ReadAllText(Path.Combine(run, "metrics.json")).Trim(), r.Stdout.Trim());

        var csv = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        Assert.Equal(4, csv.Length);
        Assert.StartsWith("epoch,train_loss,train_perplexity,train_bits_per_char,val_loss,val_perplexity", csv[0]);
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(run, "training_curve.svg")));
        foreach (var sub in new[] { "best", "last" })
        {
            Assert.True(File.Exists(Path.Combine(run, sub, "model.safetensors")), sub);
            Assert.True(File.Exists(Path.Combine(run, sub, "config.json")), sub);
        }
        Assert.True(File.Exists(Path.Combine(run, "last", "trainer.json")));
        Assert.False(Directory.Exists(Path.Combine(run, "last.partial")));

        var g = CliRunner.Run("generate", "--model", run, "--prefix", "the quick", "--length", "20").AssertOk();
        Assert.StartsWith("the quick", g.Stdout);
        Assert.Equal("the quick".Length + 20, g.Stdout.TrimEnd('\n').Length);
        var s1 = CliRunner.Run("generate", "--model", Path.Combine(run, "last"), "--prefix", "a", "--length", "30", "--temperature", "1", "--top-p", "0.9", "--seed", "5").AssertOk();
        var s2 = CliRunner.Run("generate", "--model", Path.Combine(run, "last"), "--prefix", "a", "--length", "30", "--temperature", "1", "--top-p", "0.9", "--seed", "5").AssertOk();
        Assert.Equal(s1.Stdout, s2.Stdout);
    }

    [Fact]
    public void WordModelTrainsAndGenerates()
    {
        using var dir = new TempDir();
        string text = LanguageModelTrainingTests.WriteText(dir, repeats: 30), run = dir.File("run");
        CliRunner.Run("train", "lm", "--text", text, "--level", "word", "--embed", "8", "--cell", "lstm", "--hidden", "12",
            "--batch", "4", "--steps", "5", "--epochs", "2", "--out", run, "--quiet").AssertOk();
        var g = CliRunner.Run("generate", "--model", run, "--prefix", "The quick", "--length", "5").AssertOk();
        var words = g.Stdout.Trim().Split(' ');
        Assert.Equal(7, words.Length);
        Assert.Equal("The", words[0]);
        CliRunner.Run("generate", "--model", run, "--prefix", "the zebra", "--length", "5").AssertUserError(1, "zebra", "vocabulary");
    }

    [Fact]
    public void BidirectionalModelTrainsAndGeneratesTokenByToken()
    {
        using var dir = new TempDir();
        string text = LanguageModelTrainingTests.WriteText(dir), run = dir.File("run");
        CliRunner.Run(TinyArgs(text, run, "--bidirectional", "--layers", "2", "--epochs", "2")).AssertOk();
        var g = CliRunner.Run("generate", "--model", run, "--prefix", "the ", "--length", "10").AssertOk();
        Assert.Equal(14, g.Stdout.TrimEnd('\n').Length);
    }

    [Fact]
    public void CtrlCSavesAndResumeContinuesExactly()
    {
        using var dir = new TempDir();
        string text = LanguageModelTrainingTests.WriteText(dir);
        string straight = dir.File("straight"), interrupted = dir.File("interrupted");
        string[] extra = ["--layers", "2", "--dropout", "0.3"];
        CliRunner.Run(TinyArgs(text, straight, extra)).AssertOk();

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();                                                   // Ctrl-C already pressed: stops after the first step
        var r = CliRunner.Run(cancelled.Token, TinyArgs(text, interrupted, extra));
        Assert.Equal(130, r.ExitCode);
        Assert.Contains("interrupted at epoch 1, step 1", r.Stderr);
        Assert.Contains($"--resume {interrupted}", r.Stderr);
        Assert.True(File.Exists(Path.Combine(interrupted, "last", "state.safetensors")), "the carried state is saved mid-epoch");

        CliRunner.Run("train", "lm", "--resume", interrupted, "--quiet").AssertOk();
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "last", "model.safetensors")), File.ReadAllBytes(Path.Combine(interrupted, "last", "model.safetensors")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "best", "model.safetensors")), File.ReadAllBytes(Path.Combine(interrupted, "best", "model.safetensors")));
        static string[] Losses(string d) => File.ReadAllLines(Path.Combine(d, "metrics.csv")).Select(l => string.Join(',', l.Split(',').Take(7))).ToArray();
        Assert.Equal(Losses(straight), Losses(interrupted));

        // More epochs later: --epochs may grow on resume.
        var more = CliRunner.Run("train", "lm", "--resume", straight, "--epochs", "4", "--quiet").AssertOk();
        Assert.Equal(4, JsonDocument.Parse(more.Stdout).RootElement.GetProperty("epochs").GetInt32());
    }

    [Fact]
    public void DivergenceNamesEpochAndStepAndKeepsTheLastGoodCheckpoint()
    {
        using var dir = new TempDir();
        string text = LanguageModelTrainingTests.WriteText(dir), run = dir.File("run");
        CliRunner.Run(TinyArgs(text, run, "--optimizer", "sgd", "--cell", "rnn", "--epochs", "1")).AssertOk();
        byte[] good = File.ReadAllBytes(Path.Combine(run, "last", "model.safetensors"));
        var r = CliRunner.Run("train", "lm", "--resume", run, "--epochs", "3", "--lr", "1e38", "--quiet");
        r.AssertUserError(1, "diverged at epoch 2, step", "last good checkpoint", "epoch 1");
        Assert.Equal(good, File.ReadAllBytes(Path.Combine(run, "last", "model.safetensors")));
        using var trainer = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "last", "trainer.json")));
        Assert.Equal(1, trainer.RootElement.GetProperty("progress").GetProperty("completed_epochs").GetInt32());
    }

    [Fact]
    public void ResumeFromAnOlderCheckpointDropsTheStepRowsPastIt()
    {
        // A run that diverges (or is killed) after its last save leaves steps.csv rows beyond the checkpoint;
        // resuming redoes those steps, and the log must then hold every step once, in order.
        using var dir = new TempDir();
        string text = LanguageModelTrainingTests.WriteText(dir), run = dir.File("run");
        CliRunner.Run(TinyArgs(text, run, "--optimizer", "sgd", "--cell", "rnn", "--epochs", "1")).AssertOk();
        CliRunner.Run("train", "lm", "--resume", run, "--epochs", "3", "--lr", "1e38", "--quiet").AssertUserError(1, "diverged at epoch 2");
        Assert.Contains(File.ReadAllLines(Path.Combine(run, "steps.csv")), l => l.StartsWith("2,", StringComparison.Ordinal));
        CliRunner.Run("train", "lm", "--resume", run, "--epochs", "2", "--quiet").AssertOk();
        var rows = File.ReadAllLines(Path.Combine(run, "steps.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.DoesNotContain(rows, r => r[2] == "nan");
        var keys = rows.Select(r => (int.Parse(r[0], CultureInfo.InvariantCulture), int.Parse(r[1], CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(keys.OrderBy(k => k).ToList(), keys);
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal(2, keys[^1].Item1);
    }

    [Fact]
    public void EarlyStoppingStopsWhenValidationStopsImproving()
    {
        using var dir = new TempDir();
        string text = LanguageModelTrainingTests.WriteText(dir), run = dir.File("run");
        // A huge learning rate makes validation worse after the first epochs.
        var r = CliRunner.Run(TinyArgs(text, run, "--epochs", "30", "--patience", "1", "--optimizer", "sgd", "--lr", "30")).AssertOk();
        var m = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.True(m.GetProperty("stopped_early").GetBoolean(), r.Stdout);
        Assert.True(m.GetProperty("epochs").GetInt32() < 30);
        Assert.Equal(m.GetProperty("epochs").GetInt32() - 1, m.GetProperty("best_epoch").GetInt32());
    }

    [Fact]
    public void BadFilesAreOneLineErrors()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        CliRunner.Run(TinyArgs(dir.File("missing.txt"), run)).AssertUserError(1, "missing.txt", "not found");
        File.WriteAllBytes(dir.File("empty.txt"), []);
        CliRunner.Run(TinyArgs(dir.File("empty.txt"), run)).AssertUserError(1, "empty.txt", "empty");
        File.WriteAllBytes(dir.File("model.bin"), [1, 2, 0, 0, 3, 4]);
        CliRunner.Run(TinyArgs(dir.File("model.bin"), run)).AssertUserError(1, "model.bin", "binary");
        File.WriteAllBytes(dir.File("latin1.txt"), [0x63, 0x61, 0x66, 0xE9, 0x20, 0x63, 0x61, 0x66, 0xE9]);
        CliRunner.Run(TinyArgs(dir.File("latin1.txt"), run)).AssertUserError(1, "latin1.txt", "invalid UTF-8", "offset 3");
        File.WriteAllText(dir.File("short.txt"), "too short for a minibatch");
        CliRunner.Run(TinyArgs(dir.File("short.txt"), run)).AssertUserError(1, "short.txt", "fewer than one minibatch", "--batch");
        Assert.False(Directory.Exists(Path.Combine(run, "last")));
    }

    [Fact]
    public void BadOptionsAreUsageErrors()
    {
        using var dir = new TempDir();
        string text = LanguageModelTrainingTests.WriteText(dir), run = dir.File("run");
        CliRunner.Run(TinyArgs(text, run, "--val-fraction", "0", "--patience", "2")).AssertUserError(2, "--patience", "--val-fraction");
        CliRunner.Run(TinyArgs(text, run, "--dropout", "0.5")).AssertUserError(2, "--dropout", "--layers");
        CliRunner.Run(TinyArgs(text, run, "--sampling", "random", "--bptt", "full")).AssertUserError(2, "--bptt full", "--sampling sequential");
        CliRunner.Run(TinyArgs(text, run, "--clip-norm", "-1")).AssertUserError(2, "--clip-norm");
        CliRunner.Run("train", "lm", "--out", run).AssertUserError(2, "--text");

        CliRunner.Run(TinyArgs(text, run, "--epochs", "1")).AssertOk();
        CliRunner.Run(TinyArgs(text, run, "--epochs", "1")).AssertUserError(2, "already holds a run", "--resume");
        CliRunner.Run("train", "lm", "--resume", run, "--hidden", "32").AssertUserError(2, "--hidden", "cannot be changed");
        CliRunner.Run("train", "lm", "--resume", dir.File("nowhere")).AssertUserError(1, "nowhere");
    }

    [Fact]
    public void PrefixOutsideTheVocabularyIsNamed()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        File.WriteAllText(dir.File("t.txt"), string.Concat(Enumerable.Repeat("The time traveller spoke. ", 20)));
        CliRunner.Run("train", "lm", "--text", dir.File("t.txt"), "--cell", "rnn", "--hidden", "8", "--batch", "2", "--steps", "8",
            "--epochs", "1", "--out", run, "--quiet").AssertOk();                  // d2l prep: a–z and space
        CliRunner.Run("generate", "--model", run, "--prefix", "Time Traveller", "--length", "5")
            .AssertUserError(1, "character 'T' (U+0054) at position 1", "--prep d2l", "time traveller");
        CliRunner.Run("generate", "--model", run, "--prefix", "time", "--top-k", "3", "--temperature", "0").AssertUserError(2, "--temperature");
        CliRunner.Run("generate", "--model", run, "--prefix", "", "--length", "5").AssertUserError(2, "empty");
        CliRunner.Run("generate", "--model", dir.File("t.txt"), "--prefix", "a").AssertUserError(1, "t.txt");
    }
}
