// The measuring side of `recurrent bench`: the protocol of ../shared/bench/torch_charlm.py (one-hot input,
// one recurrent layer, Linear head, cross-entropy, SGD lr 1, clip 1, sequential minibatches with the state
// carried and detached, a fresh random offset and state per epoch), timed over pre-sliced minibatches after
// a warm-up, plus step-by-step generation. The CLI only parses options and prints what this returns.
using System.Diagnostics;
using Recurrent.Data;
using Recurrent.Generation;
using Recurrent.Kernels;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Training;

/// <summary>What a benchmark configuration times.</summary>
public enum CharLmBenchMode
{
    /// <summary>Forward, loss, backward, clipping and SGD per minibatch.</summary>
    Train,
    /// <summary>Forward and loss per minibatch, no gradients.</summary>
    Infer,
    /// <summary>Batch 1, one token at a time through the step-wise cell and the head, greedy next token.</summary>
    Generate,
}

/// <summary>Which implementation of the step is timed.</summary>
public enum CharLmBenchPath
{
    /// <summary><see cref="FusedCharLm"/>: allocation-free fused step (the default).</summary>
    Fused,
    /// <summary><see cref="AutogradCharLm"/>: the general ops and autograd graph.</summary>
    Autograd,
}

/// <summary>One benchmark configuration.</summary>
/// <param name="Cell">rnn (tanh), gru or lstm.</param>
/// <param name="Hidden">H.</param>
/// <param name="Batch">B (generation always uses 1).</param>
/// <param name="Steps">T per minibatch (generation: tokens per "batch").</param>
/// <param name="Mode">train, infer or generate.</param>
/// <param name="Threads">Kernel threads (<see cref="Parallelism.Threads"/>) during the run.</param>
/// <param name="Batches">Measured minibatches.</param>
/// <param name="Warmup">Untimed minibatches first.</param>
/// <param name="Seed">Initialisation and data-offset seed.</param>
/// <param name="Path">Fused step or general autograd path.</param>
public sealed record CharLmBenchConfig(RecurrentMode Cell, int Hidden, int Batch, int Steps, CharLmBenchMode Mode,
    int Threads = 1, int Batches = 200, int Warmup = 20, ulong Seed = 0, CharLmBenchPath Path = CharLmBenchPath.Fused)
{
    /// <summary>SGD learning rate (the protocol's 1).</summary>
    public double LearningRate { get; init; } = 1;
    /// <summary>Clipping norm (the protocol's 1).</summary>
    public double Clip { get; init; } = 1;
}

/// <summary>The measurement of one configuration.</summary>
/// <param name="Config">What was run.</param>
/// <param name="Vocab">V.</param>
/// <param name="Tokens">Tokens processed in the timed part.</param>
/// <param name="Seconds">Wall-clock seconds of the timed part.</param>
/// <param name="TokensPerSecond">Tokens / seconds.</param>
/// <param name="FlopPerToken">Matmul FLOPs per token by torch_charlm.py's formula (one-hot input counted as a dense GEMM).</param>
/// <param name="Gflops">FlopPerToken · tokens/s / 1e9 ("effective" GFLOP/s, comparable with the peer's).</param>
/// <param name="PctOfPeak">Gflops as % of the measured FMA peak for the thread count.</param>
/// <param name="MicrosecondsPerToken">1e6 / tokens per second.</param>
/// <param name="PplLastQuarter">exp(mean loss) over the last quarter of the measured minibatches (NaN for generate).</param>
/// <param name="AllocatedBytesPerBatch">Managed bytes allocated (all threads) per measured minibatch (per token for generate).</param>
/// <param name="CpuSeconds">Process CPU time (all threads) spent in the timed part: on a busy machine, wall time
/// includes waiting for a core and CPU time does not.</param>
public sealed record CharLmBenchResult(CharLmBenchConfig Config, int Vocab, long Tokens, double Seconds, double TokensPerSecond,
    double FlopPerToken, double Gflops, double PctOfPeak, double MicrosecondsPerToken, double PplLastQuarter, double AllocatedBytesPerBatch,
    double CpuSeconds);

/// <summary>Runs the char-LM throughput protocol.</summary>
public static class CharLmBenchmark
{
    /// <summary>torch_charlm.py's <c>gemm_flop_per_token</c>: forward <c>2GHV + 2GH² + 2HV</c>; training adds
    /// <c>2GHV + 4GH² + 4HV</c> (G = 1 rnn, 3 gru, 4 lstm).</summary>
    public static double FlopPerToken(RecurrentMode cell, int vocab, int hidden, CharLmBenchMode mode)
    {
        double G = cell.GateCount(), H = hidden, V = vocab;
        double fwd = 2 * G * H * V + 2 * G * H * H + 2 * H * V;
        return mode == CharLmBenchMode.Train ? fwd + 2 * G * H * V + 4 * G * H * H + 4 * H * V : fwd;
    }

    /// <summary>Uniform random tokens in [0, V) (the peer's synthetic corpus when no text file is given).</summary>
    public static int[] SyntheticCorpus(int length, int vocab, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocab);
        var rng = new Rng(seed);
        var corpus = new int[length];
        for (int i = 0; i < length; i++) corpus[i] = rng.NextInt(vocab);
        return corpus;
    }

    /// <summary>Runs one configuration on <paramref name="corpus"/> (ids in 0..vocab−1).</summary>
    /// <param name="config">The configuration.</param>
    /// <param name="corpus">Token ids.</param>
    /// <param name="vocab">V, the one-hot size.</param>
    /// <param name="peakGflops">The measured FMA peak for <see cref="CharLmBenchConfig.Threads"/> threads (for % of peak).</param>
    /// <exception cref="ArgumentException">A size is not positive, or the corpus is shorter than one minibatch.</exception>
    public static CharLmBenchResult Run(CharLmBenchConfig config, int[] corpus, int vocab, double peakGflops)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(corpus);
        if (config.Hidden <= 0 || config.Batch <= 0 || config.Steps <= 0 || config.Batches <= 0 || config.Warmup < 0 || vocab <= 0)
            throw new ArgumentException($"bench: hidden, batch, steps and batches must be positive and warmup ≥ 0 (got H={config.Hidden}, B={config.Batch}, T={config.Steps}, batches={config.Batches}, warmup={config.Warmup}).");
        int saved = Parallelism.Threads;
        Parallelism.Threads = config.Threads;
        try
        {
            var rng = new Rng(config.Seed);
            var rnn = new RecurrentStack<float>(config.Cell, vocab, config.Hidden, rng);
            var head = new Linear<float>(config.Hidden, vocab, rng);
            return config.Mode == CharLmBenchMode.Generate
                ? RunGenerate(config, rnn, head, corpus, vocab, peakGflops)
                : RunBatches(config, rnn, head, corpus, vocab, peakGflops, rng.Fork());
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    private static CharLmBenchResult RunBatches(CharLmBenchConfig c, RecurrentStack<float> rnn, Linear<float> head,
        int[] corpus, int vocab, double peak, Rng dataRng)
    {
        if (corpus.Length < c.Batch * c.Steps + 1)
            throw new ArgumentException($"bench: the corpus has {corpus.Length} tokens, fewer than one minibatch needs (B·T + 1 = {c.Batch * c.Steps + 1}).");
        Func<int[], int[], double> step;
        Action reset;
        bool train = c.Mode == CharLmBenchMode.Train;
        if (c.Path == CharLmBenchPath.Fused)
        {
            var fused = new FusedCharLm(rnn, head, c.Batch, c.Steps);
            step = train ? (x, y) => fused.TrainStep(x, y, c.LearningRate, c.Clip).Loss : (x, y) => fused.InferStep(x, y);
            reset = fused.ResetState;
        }
        else
        {
            var general = new AutogradCharLm(rnn, head, c.Batch, c.Steps);
            step = train ? (x, y) => general.TrainStep(x, y, c.LearningRate, c.Clip).Loss : (x, y) => general.InferStep(x, y);
            reset = general.ResetState;
            if (!train) rnn.Train(false);
        }

        // Endless sequential minibatches: a new random offset and a fresh state at each epoch (as d2l / the peer).
        var stream = Stream(corpus, c.Batch, c.Steps, dataRng).GetEnumerator();
        (bool NewEpoch, TokenBatch Batch) Next() { stream.MoveNext(); return stream.Current; }
        for (int i = 0; i < c.Warmup; i++)
        {
            var (fresh, b) = Next();
            if (fresh) reset();
            step(b.X, b.Y);
        }
        var measured = new (bool NewEpoch, TokenBatch Batch)[c.Batches];               // pre-sliced: time only compute
        for (int i = 0; i < measured.Length; i++) measured[i] = Next();
        var losses = new double[c.Batches];

        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < measured.Length; i++)
        {
            if (measured[i].NewEpoch) reset();
            losses[i] = step(measured[i].Batch.X, measured[i].Batch.Y);
        }
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        long alloc = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;

        int last = Math.Max(1, c.Batches / 4);
        double meanLoss = losses.AsSpan(c.Batches - last).ToArray().Average();
        long tokens = (long)c.Batches * c.Batch * c.Steps;
        return Result(c, vocab, tokens, seconds, peak, Math.Exp(meanLoss), (double)alloc / c.Batches, cpu);
    }

    private static IEnumerable<(bool NewEpoch, TokenBatch Batch)> Stream(int[] corpus, int batch, int steps, Rng rng)
    {
        while (true)
        {
            var epoch = SequenceBatcher.Sequential(corpus, batch, steps, rng);
            for (int i = 0; i < epoch.Count; i++) yield return (i == 0, epoch[i]);
        }
    }

    /// <summary>Greedy generation, batch 1: each token goes one-hot through <see cref="RecurrentStack{T}.Step"/>
    /// and the head; the arg-max becomes the next input. Batches·Steps tokens are timed after Warmup·Steps.</summary>
    private static CharLmBenchResult RunGenerate(CharLmBenchConfig c, RecurrentStack<float> rnn, Linear<float> head,
        int[] corpus, int vocab, double peak)
    {
        var state = rnn.CreateState(1);
        var x = new float[vocab];                                                     // [1, V] one-hot
        var logits = new float[vocab];
        int token = corpus.Length > 0 ? corpus[0] : 0;
        int Generate(long count, int tok)
        {
            var w = head.Weight.Data; var bias = head.Bias!.Data;
            int H = c.Hidden;
            for (long i = 0; i < count; i++)
            {
                x[tok] = 1;
                var h = rnn.Step(x, state);                                           // [1, H]
                x[tok] = 0;
                for (int v = 0; v < vocab; v++) logits[v] = System.Numerics.Tensors.TensorPrimitives.Dot(w.Slice(v * H, H), h) + bias[v];
                tok = TokenSampler.ArgMax<float>(logits);
            }
            return tok;
        }
        token = Generate((long)c.Warmup * c.Steps, token);
        long tokens = (long)c.Batches * c.Steps;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        long t0 = Stopwatch.GetTimestamp();
        Generate(tokens, token);
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        long alloc = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        return Result(c, vocab, tokens, seconds, peak, double.NaN, (double)alloc / tokens, cpu);
    }

    private static CharLmBenchResult Result(CharLmBenchConfig c, int vocab, long tokens, double seconds, double peak, double ppl, double allocPerBatch, double cpu)
    {
        double perToken = FlopPerToken(c.Cell, vocab, c.Hidden, c.Mode);
        double tps = tokens / seconds;
        double gflops = perToken * tps / 1e9;
        return new CharLmBenchResult(c, vocab, tokens, seconds, tps, perToken, gflops, peak > 0 ? 100 * gflops / peak : double.NaN,
            1e6 / tps, ppl, allocPerBatch, cpu);
    }
}
