// The forecasts a network has to beat: repeat the last value (naive) or the value one season ago
// (seasonal naive). Without them a user cannot tell whether an RMSE is good.
namespace Recurrent.Data;

/// <summary>Naive and seasonal-naive forecasts, for targets given by row index.</summary>
public static class ForecastBaselines
{
    /// <summary>k-step naive forecast of row t: the last observed value y[t − k].</summary>
    /// <exception cref="ArgumentException">A target has no value k rows earlier.</exception>
    public static double[] Naive(ReadOnlySpan<double> y, ReadOnlySpan<int> targets, int k = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var p = new double[targets.Length];
        for (int i = 0; i < p.Length; i++)
        {
            int src = targets[i] - k;
            if (src < 0) throw new ArgumentException($"naive forecast: row {targets[i]} has no value {k} rows earlier.");
            p[i] = y[src];
        }
        return p;
    }

    /// <summary>k-step seasonal-naive forecast of row t with season S: the value of the same phase in the
    /// last fully observed season, y[t − S·⌈k/S⌉].</summary>
    /// <exception cref="ArgumentException">S &lt; 1, or a target has no value that far back.</exception>
    public static double[] SeasonalNaive(ReadOnlySpan<double> y, ReadOnlySpan<int> targets, int season, int k = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(season);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        int back = season * ((k + season - 1) / season);
        var p = new double[targets.Length];
        for (int i = 0; i < p.Length; i++)
        {
            int src = targets[i] - back;
            if (src < 0) throw new ArgumentException($"seasonal naive forecast: row {targets[i]} has no value {back} rows earlier (season {season}).");
            p[i] = y[src];
        }
        return p;
    }
}
