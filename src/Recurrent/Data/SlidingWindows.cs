// Supervised examples cut from a series: the last W rows (all features) as input, the next K values
// of the target as output. Dimension letters: M windows, W lookback, F features, K horizon.
namespace Recurrent.Data;

/// <summary>Windows cut from a row-major [N, F] series: inputs X [M, W, F] and targets Y [M, K];
/// window m predicts target rows [TargetStart[m], TargetStart[m] + K) from rows [TargetStart[m] − W, TargetStart[m]).</summary>
public sealed record WindowSet(float[] X, float[] Y, int[] TargetStart, int Lookback, int Features, int Horizon)
{
    /// <summary>Number of windows M.</summary>
    public int Count => TargetStart.Length;

    /// <summary>The windows at <paramref name="indices"/>: X [b, W, F], Y [b, K].</summary>
    public (float[] X, float[] Y) Gather(ReadOnlySpan<int> indices)
    {
        int xw = Lookback * Features;
        var x = new float[indices.Length * xw];
        var y = new float[indices.Length * Horizon];
        for (int i = 0; i < indices.Length; i++)
        {
            X.AsSpan(indices[i] * xw, xw).CopyTo(x.AsSpan(i * xw, xw));
            Y.AsSpan(indices[i] * Horizon, Horizon).CopyTo(y.AsSpan(i * Horizon, Horizon));
        }
        return (x, y);
    }
}

/// <summary>Builds <see cref="WindowSet"/>s.</summary>
public static class SlidingWindows
{
    /// <summary>All windows whose K target rows lie in [<paramref name="targetFrom"/>, <paramref name="targetTo"/>)
    /// and whose W input rows exist (start ≥ 0). Inputs may reach back before targetFrom: that history is observed.</summary>
    /// <param name="series">row-major [N, F] (already scaled)</param>
    /// <param name="features">F</param>
    /// <param name="targetFeature">the column of F that is predicted</param>
    /// <param name="lookback">W ≥ 1</param>
    /// <param name="horizon">K ≥ 1</param>
    /// <param name="targetFrom">first row a target may be in</param>
    /// <param name="targetTo">end (exclusive) of the rows targets may be in</param>
    /// <returns>possibly empty (the caller turns that into a user error with its own context)</returns>
    public static WindowSet Build(ReadOnlySpan<float> series, int features, int targetFeature, int lookback, int horizon, int targetFrom, int targetTo)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lookback);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(horizon);
        if ((uint)targetFeature >= (uint)features) throw new ArgumentOutOfRangeException(nameof(targetFeature));
        if (series.Length % features != 0) throw new ArgumentException($"SlidingWindows: {series.Length} values is not a whole number of rows of {features}.");
        int n = series.Length / features;
        int first = Math.Max(lookback, targetFrom), last = Math.Min(targetTo, n) - horizon;   // target start range [first, last]
        int m = Math.Max(0, last - first + 1);
        var x = new float[m * lookback * features];                       // [M, W, F]
        var y = new float[m * horizon];                                   // [M, K]
        var starts = new int[m];
        for (int i = 0; i < m; i++)
        {
            int t = first + i;
            starts[i] = t;
            series.Slice((t - lookback) * features, lookback * features).CopyTo(x.AsSpan(i * lookback * features));
            for (int k = 0; k < horizon; k++) y[i * horizon + k] = series[(t + k) * features + targetFeature];
        }
        return new WindowSet(x, y, starts, lookback, features, horizon);
    }
}
