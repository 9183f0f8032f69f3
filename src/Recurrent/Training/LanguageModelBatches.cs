// Which minibatches one epoch of language-model training sees, from the sampling scheme and the BPTT
// policy (d2l §9.3 and §9.7): the only place where the two options meet.
using Recurrent.Data;
using Recurrent.Tensors;

namespace Recurrent.Training;

/// <summary>How far gradients flow back in time.</summary>
public enum BpttMode
{
    /// <summary>Windows of exactly <c>--steps</c> tokens; the state is carried and detached between them.</summary>
    Truncated,
    /// <summary>One window per stream spanning the whole training text: gradients flow through every step
    /// (only for texts whose activations fit in memory).</summary>
    Full,
    /// <summary>Randomized truncation: window lengths drawn from a geometric distribution with mean
    /// <c>--steps</c>, so long dependencies are sometimes back-propagated further (d2l §9.7.1.2).</summary>
    Random,
}

/// <summary>Where sequential partitioning starts reading.</summary>
public enum SequenceOffset
{
    /// <summary>d2l: a random offset in [0, T) per epoch, fixed by the seed.</summary>
    Random,
    /// <summary>Offset 0 every epoch (the torch_lm_quality protocol: the same minibatches every epoch).</summary>
    Zero,
}

/// <summary>Builds the minibatches of one epoch.</summary>
public static class LanguageModelBatches
{
    /// <summary>Parses "truncated" / "full" / "random".</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static BpttMode ParseBptt(string value) => value.ToLowerInvariant() switch
    {
        "truncated" => BpttMode.Truncated,
        "full" => BpttMode.Full,
        "random" => BpttMode.Random,
        _ => throw new ArgumentException($"unknown --bptt '{value}' (expected truncated, full or random)."),
    };

    /// <summary>Parses "sequential" / "random".</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static Sampling ParseSampling(string value) => value.ToLowerInvariant() switch
    {
        "sequential" => Sampling.Sequential,
        "random" => Sampling.Random,
        _ => throw new ArgumentException($"unknown --sampling '{value}' (expected sequential or random)."),
    };

    /// <summary>Rejects combinations that mean nothing: full or randomized truncation need the state to
    /// flow from one window to the next, which random sampling breaks.</summary>
    /// <exception cref="ArgumentException">The combination is not meaningful.</exception>
    public static void ValidateCombination(Sampling sampling, BpttMode bptt, SequenceOffset offset)
    {
        if (sampling == Sampling.Random && bptt != BpttMode.Truncated)
            throw new ArgumentException($"--bptt {bptt.ToString().ToLowerInvariant()} needs --sampling sequential (random sampling resets the state every minibatch).");
        if (sampling == Sampling.Random && offset == SequenceOffset.Zero)
            throw new ArgumentException("--offset 0 applies to --sampling sequential only.");
    }

    /// <summary>The minibatches of one epoch. <paramref name="rng"/> (the data stream of the run) draws the
    /// offset, the shuffle or the window lengths; the same state gives the same batches.</summary>
    /// <exception cref="InvalidDataException">The training text is shorter than one minibatch.</exception>
    public static List<TokenBatch> ForEpoch(ReadOnlySpan<int> train, int batchSize, int steps, Sampling sampling, BpttMode bptt,
        SequenceOffset offset, Rng rng)
    {
        ValidateCombination(sampling, bptt, offset);
        if (sampling == Sampling.Random) return SequenceBatcher.Random(train, batchSize, steps, rng);
        return bptt switch
        {
            BpttMode.Truncated => SequenceBatcher.Sequential(train, batchSize, steps, offset == SequenceOffset.Zero ? null : rng),
            // The whole stream as one window: columns L = (N − 1) / B, so "steps" = L, offset 0.
            BpttMode.Full => SequenceBatcher.Sequential(train, batchSize, FullWindow(train.Length, batchSize, steps), null),
            BpttMode.Random => SequenceBatcher.SequentialRandomWindows(train, batchSize, steps, rng),
            _ => throw new ArgumentOutOfRangeException(nameof(bptt)),
        };
    }

    /// <summary>The window of full BPTT: every column of each stream.</summary>
    /// <exception cref="InvalidDataException">The text is shorter than one minibatch of <paramref name="steps"/>.</exception>
    public static int FullWindow(int tokens, int batchSize, int steps)
    {
        long needed = (long)batchSize * steps + 1;
        if (tokens < needed)
            throw new InvalidDataException($"the text has {tokens} tokens, fewer than one minibatch needs ({batchSize} × {steps} + 1 = {needed}); use a smaller --batch or --steps.");
        return (tokens - 1) / batchSize;
    }
}
