// The pipelined deep stack (Op.RecurrentStackPipelined: layers on different threads, dropout and the
// between-layer gradients inside the op) against its reference twin, the layer-by-layer path
// (Op.RecurrentLayer per layer + Op.Dropout), bit for bit, on awkward shapes (odd B·H so dropout ranges start
// at odd flat indices, T not a multiple of the 8 step ranges), 1–3 threads; plus finite differences in double.
using Recurrent.Kernels;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Nn;

[Collection("Parallelism")]
public class RecurrentPipelineTests
{
    public static TheoryData<RecurrentMode, int, double, bool> Cases()
    {
        var data = new TheoryData<RecurrentMode, int, double, bool>();
        foreach (var mode in Enum.GetValues<RecurrentMode>())
            foreach (int layers in new[] { 2, 3 })
                foreach (double dropout in new[] { 0.0, 0.3 })
                    foreach (bool oneHot in new[] { false, true })
                        data.Add(mode, layers, dropout, oneHot);
        return data;
    }

    // Outputs, final states, every gradient (parameters, input, h0, c0) and the dropout generator's next draw.
    private static List<(string Name, float[] Values)> RunOnce(RecurrentStack<float> stack, bool oneHot, int[] ids, Tensor<float> x,
        Tensor<float> h0, Tensor<float>? c0, ulong[] dropoutState, int B, int T)
    {
        foreach (var p in stack.Parameters()) p.Grad = null;
        x.Grad = null; x.RequiresGrad = !oneHot;
        h0.Grad = null; h0.RequiresGrad = true;
        if (c0 is not null) { c0.Grad = null; c0.RequiresGrad = true; }
        stack.DropoutRng.SetState(dropoutState);
        var r = oneHot ? stack.ForwardOneHot(ids, B, T, h0, c0) : stack.Forward(x, h0, c0);
        var rng = new Rng(7);
        var outs = r.CN is null ? new[] { r.Output, r.HN } : [r.Output, r.HN, r.CN];
        var weights = outs.Select(o => Tensor<float>.Uniform(rng, -1f, 1f, o.Shape.ToArray())).ToArray();
        Recurrent.Autograd.Backprop.Run(outs, weights);
        var result = new List<(string, float[])> { ("output", r.Output.ToArray()), ("h_n", r.HN.ToArray()) };
        if (r.CN is not null) result.Add(("c_n", r.CN.ToArray()));
        foreach (var (name, p) in stack.NamedParameters()) result.Add(("d " + name, p.Grad!.ToArray()));
        if (!oneHot) result.Add(("d x", x.Grad!.ToArray()));
        result.Add(("d h0", h0.Grad!.ToArray()));
        if (c0 is not null) result.Add(("d c0", c0.Grad!.ToArray()));
        result.Add(("dropout generator state (top 24 bits)", stack.DropoutRng.GetState().Select(u => (float)(u >> 40)).ToArray()));
        return result;
    }

    [Theory, MemberData(nameof(Cases))]
    public void PipelineIsBitIdenticalToLayerByLayer(RecurrentMode mode, int layers, double dropout, bool oneHot)
    {
        foreach (int T in new[] { 11, 37 })                         // 37: ≥ 32 steps, so the first and last ranges are halved
            CompareWithLayerByLayer(mode, layers, dropout, oneHot, T);
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm, false)]
    [InlineData(RecurrentMode.Gru, true)]
    public void LastLayerInShrinkingBlocksIsBitIdentical(RecurrentMode mode, bool oneHot)
    {
        // G ≥ 512 rows: the last layer's weight gradients run in blocks of G/2, G/4, … (RecurrentPipeline.TailBounds).
        CompareWithLayerByLayer(mode, 2, 0.3, oneHot, 7, H: mode == RecurrentMode.Lstm ? 131 : 171, B: 3);
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm, 2, false, 7)]
    [InlineData(RecurrentMode.Lstm, 3, true, 5)]
    [InlineData(RecurrentMode.Gru, 2, false, 1)]
    [InlineData(RecurrentMode.RnnTanh, 3, false, 12)]
    public void RangeGemmsInRowBlocksAreBitIdentical(RecurrentMode mode, int layers, bool oneHot, int blockRows)
    {
        // RecurrentDirection.RangeGemmRows: a stage's projection and a fill's dGates·W_ih run as blocks of rows (here
        // blocks that do not divide a range's B·steps rows, and single rows).
        int saved = RecurrentDirection<float>.RangeGemmRows;
        try
        {
            RecurrentDirection<float>.RangeGemmRows = blockRows;
            foreach (int T in new[] { 11, 37 }) CompareWithLayerByLayer(mode, layers, 0.3, oneHot, T);
        }
        finally { RecurrentDirection<float>.RangeGemmRows = saved; }
    }

    private static void CompareWithLayerByLayer(RecurrentMode mode, int layers, double dropout, bool oneHot, int T, int H = 9, int B = 5)
    {
        const int V = 13;                                          // B·H = 45: dropout ranges start at odd indices
        var rng = new Rng(23);
        var stack = new RecurrentStack<float>(mode, V, H, rng, layers, dropout: dropout);
        var ids = Enumerable.Range(0, B * T).Select(_ => rng.NextInt(V)).ToArray();
        var x = Tensor<float>.Normal(rng, 0, 1, B, T, V);
        var h0 = Tensor<float>.Normal(rng, 0, 0.5f, layers, B, H);
        var c0 = mode == RecurrentMode.Lstm ? Tensor<float>.Normal(rng, 0, 0.5f, layers, B, H) : null;
        var dropoutState = stack.DropoutRng.GetState();
        using var settings = ParallelSettings.Save(tinyShapesInParallel: true);   // tiny shapes still run the layers on their own threads
        Parallelism.Threads = 1;
        RecurrentStack<float>.UsePipeline = false;
        var reference = RunOnce(stack, oneHot, ids, x, h0, c0, dropoutState, B, T);
        RecurrentStack<float>.UsePipeline = true;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            Parallelism.Threads = threads;
            var piped = RunOnce(stack, oneHot, ids, x, h0, c0, dropoutState, B, T);
            Assert.Equal(reference.Count, piped.Count);
            for (int i = 0; i < reference.Count; i++)
                Assert.True(reference[i].Values.AsSpan().SequenceEqual(piped[i].Values),
                    $"{mode} L={layers} p={dropout} one-hot={oneHot} T={T} threads={threads}: {reference[i].Name} differs from the layer-by-layer path");
        }
    }

    [Theory]
    [InlineData(1, false, false)]
    [InlineData(2, false, true)]
    [InlineData(2, true, false)]
    [InlineData(1, true, true)]
    [InlineData(3, false, false)]
    public void LstmGradientsOverActivationsAreBitIdentical(int threads, bool bidirectional, bool withLengths)
    {
        // RecurrentDirection.GradientsOverActivations: the backward steps write the gate gradients over the saved
        // activations; its twin writes them to a separate buffer. Pipelined and layer-by-layer, variable lengths, both
        // directions, the time loop split over rows (3 threads, B=5).
        const int B = 5, T = 37, V = 7, H = 11, L = 2;
        var rng = new Rng(31);
        int D = bidirectional ? 2 : 1;
        var stack = new RecurrentStack<float>(RecurrentMode.Lstm, V, H, rng, L, bidirectional, dropout: 0.25);
        var x = Tensor<float>.Normal(rng, 0, 1, B, T, V);
        var h0 = Tensor<float>.Normal(rng, 0, 0.5f, L * D, B, H);
        var c0 = Tensor<float>.Normal(rng, 0, 0.5f, L * D, B, H);
        int[]? lengths = withLengths ? [37, 5, 20, 1, 36] : null;
        var state = stack.DropoutRng.GetState();
        int savedThreads = Parallelism.Threads;
        long savedMin = Op.RecurrentParallelMinWork;
        List<float[]> Run()
        {
            foreach (var p in stack.Parameters()) p.Grad = null;
            x.Grad = null; x.RequiresGrad = true; h0.Grad = null; h0.RequiresGrad = true; c0.Grad = null; c0.RequiresGrad = true;
            stack.DropoutRng.SetState(state);
            var r = stack.Forward(x, h0, c0, lengths);
            var w = new Rng(9);
            var outs = new[] { r.Output, r.HN, r.CN! };
            Recurrent.Autograd.Backprop.Run(outs, outs.Select(o => Tensor<float>.Uniform(w, -1f, 1f, o.Shape.ToArray())).ToArray());
            return [r.Output.ToArray(), r.HN.ToArray(), r.CN!.ToArray(), .. stack.Parameters().Select(p => p.Grad!.ToArray()),
                x.Grad!.ToArray(), h0.Grad!.ToArray(), c0.Grad!.ToArray()];
        }
        try
        {
            Op.RecurrentParallelMinWork = 0;
            Parallelism.Threads = threads;
            foreach (bool pipeline in new[] { false, true })
            {
                RecurrentStack<float>.UsePipeline = pipeline;
                RecurrentDirection<float>.GradientsOverActivations = false;
                var separate = Run();
                RecurrentDirection<float>.GradientsOverActivations = true;
                var over = Run();
                for (int i = 0; i < separate.Count; i++)
                    Assert.True(separate[i].AsSpan().SequenceEqual(over[i]), $"threads={threads} bidirectional={bidirectional} lengths={withLengths} pipeline={pipeline}: result {i} differs");
            }
        }
        finally
        {
            Parallelism.Threads = savedThreads;
            Op.RecurrentParallelMinWork = savedMin;
            RecurrentStack<float>.UsePipeline = true;
            RecurrentDirection<float>.GradientsOverActivations = true;
        }
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm, 2, false)]
    [InlineData(RecurrentMode.Lstm, 3, true)]
    [InlineData(RecurrentMode.Gru, 2, true)]
    [InlineData(RecurrentMode.RnnTanh, 2, false)]
    public void PipelineGradientsMatchFiniteDifferences(RecurrentMode mode, int layers, bool oneHot)
    {
        const int B = 3, T = 4, V = 4, H = 3;
        var rng = new Rng(41);
        var stack = new RecurrentStack<double>(mode, V, H, rng, layers, dropout: 0.4);
        var ids = Enumerable.Range(0, B * T).Select(_ => rng.NextInt(V)).ToArray();
        var x = Tensor<double>.Normal(rng, 0, 1, B, T, V);
        var h0 = Tensor<double>.Normal(rng, 0, 0.5, layers, B, H);
        var c0 = mode == RecurrentMode.Lstm ? Tensor<double>.Normal(rng, 0, 0.5, layers, B, H) : null;
        var state = stack.DropoutRng.GetState();                   // the same masks at every evaluation
        var inputs = stack.Parameters().Append(h0).Concat(c0 is null ? [] : [c0]).Concat(oneHot ? [] : [x]).ToArray();
        using var settings = ParallelSettings.Save(tinyShapesInParallel: true);
        Parallelism.Threads = 2;
        GradCheck.Check(inputs, () =>
        {
            stack.DropoutRng.SetState(state);
            var r = oneHot ? stack.ForwardOneHot(ids, B, T, h0, c0) : stack.Forward(x, h0, c0);
            return r.CN is null ? [r.Output, r.HN] : [r.Output, r.HN, r.CN];
        }, $"{mode} pipelined L={layers} one-hot={oneHot}");
    }

    [Fact]
    public void PartGemmOnOneThreadIsBitIdenticalToGemm()
    {
        // Inside a pipeline part the layer's GEMMs run unsplit on the calling thread; the twin is the split Gemm.Multiply.
        var rng = new Rng(5);
        int savedThreads = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 2;
            foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 13, 5), (97, 33, 300), (256, 40, 19), (33, 1024, 257) })
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                        foreach (bool acc in new[] { false, true })
                        {
                            var a = Tensor<float>.Normal(rng, 0, 1, m * k).ToArray();
                            var b = Tensor<float>.Normal(rng, 0, 1, k * n).ToArray();
                            var c0 = Tensor<float>.Normal(rng, 0, 1, m * n).ToArray();
                            var expected = (float[])c0.Clone();
                            Gemm.Multiply(ta, tb, m, n, k, a, b, expected, acc);
                            var actual = (float[])c0.Clone();
                            PartGemm.InPart = true;
                            try { PartGemm.Multiply(ta, tb, m, n, k, a, b, actual, acc); }
                            finally { PartGemm.InPart = false; }
                            Assert.True(expected.AsSpan().SequenceEqual(actual), $"m={m} n={n} k={k} ta={ta} tb={tb} acc={acc}");
                        }
        }
        finally { Parallelism.Threads = savedThreads; }
    }

    [Fact]
    public void EvaluationModeSkipsDropoutAndDrawsNothing()
    {
        const int B = 2, T = 3, V = 5, H = 4;
        var stack = new RecurrentStack<float>(RecurrentMode.Lstm, V, H, new Rng(2), 2, dropout: 0.5);
        stack.Eval();
        var before = stack.DropoutRng.GetState();
        int[] ids = [0, 1, 2, 3, 4, 0];
        var piped = stack.ForwardOneHot(ids, B, T);
        RecurrentStack<float>.UsePipeline = false;
        try
        {
            var layered = stack.ForwardOneHot(ids, B, T);
            Assert.True(piped.Output.ToArray().AsSpan().SequenceEqual(layered.Output.ToArray()));
            Assert.True(piped.HN.ToArray().AsSpan().SequenceEqual(layered.HN.ToArray()));
        }
        finally { RecurrentStack<float>.UsePipeline = true; }
        Assert.Equal(before, stack.DropoutRng.GetState());
    }
}
