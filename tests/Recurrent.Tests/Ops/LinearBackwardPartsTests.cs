// A small Linear layer's backward at ≥ 2 threads runs dx and dW/db as two parts on two threads
// (LinearBackwardParts); its twin is the one-thread path (the same GEMMs one after another). Bit for bit, on
// awkward shapes, accumulating into gradients that already hold values; plus finite differences in double.
using Recurrent.Autograd;
using Recurrent.Kernels;
using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Ops;

[Collection("Parallelism")]
public class LinearBackwardPartsTests
{
    // x, W, b gradients after one backward pass that accumulates into non-zero gradients.
    private static float[][] Gradients(int rows, int inF, int outF, bool withBias, bool xWantsGrad, int threads)
    {
        var rng = new Rng(11);
        var x = Tensor<float>.Normal(rng, 0, 1, rows, inF); x.RequiresGrad = xWantsGrad;
        var w = Tensor<float>.Normal(rng, 0, 1, outF, inF); w.RequiresGrad = true;
        var b = withBias ? Tensor<float>.Normal(rng, 0, 1, outF) : null;
        if (b is not null) b.RequiresGrad = true;
        var seed = new Rng(5);
        if (xWantsGrad) x.Grad = Tensor<float>.Normal(seed, 0, 1, rows, inF);
        w.Grad = Tensor<float>.Normal(seed, 0, 1, outF, inF);
        if (b is not null) b.Grad = Tensor<float>.Normal(seed, 0, 1, outF);
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = threads;
            var y = Op.Linear(x, w, b);
            Backprop.Run([y], [Tensor<float>.Normal(new Rng(3), 0, 1, rows, outF)]);
        }
        finally { Parallelism.Threads = saved; }
        var result = new List<float[]> { w.Grad!.ToArray() };
        if (xWantsGrad) result.Add(x.Grad!.ToArray());
        if (b is not null) result.Add(b.Grad!.ToArray());
        return result.ToArray();
    }

    [Theory]
    [InlineData(37, 19, 7, true, true)]
    [InlineData(1, 1, 1, false, true)]
    [InlineData(64, 33, 28, true, true)]
    [InlineData(130, 17, 3, false, true)]
    [InlineData(9, 5, 4, true, false)]                       // x without a gradient: the one-thread path at any count
    public void SplitBackwardIsBitIdenticalToOneThread(int rows, int inF, int outF, bool withBias, bool xWantsGrad)
    {
        var reference = Gradients(rows, inF, outF, withBias, xWantsGrad, threads: 1);
        foreach (int threads in new[] { 2, 3 })
        {
            var split = Gradients(rows, inF, outF, withBias, xWantsGrad, threads);
            Assert.Equal(reference.Length, split.Length);
            for (int i = 0; i < reference.Length; i++)
                Assert.True(reference[i].AsSpan().SequenceEqual(split[i]), $"rows={rows} in={inF} out={outF} threads={threads}: gradient {i} differs");
        }
    }

    [Fact]
    public void SplitBackwardMatchesFiniteDifferences()
    {
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 2;
            var rng = new Rng(9);
            var x = Tensor<double>.Normal(rng, 0, 1, 3, 5, 4); x.Name = "x";
            var w = Tensor<double>.Normal(rng, 0, 1, 3, 4); w.Name = "weight";
            var b = Tensor<double>.Normal(rng, 0, 1, 3); b.Name = "bias";
            GradCheck.Check([x, w, b], () => [Op.Linear(x, w, b)], "Linear (two parts)");
        }
        finally { Parallelism.Threads = saved; }
    }
}
