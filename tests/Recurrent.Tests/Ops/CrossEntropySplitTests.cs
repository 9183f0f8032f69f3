// Cross-entropy over many rows runs its rows on two threads (CrossEntropyRows) and sums them in row order on the
// caller; its twin is the one-thread loop. Bit for bit: loss and logits gradient, every reduction, with ignored
// rows, a mask and class weights, on an awkward row count above the split threshold.
using Recurrent.Autograd;
using Recurrent.Kernels;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Tests.Ops;

[Collection("Parallelism")]
public class CrossEntropySplitTests
{
    private static (float[] Loss, float[] Grad) Run(Reduction reduction, bool weighted, int threads)
    {
        const int N = 701, C = 29;                                     // N·C = 20,329 ≥ the split threshold; N odd
        Assert.True((long)N * C >= Op.CrossEntropySplitElements);
        var rng = new Rng(13);
        var logits = Tensor<float>.Normal(rng, 0, 3, N, C); logits.RequiresGrad = true;
        var targets = Enumerable.Range(0, N).Select(i => i % 17 == 0 ? -100 : rng.NextInt(C)).ToArray();   // some ignored rows
        float[]? mask = weighted ? Enumerable.Range(0, N).Select(i => i % 5 == 0 ? 0f : 1f).ToArray() : null;
        float[]? classWeights = weighted ? Enumerable.Range(0, C).Select(j => 0.5f + j / 10f).ToArray() : null;
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = threads;
            var loss = Op.CrossEntropy(logits, targets, mask: mask, reduction: reduction, classWeights: classWeights);
            Backprop.Run([loss], [Tensor<float>.Normal(new Rng(3), 0, 1, loss.Shape.ToArray())]);
            return (loss.ToArray(), logits.Grad!.ToArray());
        }
        finally { Parallelism.Threads = saved; }
    }

    [Theory]
    [InlineData(Reduction.Mean, false)]
    [InlineData(Reduction.Mean, true)]
    [InlineData(Reduction.Sum, true)]
    [InlineData(Reduction.None, true)]
    public void SplitRowsAreBitIdenticalToOneThread(Reduction reduction, bool weighted)
    {
        var (loss1, grad1) = Run(reduction, weighted, threads: 1);
        foreach (int threads in new[] { 2, 3 })
        {
            var (loss, grad) = Run(reduction, weighted, threads);
            Assert.True(loss1.AsSpan().SequenceEqual(loss), $"{reduction} weighted={weighted} threads={threads}: loss differs");
            Assert.True(grad1.AsSpan().SequenceEqual(grad), $"{reduction} weighted={weighted} threads={threads}: logits gradient differs");
        }
    }
}
