// Point-forecast errors: MSE, RMSE, MAE, MAPE (zero targets skipped: their percentage error is
// undefined) and MASE (MAE relative to the in-sample naive forecast of the training part).
namespace Recurrent.Training;

/// <summary>Forecast error measures on the original scale of the data.</summary>
public static class ForecastMetrics
{
    /// <summary>Mean squared error, <c>Σ(y − ŷ)²/n</c>; NaN when there are no points.</summary>
    public static double Mse(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        Check(actual, predicted);
        double s = 0;
        for (int i = 0; i < actual.Length; i++) { double d = actual[i] - predicted[i]; s += d * d; }
        return actual.Length == 0 ? double.NaN : s / actual.Length;
    }

    /// <summary>Root mean squared error.</summary>
    public static double Rmse(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted) => Math.Sqrt(Mse(actual, predicted));

    /// <summary>Mean absolute error, <c>Σ|y − ŷ|/n</c>.</summary>
    public static double Mae(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        Check(actual, predicted);
        double s = 0;
        for (int i = 0; i < actual.Length; i++) s += Math.Abs(actual[i] - predicted[i]);
        return actual.Length == 0 ? double.NaN : s / actual.Length;
    }

    /// <summary>Mean absolute percentage error in percent, <c>100·Σ|y − ŷ|/|y| / n</c> over targets y ≠ 0
    /// (zero targets are skipped); NaN when every target is zero.</summary>
    public static double Mape(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        Check(actual, predicted);
        double s = 0;
        int n = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            if (actual[i] == 0) continue;
            s += Math.Abs((actual[i] - predicted[i]) / actual[i]);
            n++;
        }
        return n == 0 ? double.NaN : 100 * s / n;
    }

    /// <summary>Mean absolute scaled error: MAE divided by the MAE of the in-sample (seasonal) naive forecast
    /// on <paramref name="training"/>, <c>Σ_t |y_t − y_{t−m}| / (n − m)</c>. Below 1 beats that naive forecast.
    /// NaN when the training series is too short or constant.</summary>
    public static double Mase(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted, ReadOnlySpan<double> training, int season = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(season);
        double scale = NaiveScale(training, season);
        return scale > 0 ? Mae(actual, predicted) / scale : double.NaN;
    }

    /// <summary>The MASE denominator: in-sample MAE of the seasonal naive forecast with period m.</summary>
    public static double NaiveScale(ReadOnlySpan<double> training, int season = 1)
    {
        if (training.Length <= season) return double.NaN;
        double s = 0;
        for (int t = season; t < training.Length; t++) s += Math.Abs(training[t] - training[t - season]);
        return s / (training.Length - season);
    }

    private static void Check(ReadOnlySpan<double> a, ReadOnlySpan<double> p)
    {
        if (a.Length != p.Length) throw new ArgumentException($"forecast metrics: {a.Length} actual values but {p.Length} predictions.");
    }
}

/// <summary>The four standard errors of one forecast, as reported side by side.</summary>
public sealed record ForecastErrors(double Mse, double Rmse, double Mae, double Mape, double Mase)
{
    /// <summary>All measures of <paramref name="predicted"/> against <paramref name="actual"/>.</summary>
    public static ForecastErrors Of(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted, ReadOnlySpan<double> training, int season = 1)
        => new(ForecastMetrics.Mse(actual, predicted), ForecastMetrics.Rmse(actual, predicted), ForecastMetrics.Mae(actual, predicted),
               ForecastMetrics.Mape(actual, predicted), ForecastMetrics.Mase(actual, predicted, training, season));
}
