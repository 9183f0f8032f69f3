// LanguageModel.ForwardLoss with the head and cross-entropy fused into the pipelined stack
// (Op.RecurrentStackLanguageModelLoss) against its reference twin, Forward + Op.CrossEntropy as separate ops,
// bit for bit: the loss, the final states, every parameter gradient and the dropout generator, on awkward shapes
// (odd B·H, T not a multiple of the step ranges, T ≥ 32 so the end ranges are halved), at 1–3 threads, with and
// without dropout and a carried state; plus finite differences in double and the bad-target message.
using Recurrent.Kernels;
using Recurrent.Models;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Models;

[Collection("Parallelism")]
public class LanguageModelFusedLossTests
{
    public static TheoryData<RecurrentMode, int, double> Cases()
    {
        var data = new TheoryData<RecurrentMode, int, double>();
        foreach (var mode in Enum.GetValues<RecurrentMode>())
            foreach (int layers in new[] { 2, 3 })
                foreach (double dropout in new[] { 0.0, 0.3 })
                    data.Add(mode, layers, dropout);
        return data;
    }

    private static List<(string Name, float[] Values)> Step(LanguageModel<float> model, int[] ids, int[] targets, int B, int T,
        LanguageModelState<float>? state, ulong[] dropoutState, bool fused)
    {
        foreach (var p in model.Parameters()) p.Grad = null;
        if (state is not null) { state.H.Grad = null; state.H.RequiresGrad = true; if (state.C is { } c) { c.Grad = null; c.RequiresGrad = true; } }
        model.Rnn.DropoutRng.SetState(dropoutState);
        bool saved = LanguageModel<float>.FuseHead;
        LanguageModel<float>.FuseHead = fused;
        try
        {
            var (loss, next) = model.ForwardLoss(ids, targets, B, T, state);
            loss.Backward();
            var result = new List<(string, float[])> { ("loss", loss.ToArray()), ("h_n", next.H.ToArray()) };
            if (next.C is not null) result.Add(("c_n", next.C.ToArray()));
            foreach (var (name, p) in model.NamedParameters()) result.Add(("d " + name, p.Grad!.ToArray()));
            if (state is not null)
            {
                result.Add(("d h0", state.H.Grad!.ToArray()));
                if (state.C is not null) result.Add(("d c0", state.C.Grad!.ToArray()));
            }
            result.Add(("dropout generator state (top 24 bits)", model.Rnn.DropoutRng.GetState().Select(u => (float)(u >> 40)).ToArray()));
            return result;
        }
        finally { LanguageModel<float>.FuseHead = saved; }
    }

    [Theory, MemberData(nameof(Cases))]
    public void FusedLossIsBitIdenticalToSeparateOps(RecurrentMode mode, int layers, double dropout)
    {
        foreach (int T in new[] { 11, 37 })
            foreach (bool carried in new[] { false, true })
                Compare(mode, layers, dropout, T, carried);
    }

    private static void Compare(RecurrentMode mode, int layers, double dropout, int T, bool carried)
    {
        const int B = 5, V = 13, H = 9;                                // B·H = 45: dropout ranges start at odd indices
        var rng = new Rng(31);
        var model = new LanguageModel<float>(new LanguageModelConfig(V, mode, H, layers, false, dropout), rng);
        var ids = Enumerable.Range(0, B * T).Select(_ => rng.NextInt(V)).ToArray();
        var targets = Enumerable.Range(0, B * T).Select(_ => rng.NextInt(V)).ToArray();
        LanguageModelState<float>? state = carried
            ? new LanguageModelState<float>(Tensor<float>.Normal(rng, 0, 0.5f, layers, B, H),
                mode == RecurrentMode.Lstm ? Tensor<float>.Normal(rng, 0, 0.5f, layers, B, H) : null)
            : null;
        var dropoutState = model.Rnn.DropoutRng.GetState();
        using var settings = ParallelSettings.Save(tinyShapesInParallel: true);   // tiny shapes still run the layers on their own threads
        Parallelism.Threads = 1;
        var reference = Step(model, ids, targets, B, T, state, dropoutState, fused: false);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            Parallelism.Threads = threads;
            var fused = Step(model, ids, targets, B, T, state, dropoutState, fused: true);
            Assert.Equal(reference.Count, fused.Count);
            for (int i = 0; i < reference.Count; i++)
                Assert.True(reference[i].Values.AsSpan().SequenceEqual(fused[i].Values),
                    $"{mode} L={layers} p={dropout} T={T} carried={carried} threads={threads}: {reference[i].Name} differs from Forward + CrossEntropy");
        }
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm, 2)]
    [InlineData(RecurrentMode.Gru, 3)]
    public void FusedLossGradientsMatchFiniteDifferences(RecurrentMode mode, int layers)
    {
        const int B = 3, T = 4, V = 5, H = 3;
        var rng = new Rng(43);
        var model = new LanguageModel<double>(new LanguageModelConfig(V, mode, H, layers, false, 0.4), rng);
        var ids = Enumerable.Range(0, B * T).Select(_ => rng.NextInt(V)).ToArray();
        var targets = Enumerable.Range(0, B * T).Select(_ => rng.NextInt(V)).ToArray();
        var h0 = Tensor<double>.Normal(rng, 0, 0.5, layers, B, H);
        var c0 = mode == RecurrentMode.Lstm ? Tensor<double>.Normal(rng, 0, 0.5, layers, B, H) : null;
        var dropoutState = model.Rnn.DropoutRng.GetState();             // the same masks at every evaluation
        var inputs = model.Parameters().Append(h0).Concat(c0 is null ? [] : [c0]).ToArray();
        using var settings = ParallelSettings.Save(tinyShapesInParallel: true);
        Parallelism.Threads = 2;
        GradCheck.Check(inputs, () =>
        {
            model.Rnn.DropoutRng.SetState(dropoutState);
            var (loss, next) = model.ForwardLoss(ids, targets, B, T, new LanguageModelState<double>(h0, c0));
            return next.C is null ? [loss, next.H] : [loss, next.H, next.C];
        }, $"{mode} fused head + loss L={layers}");
    }

    [Fact]
    public void TargetOutsideTheVocabularyIsAClearError()
    {
        var model = new LanguageModel<float>(new LanguageModelConfig(7, RecurrentMode.Lstm, 4, 2), new Rng(1));
        var ids = new int[2 * 3];
        var targets = new[] { 0, 1, 2, 3, 7, 0 };
        var e = Assert.Throws<ArgumentException>(() => model.ForwardLoss(ids, targets, 2, 3));
        Assert.Contains("target 7", e.Message);
        Assert.Contains("0..6", e.Message);
    }
}
