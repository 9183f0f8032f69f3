// Minibatches for language modelling, as in d2l: random sampling (independent subsequences, state
// reset per batch) and sequential partitioning (B parallel streams, state carried across batches).
namespace Recurrent.Data;

/// <summary>One minibatch of token ids: inputs X and next-token targets Y, both [B, T] row-major.</summary>
public sealed record TokenBatch(int[] X, int[] Y, int BatchSize, int Steps);

/// <summary>How minibatches are cut from the corpus.</summary>
public enum Sampling
{
    /// <summary>Random subsequences; state is reset for every batch.</summary>
    Random,
    /// <summary>Adjacent minibatches continue each other row by row; state is carried and detached.</summary>
    Sequential,
}

/// <summary>d2l's seq_data_iter_random and seq_data_iter_sequential.</summary>
public static class SequenceBatcher
{
    /// <summary>d2l seq_data_iter_sequential: a random offset in [0, T) (from <paramref name="rng"/>; 0 when null),
    /// then B parallel streams, minibatch i = columns [i·T, (i+1)·T). With <paramref name="includePartialTail"/>
    /// the last, narrower chunk is kept too, so every one of the B·L targets is scored (evaluation).</summary>
    /// <exception cref="InvalidDataException">The corpus is shorter than one minibatch (B·T + 1 tokens; B + 1 with the partial tail).</exception>
    public static List<TokenBatch> Sequential(ReadOnlySpan<int> corpus, int batchSize, int steps, Tensors.Rng? rng, bool includePartialTail = false)
    {
        // Evaluation (with the partial tail) scores every target, so one column per stream is enough.
        if (includePartialTail) ValidateForEvaluation(corpus.Length, batchSize, steps);
        else Validate(corpus.Length, batchSize, steps);
        int offset = rng is null ? 0 : rng.NextInt(steps);
        int columns = (corpus.Length - offset - 1) / batchSize;          // L per stream
        if ((columns < steps && !includePartialTail) || columns < 1) { offset = 0; columns = (corpus.Length - 1) / batchSize; }
        var batches = new List<TokenBatch>();
        int full = columns / steps;
        int count = includePartialTail ? (columns + steps - 1) / steps : full;
        for (int i = 0; i < count; i++)
        {
            int start = i * steps, width = Math.Min(steps, columns - start);
            var x = new int[batchSize * width]; var y = new int[batchSize * width];
            for (int b = 0; b < batchSize; b++)
            {
                int src = offset + b * columns + start;
                corpus.Slice(src, width).CopyTo(x.AsSpan(b * width, width));
                corpus.Slice(src + 1, width).CopyTo(y.AsSpan(b * width, width));
            }
            batches.Add(new TokenBatch(x, y, batchSize, width));
        }
        return batches;
    }

    /// <summary>d2l seq_data_iter_random: random offset in [0, T), cut into subsequences of length T,
    /// shuffled, grouped B at a time (the last incomplete group dropped).</summary>
    public static List<TokenBatch> Random(ReadOnlySpan<int> corpus, int batchSize, int steps, Tensors.Rng rng)
    {
        Validate(corpus.Length, batchSize, steps);
        int offset = rng.NextInt(steps);
        int numSubseqs = (corpus.Length - offset - 1) / steps;
        if (numSubseqs < batchSize) { offset = 0; numSubseqs = (corpus.Length - 1) / steps; }
        var starts = new int[numSubseqs];
        for (int i = 0; i < numSubseqs; i++) starts[i] = offset + i * steps;
        rng.Shuffle(starts.AsSpan());
        var batches = new List<TokenBatch>();
        for (int first = 0; first + batchSize <= numSubseqs; first += batchSize)
        {
            var x = new int[batchSize * steps]; var y = new int[batchSize * steps];
            for (int b = 0; b < batchSize; b++)
            {
                int s = starts[first + b];
                corpus.Slice(s, steps).CopyTo(x.AsSpan(b * steps, steps));
                corpus.Slice(s + 1, steps).CopyTo(y.AsSpan(b * steps, steps));
            }
            batches.Add(new TokenBatch(x, y, batchSize, steps));
        }
        return batches;
    }

    /// <summary>Sequential partitioning with randomized truncation: B parallel streams (random offset),
    /// cut into windows whose lengths are drawn from a geometric distribution with mean <paramref name="meanSteps"/>
    /// (at least 1, at most 4·meanSteps, the last window takes what is left).</summary>
    public static List<TokenBatch> SequentialRandomWindows(ReadOnlySpan<int> corpus, int batchSize, int meanSteps, Tensors.Rng rng)
    {
        Validate(corpus.Length, batchSize, meanSteps);
        int offset = rng.NextInt(meanSteps);
        int columns = (corpus.Length - offset - 1) / batchSize;
        if (columns < meanSteps) { offset = 0; columns = (corpus.Length - 1) / batchSize; }
        double stop = 1.0 / meanSteps;                                   // P(ξ_t = 0): a window ends here
        var batches = new List<TokenBatch>();
        for (int start = 0; start < columns;)
        {
            int width = 1;
            while (width < 4 * meanSteps && rng.NextDouble() >= stop) width++;
            width = Math.Min(width, columns - start);
            var x = new int[batchSize * width]; var y = new int[batchSize * width];
            for (int b = 0; b < batchSize; b++)
            {
                int src = offset + b * columns + start;
                corpus.Slice(src, width).CopyTo(x.AsSpan(b * width, width));
                corpus.Slice(src + 1, width).CopyTo(y.AsSpan(b * width, width));
            }
            batches.Add(new TokenBatch(x, y, batchSize, width));
            start += width;
        }
        return batches;
    }

    private static void ValidateForEvaluation(int length, int batchSize, int steps)
    {
        if (batchSize < 1 || steps < 1) throw new ArgumentException($"batch size ({batchSize}) and steps ({steps}) must be positive.");
        if (length < (long)batchSize + 1)
            throw new InvalidDataException($"the text has {length} tokens, fewer than {batchSize} parallel streams need ({batchSize} + 1); use a smaller --batch or a larger --val-fraction.");
    }

    private static void Validate(int length, int batchSize, int steps)
    {
        if (batchSize < 1 || steps < 1) throw new ArgumentException($"batch size ({batchSize}) and steps ({steps}) must be positive.");
        long needed = (long)batchSize * steps + 1;
        if (length < needed)
            throw new InvalidDataException($"the text has {length} tokens, fewer than one minibatch needs ({batchSize} × {steps} + 1 = {needed}); use a smaller --batch or --steps.");
    }
}
