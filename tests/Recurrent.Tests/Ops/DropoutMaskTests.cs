// The counter-based dropout mask: the same for any thread count, recomputed identically by backward,
// the right drop rate on a large tensor (odd length: the last pair has one element), and one generator draw per call.
using Recurrent.Kernels;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Tests.Ops;

public class DropoutMaskTests
{
    [Fact]
    public void MaskIsThreadCountIndependentAndBackwardUsesTheSameMask()
    {
        const int n = 200_001;                                      // above the parallel threshold, odd
        var x = Tensor<float>.Normal(new Rng(1), 0f, 1f, n);
        var dy = Tensor<float>.Normal(new Rng(2), 0f, 1f, n);
        int saved = Parallelism.Threads;
        var outputs = new List<float[]>(); var grads = new List<float[]>();
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.Threads = threads;
                x.Grad = null; x.RequiresGrad = true;
                var y = Op.Dropout(x, 0.25, new Rng(7));
                Recurrent.Autograd.Backprop.Run([y], [dy]);
                outputs.Add(y.ToArray()); grads.Add(x.Grad!.ToArray());
            }
        }
        finally { Parallelism.Threads = saved; }
        Assert.True(outputs[0].AsSpan().SequenceEqual(outputs[1]) && outputs[0].AsSpan().SequenceEqual(outputs[2]), "outputs differ between thread counts");
        Assert.True(grads[0].AsSpan().SequenceEqual(grads[1]) && grads[0].AsSpan().SequenceEqual(grads[2]), "gradients differ between thread counts");

        float scale = 1f / 0.75f;
        int dropped = 0;
        for (int i = 0; i < n; i++)
        {
            bool kept = outputs[0][i] != 0f;
            if (!kept) dropped++;
            Assert.Equal(kept ? x.Data[i] * scale : 0f, outputs[0][i]);
            Assert.Equal(kept ? dy.Data[i] * scale : 0f, grads[0][i]);
        }
        Assert.InRange(dropped / (double)n, 0.245, 0.255);          // 0.25 ± ~9σ
    }

    [Fact]
    public void OneCallDrawsOnceFromTheGeneratorAndCallsDiffer()
    {
        var x = Tensor<double>.Full(1.0, 64);
        var rng = new Rng(3);
        var reference = new Rng(3);
        var a = Op.Dropout(x, 0.5, rng).ToArray();
        reference.NextUInt64();                                     // the call's one draw
        Assert.Equal(reference.NextUInt64(), CopyNext(rng));
        var b = Op.Dropout(x, 0.5, rng).ToArray();
        Assert.NotEqual(a, b);
        Assert.All(Op.Dropout(x, 1.0, rng).ToArray(), v => Assert.Equal(0.0, v));
    }

    private static ulong CopyNext(Rng rng)
    {
        var copy = new Rng(0);
        copy.SetState(rng.GetState());
        return copy.NextUInt64();
    }
}

public class DropoutMaskVectorTests
{
    [Fact]
    public void VectorApplyIsBitIdenticalToScalarTwin()
    {
        // Every start parity and length around the 8-element vector step, drop rates 0, ~0.2, 0.5, 1, and the forward
        // (−0 + v) and backward (0 + v) forms, including ±0 and non-finite inputs.
        var rng = new Rng(11);
        var src = new float[300];
        for (int i = 0; i < src.Length; i++) src[i] = (float)(rng.NextDouble() * 4 - 2);
        src[3] = -0f; src[4] = 0f; src[20] = float.PositiveInfinity; src[21] = float.NaN; src[40] = -1e-38f;
        foreach (double p in new[] { 0.0, 0.2, 0.5, 1.0 })
            foreach (ulong seed in new[] { 1UL, 0xDEADBEEFCAFEF00DUL })
            {
                var mask = new DropoutMask<float>(seed, p);
                foreach (long first in new[] { 0L, 1L, 2L, 7L, 1_000_001L, (1L << 33) + 3 })
                    foreach (int n in new[] { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 64, 129, 300 })
                        foreach (bool fromZero in new[] { false, true })
                        {
                            var fast = new float[n]; var slow = new float[n];
                            mask.Apply(src.AsSpan(0, n), fast, first, fromZero);
                            mask.ApplyScalar(src.AsSpan(0, n), slow, first, fromZero);
                            for (int i = 0; i < n; i++)
                                Assert.True(BitConverter.SingleToInt32Bits(fast[i]) == BitConverter.SingleToInt32Bits(slow[i]),
                                    $"p={p} seed={seed} first={first} n={n} fromZero={fromZero}: element {i} is {fast[i]}, scalar twin {slow[i]}");
                        }
            }
    }
}
