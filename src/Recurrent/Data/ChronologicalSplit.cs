// Train / validation / test parts of a time series in time order: the model never trains on the
// future of what it is tested on.
namespace Recurrent.Data;

/// <summary>Row ranges [start, end) of the three chronological parts of a series of <see cref="Count"/> rows.</summary>
public sealed record ChronologicalSplit(int Count, int TrainEnd, int ValEnd)
{
    /// <summary>Training rows [0, TrainEnd).</summary>
    public (int Start, int End) Train => (0, TrainEnd);
    /// <summary>Validation rows [TrainEnd, ValEnd).</summary>
    public (int Start, int End) Validation => (TrainEnd, ValEnd);
    /// <summary>Test rows [ValEnd, Count).</summary>
    public (int Start, int End) Test => (ValEnd, Count);

    /// <summary>Splits <paramref name="count"/> rows: the first <paramref name="trainFraction"/> for training,
    /// the next <paramref name="valFraction"/> for validation, the rest for test (rounded down).</summary>
    /// <exception cref="ArgumentException">Fractions not in (0, 1) or summing to 1 or more (no test part).</exception>
    public static ChronologicalSplit Create(int count, double trainFraction = 0.6, double valFraction = 0.2)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(trainFraction > 0 && trainFraction < 1) || !(valFraction >= 0 && valFraction < 1) || trainFraction + valFraction >= 1)
            throw new ArgumentException($"split fractions train={trainFraction}, validation={valFraction} must be in (0, 1) and leave a test part (sum < 1).");
        int trainEnd = (int)Math.Floor(count * trainFraction);
        int valEnd = (int)Math.Floor(count * (trainFraction + valFraction));
        return new ChronologicalSplit(count, trainEnd, valEnd);
    }
}
