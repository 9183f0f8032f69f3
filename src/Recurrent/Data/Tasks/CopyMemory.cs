// The copy-memory task (Hochreiter & Schmidhuber 1997; the form of Arjovsky et al. 2016): ten symbols
// from an alphabet of 8, then T blanks with a delimiter at the last of them, then the model must
// reproduce the ten symbols. A memoryless model can only output blanks and then guess.
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Data.Tasks;

/// <summary>One batch of copy-memory sequences, both <c>[B, T + 20]</c> row-major class ids in [0, 10).</summary>
public sealed record CopyMemoryBatch(int[] Inputs, int[] Targets, int BatchSize, int Steps);

/// <summary>Generates copy-memory batches. Layout of one sequence of <c>T + 20</c> steps:
/// inputs <c>s₁…s₁₀, blank × (T − 1), delimiter, blank × 10</c>;
/// targets <c>blank × (T + 10), s₁…s₁₀</c>.</summary>
public static class CopyMemory
{
    /// <summary>Data symbols are 0…7.</summary>
    public const int Symbols = 8;

    /// <summary>The blank class id.</summary>
    public const int Blank = 8;

    /// <summary>The delimiter ("now recall") class id.</summary>
    public const int Delimiter = 9;

    /// <summary>Number of classes (input one-hot width and output size).</summary>
    public const int Classes = 10;

    /// <summary>How many symbols are to be remembered.</summary>
    public const int RecallLength = 10;

    /// <summary>The recall accuracy above which the task counts as solved.</summary>
    public const double SolvedAccuracy = 0.99;

    /// <summary>Total steps of a sequence with delay <paramref name="delay"/>: <c>T + 20</c>.</summary>
    public static int SequenceLength(int delay) => delay + 2 * RecallLength;

    /// <summary>Cross-entropy per step (nats) of the best memoryless strategy: blanks with certainty for
    /// <c>T + 10</c> steps, then uniform over the 8 symbols for 10 steps: <c>10·ln 8 / (T + 20)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The delay is below 1.</exception>
    public static double BaselineCrossEntropy(int delay)
    {
        CheckDelay(delay);
        return RecallLength * Math.Log(Symbols) / SequenceLength(delay);
    }

    /// <summary>Draws <paramref name="batchSize"/> sequences with delay <paramref name="delay"/> (T ≥ 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is not positive or the delay is below 1.</exception>
    public static CopyMemoryBatch Generate(int batchSize, int delay, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "copy task: the batch size must be at least 1.");
        CheckDelay(delay);
        int steps = SequenceLength(delay);
        var inputs = new int[batchSize * steps];                          // [B, T+20]
        var targets = new int[batchSize * steps];                         // [B, T+20]
        Array.Fill(inputs, Blank);
        Array.Fill(targets, Blank);
        for (int b = 0; b < batchSize; b++)
        {
            int row = b * steps;
            for (int i = 0; i < RecallLength; i++)
            {
                int s = rng.NextInt(Symbols);
                inputs[row + i] = s;
                targets[row + delay + RecallLength + i] = s;
            }
            inputs[row + RecallLength + delay - 1] = Delimiter;
        }
        return new CopyMemoryBatch(inputs, targets, batchSize, steps);
    }

    /// <summary>The inputs as one-hot vectors <c>[B, T + 20, 10]</c>.</summary>
    public static Tensor<T> OneHotInputs<T>(CopyMemoryBatch batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(batch);
        var x = new Tensor<T>(batch.BatchSize, batch.Steps, Classes);
        var xs = x.Data;
        for (int i = 0; i < batch.Inputs.Length; i++) xs[i * Classes + batch.Inputs[i]] = T.One;
        return x;
    }

    /// <summary>True for the steps whose target is a remembered symbol (the last 10 of each sequence).</summary>
    public static bool IsRecallStep(int step, int delay) => step >= delay + RecallLength;

    private static void CheckDelay(int delay)
    {
        if (delay < 1) throw new ArgumentOutOfRangeException(nameof(delay), delay, "copy task: the length T (blanks between the symbols and their recall) must be at least 1.");
    }
}
