// The book's k-step-ahead protocol (d2l "Sequence Models"): from an origin o (the last observed
// value) the model predicts o+1, that prediction is appended to the window as if observed, and so on
// until o+k. Errors grow with k because each step feeds on earlier predictions.
namespace Recurrent.Data;

/// <summary>Predicts K values per window: x [M, W, F] → [M, K], all in the model's (scaled) space.</summary>
public delegate float[] WindowPredictor(float[] x, int count);

/// <summary>Recursive multi-step forecasting of a univariate series.</summary>
public static class RecursiveForecast
{
    /// <summary>The book's k-step horizons.</summary>
    public static readonly int[] BookSteps = [1, 4, 16, 64];

    /// <summary>Forecasts <paramref name="steps"/> values after each origin (row index of the last observed value)
    /// of a univariate series, feeding predictions back in. A model with horizon K contributes K values per call.</summary>
    /// <returns>[origins.Length][steps]: element [i][k−1] is the k-step-ahead forecast of row origins[i] + k</returns>
    /// <exception cref="ArgumentException">An origin has fewer than W observed values.</exception>
    public static float[][] FromOrigins(ReadOnlySpan<float> series, ReadOnlySpan<int> origins, int lookback, int horizon, int steps, WindowPredictor predict)
    {
        int m = origins.Length;
        var buffers = new float[m][];                                     // per origin: W observed + predictions
        for (int i = 0; i < m; i++)
        {
            int o = origins[i];
            if (o - lookback + 1 < 0 || o >= series.Length)
                throw new ArgumentException($"RecursiveForecast: origin {o} needs rows [{o - lookback + 1}, {o}] of a series of {series.Length}.");
            buffers[i] = new float[lookback + steps + horizon];
            series.Slice(o - lookback + 1, lookback).CopyTo(buffers[i]);
        }
        var result = new float[m][];
        for (int i = 0; i < m; i++) result[i] = new float[steps];
        if (m == 0) return result;
        for (int done = 0; done < steps; done += horizon)
        {
            var x = new float[m * lookback];                              // [M, W, 1]
            for (int i = 0; i < m; i++) buffers[i].AsSpan(done, lookback).CopyTo(x.AsSpan(i * lookback));
            float[] y = predict(x, m);                                    // [M, K]
            if (y.Length != m * horizon) throw new InvalidOperationException($"RecursiveForecast: predictor returned {y.Length} values for {m}×{horizon}.");
            for (int i = 0; i < m; i++)
                for (int k = 0; k < horizon; k++)
                {
                    buffers[i][lookback + done + k] = y[i * horizon + k];
                    if (done + k < steps) result[i][done + k] = y[i * horizon + k];
                }
        }
        return result;
    }

    /// <summary>For each k in <paramref name="steps"/>: the k-step-ahead forecasts of every target row t in
    /// [<paramref name="targetFrom"/>, <paramref name="targetTo"/>) whose origin t − k has a full window,
    /// together with those target rows. One recursive run per origin serves every k.</summary>
    public static Dictionary<int, (int[] Targets, float[] Forecasts)> KStepAhead(ReadOnlySpan<float> series, int targetFrom, int targetTo,
        int lookback, int horizon, IReadOnlyList<int> steps, WindowPredictor predict)
    {
        int maxK = steps.Max();
        int firstOrigin = Math.Max(lookback - 1, targetFrom - maxK), lastOrigin = targetTo - 2;
        var origins = new List<int>();
        for (int o = firstOrigin; o <= lastOrigin; o++) origins.Add(o);
        var forecasts = FromOrigins(series, origins.ToArray(), lookback, horizon, maxK, predict);
        var result = new Dictionary<int, (int[], float[])>();
        foreach (int k in steps)
        {
            var targets = new List<int>();
            var values = new List<float>();
            for (int i = 0; i < origins.Count; i++)
            {
                int t = origins[i] + k;
                if (t < targetFrom || t >= targetTo) continue;
                targets.Add(t);
                values.Add(forecasts[i][k - 1]);
            }
            result[k] = (targets.ToArray(), values.ToArray());
        }
        return result;
    }
}
