// FusedCharLm (the allocation-free bench step) against its reference twin AutogradCharLm (the general ops,
// autograd graph, GradClip and Sgd), and its allocation bound.
using Recurrent.Kernels;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Tests.Support;
using Recurrent.Training;

namespace Recurrent.Tests.Training;

public class FusedCharLmTests
{
    private static (RecurrentStack<float> Rnn, Linear<float> Head) Model(RecurrentMode mode, int v, int h, ulong seed)
    {
        var rng = new Rng(seed);
        var rnn = new RecurrentStack<float>(mode, v, h, rng);
        var head = new Linear<float>(h, v, rng);
        return (rnn, head);
    }

    private static float[] Flat(RecurrentStack<float> rnn, Linear<float> head)
        => rnn.Parameters().Concat(head.Parameters()).SelectMany(p => p.ToArray()).ToArray();

    [Theory]
    [InlineData(RecurrentMode.RnnTanh, 7, 5, 3, 4, 1.0)]
    [InlineData(RecurrentMode.RnnRelu, 6, 9, 2, 5, 0.05)]
    [InlineData(RecurrentMode.Gru, 7, 5, 3, 4, 1.0)]
    [InlineData(RecurrentMode.Gru, 5, 17, 4, 3, 0.05)]
    [InlineData(RecurrentMode.Lstm, 7, 5, 3, 4, 1.0)]
    [InlineData(RecurrentMode.Lstm, 9, 19, 5, 6, 0.05)]
    public void TrainingMatchesTheAutogradPath(RecurrentMode mode, int v, int h, int b, int t, double clip)
    {
        var (rnnA, headA) = Model(mode, v, h, 11);
        var (rnnB, headB) = Model(mode, v, h, 11);
        var fused = new FusedCharLm(rnnA, headA, b, t);
        var reference = new AutogradCharLm(rnnB, headB, b, t);
        var data = new Rng(3);
        for (int step = 0; step < 6; step++)
        {
            if (step == 4) { fused.ResetState(); reference.ResetState(); }             // an epoch boundary
            var x = new int[b * t]; var y = new int[b * t];
            for (int i = 0; i < x.Length; i++) { x[i] = data.NextInt(v); y[i] = data.NextInt(v); }
            var (lossF, normF) = fused.TrainStep(x, y, learningRate: 0.7, maxNorm: clip);
            var (lossR, normR) = reference.TrainStep(x, y, learningRate: 0.7, maxNorm: clip);
            Assert.True(Math.Abs(lossF - lossR) <= 1e-5 * Math.Abs(lossR), $"{mode} step {step}: loss {lossF:R} vs reference {lossR:R}");
            Assert.True(Math.Abs(normF - normR) <= 1e-4 * normR + 1e-7, $"{mode} step {step}: grad norm {normF:R} vs reference {normR:R}");
            Tolerance.AssertClose(Flat(rnnB, headB), Flat(rnnA, headA), 2e-5, 2e-6, $"{mode} parameters after step {step}");
            Tolerance.AssertClose(reference.HiddenState, fused.HiddenState, 2e-5, 2e-6, $"{mode} carried state after step {step}");
        }
    }

    [Theory]
    [InlineData(RecurrentMode.RnnTanh)]
    [InlineData(RecurrentMode.Gru)]
    [InlineData(RecurrentMode.Lstm)]
    public void InferenceMatchesTheAutogradPath(RecurrentMode mode)
    {
        var (rnnA, headA) = Model(mode, 8, 13, 5);
        var (rnnB, headB) = Model(mode, 8, 13, 5);
        var fused = new FusedCharLm(rnnA, headA, 3, 7);
        var reference = new AutogradCharLm(rnnB, headB, 3, 7);
        var data = new Rng(9);
        for (int step = 0; step < 3; step++)
        {
            var x = new int[21]; var y = new int[21];
            for (int i = 0; i < 21; i++) { x[i] = data.NextInt(8); y[i] = data.NextInt(8); }
            double a = fused.InferStep(x, y), r = reference.InferStep(x, y);
            Assert.True(Math.Abs(a - r) <= 1e-5 * Math.Abs(r), $"{mode} step {step}: loss {a:R} vs reference {r:R}");
            Tolerance.AssertClose(reference.HiddenState, fused.HiddenState, 2e-5, 2e-6, $"{mode} carried state after step {step}");
        }
        Assert.Equal(Flat(rnnB, headB), Flat(rnnA, headA));                            // inference never updates
    }

    [Theory]
    [InlineData(RecurrentMode.RnnTanh, false)]
    [InlineData(RecurrentMode.Gru, false)]
    [InlineData(RecurrentMode.Lstm, false)]
    [InlineData(RecurrentMode.RnnRelu, true)]
    [InlineData(RecurrentMode.Gru, true)]
    [InlineData(RecurrentMode.Lstm, true)]
    public void ResultsAreBitIdenticalAcrossRunsAndThreadCounts(RecurrentMode mode, bool unitSplit)
    {
        (float[] Params, float[] Grads) Run(int threads, int slowPart = -1)
        {
            int saved = Parallelism.Threads;
            long savedWork = FusedCharLm.ParallelMinWork;
            Parallelism.Threads = threads;
            FusedCharLm.ParallelMinWork = 0;                                            // split even these tiny rows
            try
            {
                var (rnn, head) = Model(mode, 11, 40, 2);
                var step = new FusedCharLm(rnn, head, 13, 9) { ForcedSplit = unitSplit ? FusedCharLm.TimeSplit.Units : null };   // H = 40: unit blocks 16, 16, 8
                step.RowSchedule.SlowPartForTests = slowPart;                           // a slow part: rows handed over mid-loop
                var data = new Rng(4);
                for (int s = 0; s < 3; s++)
                {
                    var x = new int[13 * 9]; var y = new int[13 * 9];
                    for (int i = 0; i < x.Length; i++) { x[i] = data.NextInt(11); y[i] = data.NextInt(11); }
                    step.TrainStep(x, y, 1, 1);
                    step.InferStep(x, y);
                }
                return (Flat(rnn, head), step.Gradients.SelectMany(g => g).ToArray());
            }
            finally
            {
                Parallelism.Threads = saved;
                FusedCharLm.ParallelMinWork = savedWork;
            }
        }
        var one = Run(1);
        Assert.Equal(one.Params, Run(1).Params);
        var two = Run(2);
        var three = Run(3);
        Assert.Equal(one.Params, two.Params);
        Assert.Equal(one.Grads, two.Grads);
        Assert.Equal(one.Params, three.Params);
        var twoSlow = Run(2, slowPart: 1);
        Assert.Equal(one.Params, twoSlow.Params);
        Assert.Equal(one.Grads, twoSlow.Grads);
        Assert.Equal(one.Params, Run(3, slowPart: 0).Params);
    }

    [Theory]
    [InlineData(RecurrentMode.RnnTanh)]
    [InlineData(RecurrentMode.Gru)]
    [InlineData(RecurrentMode.Lstm)]
    public void TrainingStepAllocatesNothingAfterWarmUp(RecurrentMode mode)
    {
        // Two sequence lengths: a per-time-step allocation would show up as a difference between them.
        long shortSteps = AllocatedPerStep(mode, steps: 3);
        long longSteps = AllocatedPerStep(mode, steps: 30);
        Assert.True(shortSteps < 4096, $"{mode}: {shortSteps} bytes allocated per training step (T=3), bound 4 KB");
        Assert.True(longSteps < 4096, $"{mode}: {longSteps} bytes allocated per training step (T=30), bound 4 KB");
        Assert.True(longSteps <= shortSteps, $"{mode}: allocation grows with T ({shortSteps} B at T=3, {longSteps} B at T=30): something allocates per time step");
    }

    private static long AllocatedPerStep(RecurrentMode mode, int steps)
    {
        const int V = 10, H = 24, B = 4, Measured = 8;
        var (rnn, head) = Model(mode, V, H, 1);
        var step = new FusedCharLm(rnn, head, B, steps);
        var data = new Rng(2);
        var x = new int[B * steps]; var y = new int[B * steps];
        for (int i = 0; i < x.Length; i++) { x[i] = data.NextInt(V); y[i] = data.NextInt(V); }
        for (int i = 0; i < 3; i++) step.TrainStep(x, y, 1, 1);                        // warm-up: workspaces, pack buffers, JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Measured; i++)
        {
            if (i == 4) step.ResetState();
            step.TrainStep(x, y, 1, 1);
            step.InferStep(x, y);
        }
        return (GC.GetAllocatedBytesForCurrentThread() - before) / Measured;
    }

    [Fact]
    public void RejectsBadTokensAndShapes()
    {
        var (rnn, head) = Model(RecurrentMode.Gru, 5, 4, 1);
        var step = new FusedCharLm(rnn, head, 2, 3);
        var ex = Assert.Throws<ArgumentException>(() => step.TrainStep(new int[6] { 0, 1, 2, 3, 9, 0 }, new int[6], 1, 1));
        Assert.Contains("token id 9 at row 1, step 1", ex.Message);
        Assert.Throws<ArgumentException>(() => step.InferStep(new int[5], new int[5]));
        var deep = new RecurrentStack<float>(RecurrentMode.Gru, 5, 4, new Rng(1), numLayers: 2);
        Assert.Throws<ArgumentException>(() => new FusedCharLm(deep, head, 2, 3));
    }
}
