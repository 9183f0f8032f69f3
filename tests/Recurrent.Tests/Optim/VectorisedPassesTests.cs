// Twins of the optimizer fast paths: the vectorised, thread-split Adam update against the scalar loop (bit for
// bit, awkward lengths, with and without weight decay, float and double, 1–3 threads), and the chunked,
// vectorised gradient-norm pass against a plain double sum (and bit-identical across thread counts).
using Recurrent.Kernels;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Tests.Optim;

public class VectorisedPassesTests
{
    private static T[] Random<T>(Rng rng, int n, double scale) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => Enumerable.Range(0, n).Select(_ => T.CreateChecked(rng.NextNormal() * scale)).ToArray();

    private static void AdamMatchesScalar<T>(int n, bool decay, bool decoupled, int threads) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Rng((ulong)(n * 7 + threads));
        var p = Random<T>(rng, n, 1); var g = Random<T>(rng, n, 0.1);
        var m = Random<T>(rng, n, 0.01); var v = Random<T>(rng, n, 0.01).Select(T.Abs).ToArray();
        var s = new AdamScalars<T>(T.CreateChecked(0.1), T.CreateChecked(0.999), T.CreateChecked(0.001), T.CreateChecked(Math.Sqrt(1 - Math.Pow(0.999, 3))),
            T.CreateChecked(1e-8), -T.CreateChecked(2e-3 / (1 - Math.Pow(0.9, 3))), T.CreateChecked(decay ? 0.05 : 0), T.CreateChecked(1 - 2e-3 * (decay ? 0.05 : 0)), decoupled, decay);
        var (pr, mr, vr) = ((T[])p.Clone(), (T[])m.Clone(), (T[])v.Clone());
        Adam<T>.UpdateScalar(pr, g, mr, vr, default, s);
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = threads;
            AdamUpdate<T>.Run(p, g, m, v, s);
        }
        finally { Parallelism.Threads = saved; }
        string what = $"{typeof(T).Name} n={n} decay={decay} decoupled={decoupled} threads={threads}";
        Assert.True(pr.AsSpan().SequenceEqual(p), $"{what}: parameters differ");
        Assert.True(mr.AsSpan().SequenceEqual(m), $"{what}: exp_avg differs");
        Assert.True(vr.AsSpan().SequenceEqual(v), $"{what}: exp_avg_sq differs");
    }

    [Theory]
    [InlineData(1)] [InlineData(7)] [InlineData(8)] [InlineData(33)] [InlineData(1000)] [InlineData(70_001)] [InlineData(200_003)] [InlineData(1_048_583)]
    public void AdamUpdateIsBitIdenticalToTheScalarLoop(int n)   // 1_048_583: above AdamUpdate.ParallelMinElements, so the split runs
    {
        foreach (int threads in new[] { 1, 2, 3 })
            foreach (var (decay, decoupled) in new[] { (false, false), (true, false), (true, true) })
            {
                AdamMatchesScalar<float>(n, decay, decoupled, threads);
                AdamMatchesScalar<double>(n, decay, decoupled, threads);
            }
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 5, 4096, 33 })]
    [InlineData(new[] { 262_144, 28, 300_001, 1024 })]
    public void GradNormPassMatchesAPlainSumAndIsThreadIndependent(int[] lengths)
    {
        var rng = new Rng(9);
        var grads = lengths.Select(n => Random<float>(rng, n, 0.3)).ToArray();
        double expected = grads.Sum(g => g.Sum(x => (double)x * x));
        int saved = Parallelism.Threads;
        try
        {
            var sums = new List<double>();
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.Threads = threads;
                sums.Add(GradNormPass<float>.SumOfSquares(grads));
            }
            Assert.Equal(expected, sums[0], expected * 1e-12);
            Assert.All(sums, s => Assert.Equal(BitConverter.DoubleToInt64Bits(sums[0]), BitConverter.DoubleToInt64Bits(s)));

            Parallelism.Threads = 2;
            var scaled = grads.Select(g => (float[])g.Clone()).ToArray();
            GradNormPass<float>.Scale(scaled, 0.37f);
            for (int a = 0; a < grads.Length; a++)
                for (int i = 0; i < grads[a].Length; i++)
                    Assert.True(grads[a][i] * 0.37f == scaled[a][i], $"array {a} element {i}: {scaled[a][i]:R} vs {grads[a][i] * 0.37f:R}");
        }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void ClipGradNormInDoubleMatchesAPlainSum()
    {
        var rng = new Rng(4);
        var a = new Tensor<double>(Random<double>(rng, 1001, 1), 1001) { Grad = new Tensor<double>(Random<double>(rng, 1001, 1), 1001) };
        double expected = Math.Sqrt(a.Grad.ToArray().Sum(x => x * x));
        var before = a.Grad.ToArray();
        double norm = GradClip.ClipGradNorm([a], 1.0);
        Assert.Equal(expected, norm, expected * 1e-13);
        double coef = 1.0 / (norm + 1e-6);
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i] * coef, a.Grad.Data[i]);
    }
}
