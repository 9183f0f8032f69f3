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

    /// <summary>Forecasts <paramref name="steps"/> values of the target after each origin (row index of the last
    /// observed row) of a row-major [N, F] series whose target is feature 0, feeding predictions back in.
    /// A model with horizon K contributes K values per call. With extra features (F &gt; 1) their future is
    /// unknown, so only <paramref name="steps"/> ≤ K (direct forecasts, one call) is possible.</summary>
    /// <returns>[origins.Length][steps]: element [i][k−1] is the k-step-ahead forecast of row origins[i] + k</returns>
    /// <exception cref="ArgumentException">An origin has fewer than W observed rows, or F &gt; 1 and steps &gt; K.</exception>
    public static float[][] FromOrigins(ReadOnlySpan<float> series, int features, ReadOnlySpan<int> origins, int lookback, int horizon, int steps, WindowPredictor predict)
    {
        if (features > 1 && steps > horizon)
            throw new ArgumentException($"RecursiveForecast: with {features} features only {horizon} step(s) can be forecast (the future of the extra features is unknown).");
        int m = origins.Length, n = series.Length / features;
        int rowLen = features;
        var buffers = new float[m][];                                     // per origin: W observed rows + predictions
        for (int i = 0; i < m; i++)
        {
            int o = origins[i];
            if (o - lookback + 1 < 0 || o >= n)
                throw new ArgumentException($"RecursiveForecast: origin {o} needs rows [{o - lookback + 1}, {o}] of a series of {n}.");
            buffers[i] = new float[(lookback + steps + horizon) * rowLen];
            series.Slice((o - lookback + 1) * rowLen, lookback * rowLen).CopyTo(buffers[i]);
        }
        var result = new float[m][];
        for (int i = 0; i < m; i++) result[i] = new float[steps];
        if (m == 0) return result;
        for (int done = 0; done < steps; done += horizon)
        {
            var x = new float[m * lookback * rowLen];                     // [M, W, F]
            for (int i = 0; i < m; i++) buffers[i].AsSpan(done * rowLen, lookback * rowLen).CopyTo(x.AsSpan(i * lookback * rowLen));
            float[] y = predict(x, m);                                    // [M, K]
            if (y.Length != m * horizon) throw new InvalidOperationException($"RecursiveForecast: predictor returned {y.Length} values for {m}×{horizon}.");
            for (int i = 0; i < m; i++)
                for (int k = 0; k < horizon; k++)
                {
                    buffers[i][(lookback + done + k) * rowLen] = y[i * horizon + k];   // univariate when we get here twice
                    if (done + k < steps) result[i][done + k] = y[i * horizon + k];
                }
        }
        return result;
    }

    /// <summary>For each k in <paramref name="steps"/>: the k-step-ahead forecasts of every target row t in
    /// [<paramref name="targetFrom"/>, <paramref name="targetTo"/>) whose origin t − k has a full window,
    /// together with those target rows. One recursive run per origin serves every k. With F &gt; 1, steps
    /// beyond the horizon K are left out (see <see cref="FromOrigins"/>).</summary>
    public static Dictionary<int, (int[] Targets, float[] Forecasts)> KStepAhead(ReadOnlySpan<float> series, int features, int targetFrom, int targetTo,
        int lookback, int horizon, IReadOnlyList<int> steps, WindowPredictor predict)
    {
        var usable = steps.Where(k => k >= 1 && (features == 1 || k <= horizon)).ToList();
        var result = new Dictionary<int, (int[], float[])>();
        if (usable.Count == 0) return result;
        int maxK = usable.Max(), n = series.Length / features;
        int firstOrigin = Math.Max(lookback - 1, targetFrom - maxK), lastOrigin = Math.Min(targetTo, n) - 2;
        var origins = new List<int>();
        for (int o = firstOrigin; o <= lastOrigin; o++) origins.Add(o);
        var forecasts = FromOrigins(series, features, origins.ToArray(), lookback, horizon, maxK, predict);
        foreach (int k in usable)
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
