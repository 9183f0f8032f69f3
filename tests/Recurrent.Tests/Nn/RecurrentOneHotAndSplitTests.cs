// Twins of the recurrent layer's fast paths: (1) one-hot input given as token ids (row gather of W_ihᵀ,
// scatter-add into dW_ih) against the dense layer on Op.OneHot, plus finite differences; (2) the time loop
// split over blocks of batch rows across threads against the single-threaded loop, bit for bit.
using Recurrent.Kernels;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Nn;

public class RecurrentOneHotAndSplitTests
{
    public static TheoryData<RecurrentMode, int, bool, bool> Cases()
    {
        var data = new TheoryData<RecurrentMode, int, bool, bool>();
        foreach (var mode in Enum.GetValues<RecurrentMode>())
            foreach (int layers in new[] { 1, 2 })
                foreach (bool bi in new[] { false, true })
                    foreach (bool masked in new[] { false, true })
                        data.Add(mode, layers, bi, masked);
        return data;
    }

    private static int[] Ids(Rng rng, int count, int vocab) => Enumerable.Range(0, count).Select(_ => rng.NextInt(vocab)).ToArray();

    // Outputs, final states and every gradient (parameters, h0, c0) of one forward/backward pass.
    private static List<(string Name, T[] Values)> RunOnce<T>(RecurrentStack<T> stack, Func<Tensor<T>?, Tensor<T>?, RecurrentResult<T>> forward,
        Tensor<T> h0, Tensor<T>? c0, ulong seed) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        foreach (var p in stack.Parameters()) p.Grad = null;
        h0.Grad = null; h0.RequiresGrad = true;
        if (c0 is not null) { c0.Grad = null; c0.RequiresGrad = true; }
        var r = forward(h0, c0);
        var rng = new Rng(seed);
        var outs = r.CN is null ? new[] { r.Output, r.HN } : [r.Output, r.HN, r.CN];
        var weights = outs.Select(o => Tensor<T>.Uniform(rng, -T.One, T.One, o.Shape.ToArray())).ToArray();
        Recurrent.Autograd.Backprop.Run(outs, weights);
        var result = new List<(string, T[])> { ("output", r.Output.ToArray()), ("h_n", r.HN.ToArray()) };
        if (r.CN is not null) result.Add(("c_n", r.CN.ToArray()));
        foreach (var (name, p) in stack.NamedParameters()) result.Add(("d " + name, p.Grad!.ToArray()));
        result.Add(("d h0", h0.Grad!.ToArray()));
        if (c0 is not null) result.Add(("d c0", c0.Grad!.ToArray()));
        return result;
    }

    [Theory, MemberData(nameof(Cases))]
    public void OneHotIdsMatchDenseOneHotInDouble(RecurrentMode mode, int layers, bool bi, bool masked)
    {
        const int B = 4, T = 5, V = 7, H = 6;
        var rng = new Rng(31);
        var stack = new RecurrentStack<double>(mode, V, H, rng, layers, bi);
        var ids = Ids(rng, B * T, V);
        int S = layers * stack.NumDirections;
        var h0 = Tensor<double>.Normal(rng, 0, 0.5, S, B, H);
        var c0 = mode == RecurrentMode.Lstm ? Tensor<double>.Normal(rng, 0, 0.5, S, B, H) : null;
        int[]? lengths = masked ? [5, 2, 0, 4] : null;
        var dense = RunOnce(stack, (h, c) => stack.Forward(Op.OneHot<double>(ids, V, [B, T]), h, c, lengths), h0, c0, 5);
        var gathered = RunOnce(stack, (h, c) => stack.ForwardOneHot(ids, B, T, h, c, lengths), h0, c0, 5);
        Assert.Equal(dense.Count, gathered.Count);
        for (int i = 0; i < dense.Count; i++)
            Tolerance.AssertClose(dense[i].Values, gathered[i].Values, 1e-13, 1e-13, $"{mode} L={layers} bi={bi} masked={masked}: {dense[i].Name}");
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm)]
    [InlineData(RecurrentMode.Gru)]
    [InlineData(RecurrentMode.RnnTanh)]
    public void OneHotIdsForwardIsBitIdenticalToDenseInFloat(RecurrentMode mode)
    {
        // x·W_ihᵀ with a one-hot x adds only exact zeros to W_ih's column, so the gathered projection (and all
        // that follows in the forward pass) equals the GEMM path exactly; dW_ih only sums in another order.
        const int B = 9, T = 7, V = 29, H = 37;
        var rng = new Rng(3);
        var stack = new RecurrentStack<float>(mode, V, H, rng, 2, bidirectional: true);
        var ids = Ids(rng, B * T, V);
        int S = 2 * stack.NumDirections;
        var h0 = Tensor<float>.Normal(rng, 0, 0.5f, S, B, H);
        var c0 = mode == RecurrentMode.Lstm ? Tensor<float>.Normal(rng, 0, 0.5f, S, B, H) : null;
        var dense = RunOnce(stack, (h, c) => stack.Forward(Op.OneHot<float>(ids, V, [B, T]), h, c), h0, c0, 8);
        var gathered = RunOnce(stack, (h, c) => stack.ForwardOneHot(ids, B, T, h, c), h0, c0, 8);
        for (int i = 0; i < dense.Count; i++)
        {
            if (dense[i].Name is "output" or "h_n" or "c_n")
                Assert.True(dense[i].Values.AsSpan().SequenceEqual(gathered[i].Values), $"{mode}: {dense[i].Name} differs");
            else
                Tolerance.AssertClose(dense[i].Values, gathered[i].Values, 1e-5, 1e-6, $"{mode}: {dense[i].Name}");
        }
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm, false)]
    [InlineData(RecurrentMode.Lstm, true)]
    [InlineData(RecurrentMode.Gru, true)]
    [InlineData(RecurrentMode.RnnRelu, false)]
    public void OneHotIdsGradientsMatchFiniteDifferences(RecurrentMode mode, bool bi)
    {
        const int B = 3, T = 3, V = 4, H = 3;
        var rng = new Rng(13);
        var stack = new RecurrentStack<double>(mode, V, H, rng, 2, bi);
        var ids = Ids(rng, B * T, V);
        int[] lengths = [3, 1, 2];
        GradCheck.Check(stack.Parameters().ToArray(), () =>
        {
            var r = stack.ForwardOneHot(ids, B, T, lengths: lengths);
            return r.CN is null ? [r.Output, r.HN] : [r.Output, r.HN, r.CN];
        }, $"{mode} one-hot bi={bi}");
    }

    [Fact]
    public void OneHotIdsOutsideTheVocabularyAreRejectedWithTheOpName()
    {
        var stack = new RecurrentStack<float>(RecurrentMode.Lstm, 5, 4, new Rng(1));
        var e = Assert.Throws<ArgumentException>(() => stack.ForwardOneHot([0, 1, 5, 2], 2, 2));
        Assert.Contains("token id 5", e.Message);
        Assert.Contains("0..4", e.Message);
        Assert.Throws<ArgumentException>(() => stack.ForwardOneHot([0, 1, 2], 2, 2));
    }

    [Theory, MemberData(nameof(Cases))]
    public void RowSplitAcrossThreadsIsBitIdenticalToOneThread(RecurrentMode mode, int layers, bool bi, bool masked)
    {
        // B = 7 rows split 4 + 3 (2 threads) or 3 + 2 + 2 (3 threads); the thresholds are lowered so tiny shapes split
        // (also the row passes: one-hot gather, dW_ih scatter and bias sums over gate columns).
        const int B = 7, T = 6, V = 11, H = 20;
        var rng = new Rng(17);
        var stack = new RecurrentStack<float>(mode, V, H, rng, layers, bi);
        var x = Tensor<float>.Normal(rng, 0, 1, B, T, V);
        int S = layers * stack.NumDirections;
        var h0 = Tensor<float>.Normal(rng, 0, 0.5f, S, B, H);
        var c0 = mode == RecurrentMode.Lstm ? Tensor<float>.Normal(rng, 0, 0.5f, S, B, H) : null;
        int[]? lengths = masked ? [6, 2, 0, 4, 6, 1, 5] : null;
        var ids = Ids(rng, B * T, V);
        int savedThreads = Parallelism.Threads;
        long savedMin = Op.RecurrentParallelMinWork, savedPassMin = Op.RecurrentPassParallelMinElements;
        try
        {
            Op.RecurrentParallelMinWork = 0;
            Op.RecurrentPassParallelMinElements = 0;
            foreach (bool oneHot in new[] { false, true })
            {
                RecurrentResult<float> Forward(Tensor<float>? h, Tensor<float>? c)
                    => oneHot ? stack.ForwardOneHot(ids, B, T, h, c, lengths) : stack.Forward(x, h, c, lengths);
                Parallelism.Threads = 1;
                var one = RunOnce(stack, Forward, h0, c0, 2);
                foreach (int threads in new[] { 2, 3 })
                {
                    Parallelism.Threads = threads;
                    var many = RunOnce(stack, Forward, h0, c0, 2);
                    for (int i = 0; i < one.Count; i++)
                        Assert.True(one[i].Values.AsSpan().SequenceEqual(many[i].Values),
                            $"{mode} L={layers} bi={bi} masked={masked} one-hot={oneHot}: {one[i].Name} differs between 1 and {threads} threads");
                }
            }
        }
        finally
        {
            Parallelism.Threads = savedThreads;
            Op.RecurrentParallelMinWork = savedMin;
            Op.RecurrentPassParallelMinElements = savedPassMin;
        }
    }
}
