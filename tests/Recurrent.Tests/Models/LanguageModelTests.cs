// The language model: PyTorch names, shapes, gradients end to end, state carrying, and the step-wise
// inference path agreeing with the training-time forward.
using Recurrent.Generation;
using Recurrent.Models;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Models;

public class LanguageModelTests
{
    private static int[] Ids(Rng rng, int n, int v) => Enumerable.Range(0, n).Select(_ => rng.NextInt(v)).ToArray();

    [Fact]
    public void ParameterNamesAreTorchLmQualitys()
    {
        var oneHot = new LanguageModel<float>(new LanguageModelConfig(28, RecurrentMode.Lstm, 8, NumLayers: 2, Dropout: 0.2), new Rng(1));
        Assert.Equal(
            ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
             "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1", "head.weight", "head.bias"],
            oneHot.NamedParameters().Select(p => p.Name));
        Assert.Equal([32, 28], oneHot.StateDict()["rnn.weight_ih_l0"].Shape.ToArray());
        var emb = new LanguageModel<float>(new LanguageModelConfig(10, RecurrentMode.Gru, 6, Bidirectional: true, EmbedDim: 5), new Rng(1));
        Assert.Equal("embedding.weight", emb.NamedParameters().First().Name);
        Assert.Equal([10, 12], emb.StateDict()["head.weight"].Shape.ToArray());       // head over D·H
        Assert.Equal([18, 5], emb.StateDict()["rnn.weight_ih_l0_reverse"].Shape.ToArray());
    }

    [Fact]
    public void LogitsAreBatchMajorAndStateHasLayersTimesDirections()
    {
        var m = new LanguageModel<float>(new LanguageModelConfig(7, RecurrentMode.Lstm, 5, NumLayers: 2, Bidirectional: true), new Rng(2));
        var (logits, state) = m.Forward(Ids(new Rng(3), 3 * 4, 7), 3, 4);
        Assert.Equal([3, 4, 7], logits.Shape.ToArray());
        Assert.Equal([4, 3, 5], state.H.Shape.ToArray());
        Assert.NotNull(state.C);
        Assert.Throws<ArgumentException>(() => m.Forward([1, 2, 3], 2, 2));
        Assert.ThrowsAny<ArgumentException>(() => m.Forward([0, 9], 1, 2));         // id outside the vocabulary
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm, 0, false)]
    [InlineData(RecurrentMode.Gru, 3, false)]
    [InlineData(RecurrentMode.RnnTanh, 0, true)]
    public void GradientOfTheLossMatchesFiniteDifferences(RecurrentMode mode, int embed, bool bidirectional)
    {
        var m = new LanguageModel<double>(new LanguageModelConfig(5, mode, 3, NumLayers: 2, Bidirectional: bidirectional, EmbedDim: embed), new Rng(4));
        var rng = new Rng(5);
        int[] x = Ids(rng, 2 * 3, 5), y = Ids(rng, 2 * 3, 5);
        var h0 = Tensor<double>.Uniform(rng, -0.5, 0.5, 2 * (bidirectional ? 2 : 1), 2, 3);
        var c0 = mode == RecurrentMode.Lstm ? Tensor<double>.Uniform(rng, -0.5, 0.5, 2 * (bidirectional ? 2 : 1), 2, 3) : null;
        var parameters = m.Parameters().ToArray();
        GradCheck.Check(parameters, () =>
        {
            var (logits, _) = m.Forward(x, 2, 3, new LanguageModelState<double>(h0, c0));
            return [Op.CrossEntropy(logits, y)];
        }, $"LM {mode}", rtol: 1e-5, atol: 1e-8);
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm)]
    [InlineData(RecurrentMode.Gru)]
    [InlineData(RecurrentMode.RnnRelu)]
    public void TwoWindowsWithCarriedStateEqualOneLongWindow(RecurrentMode mode)
    {
        var m = new LanguageModel<double>(new LanguageModelConfig(6, mode, 4, NumLayers: 2), new Rng(6));
        int B = 2, T = 5;
        int[] ids = Ids(new Rng(7), B * 2 * T, 6);                          // [B, 2T]
        var (whole, wholeState) = m.Forward(ids, B, 2 * T);
        int[] a = new int[B * T], b = new int[B * T];
        for (int r = 0; r < B; r++)
        {
            Array.Copy(ids, r * 2 * T, a, r * T, T);
            Array.Copy(ids, r * 2 * T + T, b, r * T, T);
        }
        var (la, sa) = m.Forward(a, B, T);
        var (lb, sb) = m.Forward(b, B, T, sa.Detach());
        var V = 6;
        var joined = new double[whole.Length];
        for (int r = 0; r < B; r++)
        {
            la.Data.Slice(r * T * V, T * V).CopyTo(joined.AsSpan(r * 2 * T * V));
            lb.Data.Slice(r * T * V, T * V).CopyTo(joined.AsSpan(r * 2 * T * V + T * V));
        }
        Tolerance.AssertClose(whole.Data.ToArray(), joined, 1e-12, 1e-12, "logits");
        Tolerance.AssertClose(wholeState.H.Data.ToArray(), sb.H.Data.ToArray(), 1e-12, 1e-12, "h_n");
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm, 0, false)]
    [InlineData(RecurrentMode.Gru, 4, false)]
    [InlineData(RecurrentMode.RnnTanh, 0, false)]
    [InlineData(RecurrentMode.Lstm, 0, true)]
    public void SteppingMatchesForward(RecurrentMode mode, int embed, bool bidirectional)
    {
        var m = new LanguageModel<float>(new LanguageModelConfig(9, mode, 6, NumLayers: 2, Bidirectional: bidirectional, EmbedDim: embed), new Rng(8));
        int[] ids = Ids(new Rng(9), 7, 9);
        var stepper = new LanguageModelStepper<float>(m);
        var stepped = new List<float>();
        foreach (int id in ids) stepped.AddRange(stepper.Feed(id).ToArray());
        float[] expected;
        if (!bidirectional)
        {
            var (logits, _) = m.Forward(ids, 1, ids.Length);
            expected = logits.ToArray();
        }
        else
        {
            // The book's generation of a bidirectional model: one-step windows with the state carried.
            var list = new List<float>();
            LanguageModelState<float>? s = null;
            foreach (int id in ids) { var (l, n) = m.Forward([id], 1, 1, s); list.AddRange(l.ToArray()); s = n; }
            expected = list.ToArray();
        }
        Tolerance.AssertClose(expected, stepped.ToArray(), 1e-5, 1e-5, "stepped logits");
    }

    [Fact]
    public void GreedyGenerationFollowsTheArgmaxChainAndSamplingIsSeeded()
    {
        var m = new LanguageModel<float>(new LanguageModelConfig(6, RecurrentMode.Gru, 5), new Rng(10));
        var generated = TextGenerator.Generate(m, [1, 2, 3], 8, SamplingOptions.Greedy, new Rng(1));
        var stepper = new LanguageModelStepper<float>(m);
        foreach (int id in new[] { 1, 2, 3 }) stepper.Feed(id);
        foreach (int g in generated)
        {
            Assert.Equal(TokenSampler.ArgMax(stepper.Logits), g);
            stepper.Feed(g);
        }
        var opts = new SamplingOptions(1.2, TopK: 4);
        Assert.Equal(TextGenerator.Generate(m, [1], 30, opts, new Rng(5)), TextGenerator.Generate(m, [1], 30, opts, new Rng(5)));
        Assert.Throws<ArgumentException>(() => TextGenerator.Generate(m, [], 5, opts, new Rng(5)));
    }

    [Fact]
    public void ConfigRejectsBadSizes()
    {
        Assert.Contains("--hidden", Assert.Throws<ArgumentException>(() => new LanguageModelConfig(5, RecurrentMode.Lstm, 0).Validate()).Message);
        Assert.Contains("--dropout", Assert.Throws<ArgumentException>(() => new LanguageModelConfig(5, RecurrentMode.Lstm, 4, Dropout: 1).Validate()).Message);
        Assert.Throws<ArgumentException>(() => new LanguageModelConfig(1, RecurrentMode.Lstm, 4).Validate());
    }
}
