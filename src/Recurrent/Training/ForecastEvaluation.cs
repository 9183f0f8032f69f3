// Test-set evaluation of a forecaster next to the naive baselines, on the original scale: 1-step errors
// (MSE, RMSE, MAE, MAPE, MASE) and the book's recursive k-step MSE for k in {1, 4, 16, 64}.
using System.Globalization;
using System.Text.Json.Nodes;
using Recurrent.Data;

namespace Recurrent.Training;

/// <summary>The test-set numbers of one forecaster and its baselines.</summary>
public sealed class ForecastReport
{
    /// <summary>Rows forecast 1 step ahead (the test targets).</summary>
    public required int[] Targets { get; init; }
    /// <summary>Actual target values at <see cref="Targets"/>.</summary>
    public required double[] Actual { get; init; }
    /// <summary>The model's 1-step forecasts.</summary>
    public required double[] Model1 { get; init; }
    /// <summary>1-step errors of the model, the naive and (if a season is given) the seasonal-naive forecast.</summary>
    public required ForecastErrors ModelErrors { get; init; }
    /// <summary>Naive (last value) 1-step errors.</summary>
    public required ForecastErrors NaiveErrors { get; init; }
    /// <summary>Seasonal-naive 1-step errors, or null without a season (or when the history is too short).</summary>
    public ForecastErrors? SeasonalErrors { get; init; }
    /// <summary>The season S used for the seasonal-naive baseline and MASE (1 = plain naive).</summary>
    public int Season { get; init; } = 1;
    /// <summary>k → model MSE over the test targets reached k steps ahead (recursively beyond the horizon).</summary>
    public required SortedDictionary<int, double> ModelKStep { get; init; }
    /// <summary>k → naive MSE for the same targets.</summary>
    public required SortedDictionary<int, double> NaiveKStep { get; init; }
    /// <summary>k → seasonal-naive MSE, or null.</summary>
    public SortedDictionary<int, double>? SeasonalKStep { get; init; }
    /// <summary>k → (targets, model forecasts) for plots.</summary>
    public required Dictionary<int, (int[] Targets, double[] Forecasts)> KStepForecasts { get; init; }

    /// <summary>The metrics.json fields: <c>test_mse_1step</c>, <c>test_rmse_1step</c>, <c>test_mae_1step</c>,
    /// <c>test_mape_1step</c>, <c>test_mase_1step</c>, the same with <c>naive_</c> (and <c>seasonal_naive_</c>), and
    /// <c>test_mse_kstep</c> / <c>naive_mse_kstep</c> as objects keyed by k.</summary>
    public JsonObject ToJson(string prefix = "test")
    {
        var o = new JsonObject();
        Add(o, prefix, ModelErrors);
        Add(o, "naive", NaiveErrors);
        if (SeasonalErrors is not null) Add(o, "seasonal_naive", SeasonalErrors);
        o[$"{prefix}_points_1step"] = Targets.Length;
        o[$"{prefix}_mse_kstep"] = KStep(ModelKStep);
        o["naive_mse_kstep"] = KStep(NaiveKStep);
        if (SeasonalKStep is not null) o["seasonal_naive_mse_kstep"] = KStep(SeasonalKStep);
        if (Season > 1) o["season"] = Season;
        return o;
    }

    private static void Add(JsonObject o, string who, ForecastErrors e)
    {
        o[$"{who}_mse_1step"] = Num(e.Mse);
        o[$"{who}_rmse_1step"] = Num(e.Rmse);
        o[$"{who}_mae_1step"] = Num(e.Mae);
        o[$"{who}_mape_1step"] = Num(e.Mape);
        o[$"{who}_mase_1step"] = Num(e.Mase);
    }

    private static JsonObject KStep(SortedDictionary<int, double> d)
    {
        var o = new JsonObject();
        foreach (var (k, v) in d) o[k.ToString(CultureInfo.InvariantCulture)] = Num(v);
        return o;
    }

    // JSON has no NaN: undefined values (e.g. MAPE with all-zero targets) are written as null.
    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}

/// <summary>Evaluates a forecaster against the naive baselines.</summary>
public static class ForecastEvaluation
{
    /// <summary>Forecasts every target row in <paramref name="part"/> (1 step, and k steps for each k in
    /// <paramref name="steps"/>; with extra features only k ≤ horizon) and scores model and baselines.</summary>
    /// <param name="data">the data set (its scaler is the model's)</param>
    /// <param name="part">rows whose values are forecast, usually the test part</param>
    /// <param name="lookback">W</param>
    /// <param name="horizon">K of the model</param>
    /// <param name="predict">the model on scaled windows</param>
    /// <param name="steps">k values (the book's 1, 4, 16, 64)</param>
    /// <param name="season">seasonal period S, or null</param>
    /// <returns>the report</returns>
    /// <exception cref="InvalidDataException">No test target has a full window.</exception>
    public static ForecastReport Evaluate(ForecastDataset data, (int From, int To) part, int lookback, int horizon, WindowPredictor predict,
        IReadOnlyList<int> steps, int? season = null)
    {
        var allSteps = steps.Append(1).Distinct().OrderBy(k => k).ToList();
        var ks = RecursiveForecast.KStepAhead(data.Scaled, data.Features, part.From, part.To, lookback, horizon, allSteps, predict);
        var (targets, f1) = ks[1];
        if (targets.Length == 0)
            throw new InvalidDataException($"{data.Source}: no row of rows {part.From + 1}–{part.To} has {lookback} rows of history; use more rows or a shorter --lookback.");
        var y = data.Target;
        var actual = targets.Select(t => y[t]).ToArray();
        var model1 = f1.Select(data.Unscale).ToArray();
        var training = y.AsSpan(0, data.Split.TrainEnd);
        int s = season ?? 1;
        var naive1 = ForecastBaselines.Naive(y, targets);
        bool seasonalOk = season is > 1 && targets.All(t => t - season.Value >= 0);
        var report = new ForecastReport
        {
            Targets = targets,
            Actual = actual,
            Model1 = model1,
            Season = s,
            ModelErrors = ForecastErrors.Of(actual, model1, training, s),
            NaiveErrors = ForecastErrors.Of(actual, naive1, training, s),
            SeasonalErrors = seasonalOk ? ForecastErrors.Of(actual, ForecastBaselines.SeasonalNaive(y, targets, s), training, s) : null,
            ModelKStep = [],
            NaiveKStep = [],
            SeasonalKStep = seasonalOk ? [] : null,
            KStepForecasts = [],
        };
        foreach (int k in steps.Distinct().OrderBy(k => k))
        {
            if (!ks.TryGetValue(k, out var r) || r.Targets.Length == 0) continue;
            var a = r.Targets.Select(t => y[t]).ToArray();
            var p = r.Forecasts.Select(data.Unscale).ToArray();
            report.ModelKStep[k] = ForecastMetrics.Mse(a, p);
            report.KStepForecasts[k] = (r.Targets, p);
            report.NaiveKStep[k] = ForecastMetrics.Mse(a, ForecastBaselines.Naive(y, r.Targets, k));
            if (report.SeasonalKStep is not null)
            {
                int back = s * ((k + s - 1) / s);
                if (r.Targets.All(t => t - back >= 0))
                    report.SeasonalKStep[k] = ForecastMetrics.Mse(a, ForecastBaselines.SeasonalNaive(y, r.Targets, s, k));
            }
        }
        return report;
    }
}
