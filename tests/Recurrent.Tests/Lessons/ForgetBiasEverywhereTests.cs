// The LSTM forget-gate bias (Keras' unit_forget_bias) is offered wherever Recurrent builds an LSTM:
// the stack, the language model, the forecaster, the classifier, the long-memory model, and the CLI verbs
// that train them. A non-LSTM cell with --forget-bias is a one-line usage error.
using System.Text.Json.Nodes;
using Recurrent.Cli;
using Recurrent.IO;
using Recurrent.Models;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Tests.Cli;
using Recurrent.Tests.Support;
using Recurrent.Tests.Training;
using Recurrent.Training.LongMemory;

namespace Recurrent.Tests.Lessons;

public class ForgetBiasEverywhereTests
{
    // Mean of the forget-gate slice (gates i, f, g, o) of bias_ih_l0: ≈ 0 at PyTorch's init, ≈ B with forget bias B.
    private static double ForgetSliceMean(Tensor<float> biasIh)
    {
        int h = biasIh.Length / 4;
        return biasIh.Data.Slice(h, h).ToArray().Average();
    }

    private static double ForgetSliceMean<T>(RecurrentStack<T> rnn) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => ForgetSliceMean(rnn.Weights(0).BiasIh!.Cast<float>());

    [Fact]
    public void LibraryModels_PassTheForgetBiasToTheirLstm()
    {
        var lm = new LanguageModel<float>(new LanguageModelConfig(12, RecurrentMode.Lstm, 8, ForgetBias: 1), new Rng(1));
        var fc = new RecurrentForecaster<float>(RecurrentMode.Lstm, 8, 1, 1, 8, new Rng(1), forgetBias: 1);
        var cl = new SequenceClassifier<float>(RecurrentMode.Lstm, 20, 4, 8, 2, new Rng(1), forgetBias: 1);
        var lt = new LongMemoryModel<float>(LongMemoryTask.Adding, RecurrentMode.Lstm, 8, new Rng(1), forgetBias: 1);
        foreach (var rnn in new[] { lm.Rnn, fc.Rnn, cl.Rnn, lt.Rnn })
        {
            Assert.Equal(1.0, rnn.ForgetBias);
            Assert.InRange(ForgetSliceMean(rnn), 0.75, 1.25);           // U(−1/√8, 1/√8) + 1
        }
        Assert.InRange(ForgetSliceMean(new LanguageModel<float>(new LanguageModelConfig(12, RecurrentMode.Lstm, 8), new Rng(1)).Rnn), -0.25, 0.25);
        var ex = Assert.Throws<ArgumentException>(() => new LanguageModel<float>(new LanguageModelConfig(12, RecurrentMode.Gru, 8, ForgetBias: 1), new Rng(1)));
        Assert.Contains("--forget-bias", ex.Message);
    }

    [Fact]
    public void TrainLm_ForgetBias_ReachesTheModelAndItsCheckpoint()
    {
        using var dir = new TempDir();
        string text = LanguageModelTrainingTests.WriteText(dir), run = dir.File("run");
        CliRunner.Run("train", "lm", "--text", text, "--prep", "raw", "--cell", "lstm", "--forget-bias", "1", "--hidden", "8", "--batch", "4",
            "--steps", "8", "--epochs", "1", "--quiet", "--out", run).AssertOk();
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "last", "config.json")))!.AsObject();
        Assert.Equal(1.0, config["forget_bias"]!.GetValue<double>());
        var weights = SafeTensors.Read<float>(Path.Combine(run, "last", "model.safetensors")).Tensors;
        Assert.InRange(ForgetSliceMean(weights["rnn.bias_ih_l0"]), 0.6, 1.4);
        // generate loads it back.
        CliRunner.Run("generate", "--model", run, "--prefix", "a", "--length", "5").AssertOk();
        CliRunner.Run("train", "lm", "--text", text, "--cell", "gru", "--forget-bias", "1", "--quiet", "--out", dir.File("x"))
            .AssertUserError(ExitCodes.Usage, "--forget-bias");
    }

    [Fact]
    public void TrainForecast_ForgetBias_ReachesTheLstm()
    {
        using var dir = new TempDir();
        CliRunner.Run("train", "forecast", "--cell", "lstm", "--forget-bias", "1", "--lookback", "8", "--hidden", "4", "--epochs", "1", "-q", "--out", dir.File("f")).AssertOk();
        var weights = SafeTensors.Read<float>(Path.Combine(dir.File("f"), "model.safetensors")).Tensors;
        Assert.InRange(ForgetSliceMean(weights["rnn.bias_ih_l0"]), 0.5, 1.5);
        CliRunner.Run("train", "forecast", "--cell", "gru", "--forget-bias", "1", "-q", "--out", dir.File("g")).AssertUserError(ExitCodes.Usage, "--forget-bias");
    }

    [Fact]
    public void TrainClassify_ForgetBias_ReachesTheLstm()
    {
        using var dir = new TempDir();
        CliRunner.Run("train", "classify", "--task", "negation", "--samples", "100", "--cell", "lstm", "--forget-bias", "1", "--embedding", "4", "--hidden", "4",
            "--epochs", "1", "--no-baseline", "-q", "--out", dir.File("c")).AssertOk();
        var weights = SafeTensors.Read<float>(Path.Combine(dir.File("c"), "model.safetensors")).Tensors;
        Assert.InRange(ForgetSliceMean(weights["rnn.bias_ih_l0"]), 0.5, 1.5);
        CliRunner.Run("train", "classify", "--task", "negation", "--cell", "gru", "--forget-bias", "1", "-q", "--out", dir.File("g")).AssertUserError(ExitCodes.Usage, "--forget-bias");
    }
}
