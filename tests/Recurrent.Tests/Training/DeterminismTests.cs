// The same seed and thread count must give bit-identical weights and losses: initialisation, dropout
// masks, the GEMM split across threads and the optimizer all have a fixed order.
using Recurrent.Kernels;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Tests.Training;

public class DeterminismTests
{
    [Theory]
    [InlineData(RecurrentMode.Lstm, 1)]
    [InlineData(RecurrentMode.Gru, 2)]
    [InlineData(RecurrentMode.RnnTanh, 2)]
    public void SameSeedAndThreadsGiveBitIdenticalWeightsAndLosses(RecurrentMode mode, int threads)
    {
        var (lossesA, weightsA) = Train(mode, threads, seed: 7);
        var (lossesB, weightsB) = Train(mode, threads, seed: 7);
        Assert.Equal(lossesA.Select(BitConverter.SingleToInt32Bits), lossesB.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(weightsA.Length, weightsB.Length);
        for (int i = 0; i < weightsA.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(weightsA[i]) == BitConverter.SingleToInt32Bits(weightsB[i]), $"weight {i}: {weightsA[i]:R} vs {weightsB[i]:R}");

        // The kernels split work so that the thread count never changes a result.
        var (lossesOtherThreads, weightsOtherThreads) = Train(mode, 3 - threads, seed: 7);
        Assert.Equal(lossesA.Select(BitConverter.SingleToInt32Bits), lossesOtherThreads.Select(BitConverter.SingleToInt32Bits));
        Assert.True(weightsA.AsSpan().SequenceEqual(weightsOtherThreads), "weights differ between 1 and 2 threads");

        // A different seed must change the result, or the test above proves nothing.
        var (lossesC, _) = Train(mode, threads, seed: 8);
        Assert.NotEqual(lossesA, lossesC);
    }

    // A 2-layer stack with dropout (so the dropout RNG is exercised) + Linear head, 4 Adam steps on a
    // fixed token stream; large enough (H=64, vocab 40) that the GEMMs split across threads.
    private static (float[] Losses, float[] Weights) Train(RecurrentMode mode, int threads, ulong seed)
    {
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            const int V = 40, H = 64, B = 4, T = 6;
            var rng = new Rng(seed);
            var rnn = new RecurrentStack<float>(mode, V, H, rng, numLayers: 2, dropout: 0.3);
            var head = new Linear<float>(H, V, rng);
            var parameters = rnn.Parameters().Concat(head.Parameters()).ToList();
            var optimizer = new Adam<float>(parameters, lr: 1e-2);
            var data = new Rng(123);
            var losses = new List<float>();
            for (int step = 0; step < 4; step++)
            {
                var ids = Enumerable.Range(0, B * T).Select(_ => data.NextInt(V)).ToArray();
                var targets = Enumerable.Range(0, B * T).Select(_ => data.NextInt(V)).ToArray();
                foreach (var p in parameters) p.ZeroGrad();
                var x = Op.OneHot<float>(ids, V, [B, T]);                           // [B, T, V]
                var output = rnn.Forward(x).Output;                                 // [B, T, H]
                var logits = Op.Reshape(head.Forward(output), B * T, V);            // [B·T, V]
                var loss = Op.CrossEntropy(logits, targets);
                loss.Backward();
                GradClip.ClipGradNorm(parameters, 1.0);
                optimizer.Step();
                losses.Add(loss.Item());
            }
            return (losses.ToArray(), parameters.SelectMany(p => p.ToArray()).ToArray());
        }
        finally { Parallelism.Threads = saved; }
    }
}
