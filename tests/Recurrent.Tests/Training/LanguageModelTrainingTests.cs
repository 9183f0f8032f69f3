// Language-model training: batch plans per BPTT mode, the protocol's split and validation scoring,
// learning on a tiny text, divergence detection, and an exact resume after an interruption.
using Recurrent.Data;
using Recurrent.Models;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;
using Recurrent.Tests.Support;
using Recurrent.Training;

namespace Recurrent.Tests.Training;

public class LanguageModelTrainingTests
{
    internal const string TinyText = "the quick brown fox jumps over the lazy dog. a stitch in time saves nine. ";

    internal static string WriteText(TempDir dir, int repeats = 12, string name = "tiny.txt")
    {
        string path = dir.File(name);
        File.WriteAllText(path, string.Concat(Enumerable.Repeat(TinyText, repeats)));
        return path;
    }

    private static LanguageModelRunSettings Tiny(string path, int epochs = 3) => new()
    {
        TextPath = path,
        Prep = TextPrep.Raw,
        Level = TokenLevel.Char,
        ValFraction = 0.2,
        Mode = RecurrentMode.Lstm,
        Hidden = 12,
        Layers = 2,
        Dropout = 0.2,
        Optimizer = "adam",
        LearningRate = 0.01,
        Seed = 7,
        Training = new LanguageModelTrainingOptions { BatchSize = 4, Steps = 6, Epochs = epochs },
    };

    [Fact]
    public void FullBpttIsOneWindowPerStreamAndRandomWindowsVary()
    {
        int[] corpus = Enumerable.Range(0, 401).ToArray();
        var full = LanguageModelBatches.ForEpoch(corpus, 4, 10, Sampling.Sequential, BpttMode.Full, SequenceOffset.Random, new Rng(1));
        Assert.Single(full);
        Assert.Equal(100, full[0].Steps);                                   // L = (401 − 1) / 4
        var windows = LanguageModelBatches.ForEpoch(corpus, 4, 10, Sampling.Sequential, BpttMode.Random, SequenceOffset.Random, new Rng(1));
        Assert.True(windows.Select(w => w.Steps).Distinct().Count() > 2);
        var a = LanguageModelBatches.ForEpoch(corpus, 4, 10, Sampling.Sequential, BpttMode.Truncated, SequenceOffset.Zero, new Rng(1));
        var b = LanguageModelBatches.ForEpoch(corpus, 4, 10, Sampling.Sequential, BpttMode.Truncated, SequenceOffset.Zero, new Rng(2));
        Assert.Equal(a.SelectMany(x => x.X), b.SelectMany(x => x.X));        // offset 0: the same minibatches every epoch
        Assert.Equal(0, a[0].X[0]);
        Assert.Contains("--sampling sequential", Assert.Throws<ArgumentException>(() =>
            LanguageModelBatches.ForEpoch(corpus, 4, 10, Sampling.Random, BpttMode.Full, SequenceOffset.Random, new Rng(1))).Message);
    }

    [Fact]
    public void SplitIsTheProtocolsNineTenths()
    {
        using var dir = new TempDir();
        string path = dir.File("t.txt");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("abcdefghij", 101)) + "abc");   // N = 1013
        var run = LanguageModelRun.Start(Tiny(path) with { ValFraction = 0.1 });
        Assert.Equal(9 * 1013 / 10, run.TrainTokens.Length);
        Assert.Equal(1013 - 9 * 1013 / 10, run.ValidTokens.Length);
        Assert.False(run.Vocabulary.HasUnknown);                            // raw characters: no <unk>
        Assert.Equal(10, run.Vocabulary.Count);
    }

    [Fact]
    public void ValidationScoresEveryTargetWithTheStateCarried()
    {
        var m = new LanguageModel<double>(new LanguageModelConfig(5, RecurrentMode.Gru, 4), new Rng(3));
        var rng = new Rng(4);
        int[] tokens = Enumerable.Range(0, 3 * 11 + 1).Select(_ => rng.NextInt(5)).ToArray();   // B = 3 → L = 11
        double loss = LanguageModelTrainer<double>.Evaluate(m, tokens, batchSize: 3, steps: 4);  // chunks 4, 4, 3
        // The same targets in one window of width L per stream.
        int[] x = new int[33], y = new int[33];
        for (int b = 0; b < 3; b++)
            for (int t = 0; t < 11; t++) { x[b * 11 + t] = tokens[b * 11 + t]; y[b * 11 + t] = tokens[b * 11 + t + 1]; }
        var (logits, _) = m.Forward(x, 3, 11);
        double expected = LanguageModelMetrics.CrossEntropySum<double>(logits.Data, y, 5) / 33;
        Assert.Equal(expected, loss, 12);
    }

    [Fact]
    public void CrossEntropySumIsLogSumExpMinusTarget()
    {
        float[] logits = [1f, 2f, 3f, 0f, 0f, 0f];
        double expected = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 2 + Math.Log(3) - 0;
        Assert.Equal(expected, LanguageModelMetrics.CrossEntropySum<float>(logits, [1, 0], 3), 6);
        Assert.Equal(Math.Exp(0.5), LanguageModelMetrics.Perplexity(0.5), 12);
        Assert.Equal(1.0, LanguageModelMetrics.BitsPerToken(Math.Log(2)), 12);
    }

    [Fact]
    public void LearnsATinyPeriodicText()
    {
        using var dir = new TempDir();
        var run = LanguageModelRun.Start(Tiny(WriteText(dir), epochs: 12) with { Layers = 1, Dropout = 0, Hidden = 24, LearningRate = 0.03 });
        while (!run.Trainer.Finished) run.Trainer.RunEpoch();
        var h = run.Trainer.State.History;
        Assert.True(h[^1].TrainPerplexity < 0.5 * h[0].TrainPerplexity, $"train perplexity {h[0].TrainPerplexity:F2} → {h[^1].TrainPerplexity:F2}");
        Assert.True(h[^1].ValPerplexity < 2.5, $"validation perplexity {h[^1].ValPerplexity:F2} on a text that repeats");
        Assert.All(h, m => Assert.True(m.TokensPerSecond > 0));
    }

    [Theory]
    [InlineData("random", "truncated")]
    [InlineData("sequential", "full")]
    [InlineData("sequential", "random")]
    public void EverySamplingAndBpttModeTrains(string sampling, string bptt)
    {
        using var dir = new TempDir();
        var s = Tiny(WriteText(dir), epochs: 2);
        var run = LanguageModelRun.Start(s with
        {
            Training = s.Training with { Sampling = LanguageModelBatches.ParseSampling(sampling), Bptt = LanguageModelBatches.ParseBptt(bptt) },
        });
        while (!run.Trainer.Finished) run.Trainer.RunEpoch();
        Assert.All(run.Trainer.State.History, m => Assert.True(double.IsFinite(m.TrainLoss) && double.IsFinite(m.ValLoss)));
        if (bptt == "full") Assert.All(run.Trainer.State.History, m => Assert.Equal(1, m.Steps));
    }

    [Fact]
    public void NaNIsReportedWithEpochAndStep()
    {
        using var dir = new TempDir();
        var run = LanguageModelRun.Start(Tiny(WriteText(dir), epochs: 3));
        run.Trainer.OnStep = r =>
        {
            if (r.Epoch == 2 && r.Step == 3) run.Model.Head.Weight.Data[0] = float.NaN;   // poison after step 3
        };
        run.Trainer.RunEpoch();
        var ex = Assert.Throws<TrainingDivergedException>(() => run.Trainer.RunEpoch());
        Assert.Equal(2, ex.Epoch);
        Assert.Equal(4, ex.Step);
        Assert.Contains("epoch 2, step 4 of", ex.Message);
        Assert.Contains("NaN", ex.Message);
        Assert.Equal(1, run.Trainer.State.CompletedEpochs);
    }

    [Fact]
    public void ExplodingBoundedCellIsDivergenceNotAnInfinitePerplexity()
    {
        // A GRU with SGD at lr 1e6 and no clipping: the loss stays finite (millions of nats; the gates saturate)
        // while the perplexity overflows. Training must stop as for a NaN, not finish with "ppl Infinity".
        using var dir = new TempDir();
        var run = LanguageModelRun.Start(Tiny(WriteText(dir), epochs: 3) with
        {
            Mode = RecurrentMode.Gru, Layers = 1, Dropout = 0, Optimizer = "sgd", LearningRate = 1e6,
            Training = new LanguageModelTrainingOptions { BatchSize = 4, Steps = 6, Epochs = 3, ClipNorm = 0 },
        });
        double worst = 0;
        run.Trainer.OnStep = r => worst = Math.Max(worst, r.Loss);
        var ex = Assert.Throws<TrainingDivergedException>(() => { while (!run.Trainer.Finished) run.Trainer.RunEpoch(); });
        Assert.Contains("perplexity overflows", ex.Message);
        Assert.True(worst < 709.8, $"a step with loss {worst} was accepted");
    }

    [Fact]
    public void TextShorterThanOneMinibatchNamesTheOptions()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("short.txt"), "just a few characters here");
        var ex = Assert.Throws<InvalidDataException>(() => LanguageModelRun.Start(Tiny(dir.File("short.txt"))));
        Assert.Contains("--batch", ex.Message);
        Assert.Contains("4 × 6 + 1", ex.Message);
    }

    [Theory]
    [InlineData(2, 2)]     // interrupted inside epoch 2
    [InlineData(1, 0)]     // interrupted at the end of epoch 1 (a boundary)
    public void ResumeAfterAnInterruptionIsExact(int stopEpoch, int stopStep)
    {
        using var dir = new TempDir();
        string text = WriteText(dir);
        var settings = Tiny(text, epochs: 3);

        var straight = LanguageModelRun.Start(settings);
        while (!straight.Trainer.Finished) straight.Trainer.RunEpoch();

        string runDir = dir.File("run");
        var first = LanguageModelRun.Start(settings);
        using (var cts = new CancellationTokenSource())
        {
            first.Trainer.OnStep = r => { if (r.Epoch == stopEpoch && (r.Step == stopStep || stopStep == 0 && r.Step == r.StepsInEpoch)) cts.Cancel(); };
            while (!first.Trainer.Finished && !cts.IsCancellationRequested)
                first.Trainer.RunEpoch(cts.Token);
        }
        Assert.Equal(stopStep > 0, first.Trainer.State.InsideEpoch);
        first.SaveLast(runDir);

        var resumed = LanguageModelRun.Resume(runDir);
        Assert.Equal(first.Trainer.State.CompletedEpochs, resumed.Trainer.State.CompletedEpochs);
        while (!resumed.Trainer.Finished) resumed.Trainer.RunEpoch();

        foreach (var ((name, a), (_, b)) in straight.Model.NamedParameters().Zip(resumed.Model.NamedParameters()))
            Assert.True(a.Data.SequenceEqual(b.Data), $"parameter {name} differs after resume");
        Assert.Equal(straight.Trainer.State.History.Select(m => m.TrainLoss), resumed.Trainer.State.History.Select(m => m.TrainLoss));
        Assert.Equal(straight.Trainer.State.History.Select(m => m.ValLoss), resumed.Trainer.State.History.Select(m => m.ValLoss));
    }

    [Fact]
    public void ResumeRefusesAChangedText()
    {
        using var dir = new TempDir();
        string text = WriteText(dir);
        var run = LanguageModelRun.Start(Tiny(text, epochs: 2));
        run.Trainer.RunEpoch();
        run.SaveLast(dir.File("run"));
        File.AppendAllText(text, "more text");
        Assert.Contains("changed", Assert.Throws<InvalidDataException>(() => LanguageModelRun.Resume(dir.File("run"))).Message);
    }

    [Fact]
    public void CheckpointRoundTripsModelAndVocabulary()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("pt.txt"), string.Concat(Enumerable.Repeat("Não há ação sem coração; é você? ", 20)));
        var run = LanguageModelRun.Start(Tiny(dir.File("pt.txt"), epochs: 1) with { Embed = 5, Mode = RecurrentMode.Gru });
        run.Trainer.RunEpoch();
        run.SaveBest(dir.File("run"));
        var bundle = LanguageModelCheckpoint.Load(Path.Combine(dir.File("run"), "best"));
        Assert.Equal(run.Vocabulary.Tokens, bundle.Vocabulary.Tokens);
        Assert.Contains("ã", bundle.Vocabulary.Tokens);
        Assert.Equal(run.Model.Config, bundle.Model.Config);
        foreach (var ((name, a), (_, b)) in run.Model.NamedParameters().Zip(bundle.Model.NamedParameters()))
            Assert.True(a.Data.SequenceEqual(b.Data), name);
    }
}
