using Recurrent.Data;

namespace Recurrent.Tests.Tasks;

public class SeriesDataTests
{
    [Fact]
    public void NoisySineIsSeededAndHasTheBookNoise()
    {
        var a = NoisySine.Generate(42);
        var b = NoisySine.Generate(42);
        var c = NoisySine.Generate(43);
        Assert.Equal(1000, a.Length);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        var clean = NoisySine.Clean();
        Assert.Equal(Math.Sin(0.01), clean[0], 12);
        Assert.Equal(Math.Sin(10.0), clean[999], 12);
        double v = 0, m = 0;
        for (int i = 0; i < a.Length; i++) m += a[i] - clean[i];
        m /= a.Length;
        for (int i = 0; i < a.Length; i++) v += (a[i] - clean[i] - m) * (a[i] - clean[i] - m);
        v /= a.Length;
        Assert.InRange(v, 0.04 * 0.85, 0.04 * 1.15);   // 1000 samples: sd of the variance estimate ≈ 4.5%
        Assert.InRange(m, -0.03, 0.03);
    }

    [Fact]
    public void ScalerFitsOnTheGivenRowsOnlyAndRoundTrips()
    {
        // Two features; rows 0..3 are training, row 4 is a huge outlier in the "future".
        double[] data = [1, 10, 2, 10, 3, 10, 4, 10, 1000, -5];
        var s = StandardScaler.Fit(data, 2, 0, 4);
        Assert.Equal(2.5, s.Mean[0], 12);
        Assert.Equal(Math.Sqrt(1.25), s.Scale[0], 12);
        Assert.Equal(10, s.Mean[1], 12);
        Assert.Equal(1, s.Scale[1]);                    // constant feature: scale 1, not division by 0
        Assert.Equal(1.5 / Math.Sqrt(1.25), s.Transform(4, 0), 12);
        Assert.Equal(4, s.Inverse(s.Transform(4, 0), 0), 12);
        var back = StandardScaler.FromJson(System.Text.Json.Nodes.JsonNode.Parse(s.ToJson().ToJsonString()));
        Assert.Equal(s.Mean, back.Mean);
        Assert.Equal(s.Scale, back.Scale);
        Assert.Throws<InvalidDataException>(() => StandardScaler.FromJson(System.Text.Json.Nodes.JsonNode.Parse("{\"type\":\"standard\",\"mean\":[0],\"scale\":[0]}")));
    }

    [Fact]
    public void ChronologicalSplitKeepsTimeOrder()
    {
        var s = ChronologicalSplit.Create(1000, 0.6, 0.2);
        Assert.Equal((0, 600), s.Train);
        Assert.Equal((600, 800), s.Validation);
        Assert.Equal((800, 1000), s.Test);
        Assert.Throws<ArgumentException>(() => ChronologicalSplit.Create(10, 0.8, 0.2));
    }

    [Fact]
    public void SlidingWindowsCutMultivariateInputsAndTargetHorizon()
    {
        // 8 rows × 2 features: feature 0 = 0..7, feature 1 = 100 + row.
        var series = new float[16];
        for (int r = 0; r < 8; r++) { series[2 * r] = r; series[2 * r + 1] = 100 + r; }
        var w = SlidingWindows.Build(series, 2, 0, lookback: 3, horizon: 2, targetFrom: 0, targetTo: 8);
        Assert.Equal([3, 4, 5, 6], w.TargetStart);
        Assert.Equal(new float[] { 0, 100, 1, 101, 2, 102 }, w.X[..6]);
        Assert.Equal(new float[] { 3, 4 }, w.Y[..2]);
        Assert.Equal(new float[] { 6, 7 }, w.Y[6..8]);
        // Targets restricted to [5, 8): inputs may come from before 5.
        var test = SlidingWindows.Build(series, 2, 0, 3, 2, 5, 8);
        Assert.Equal([5, 6], test.TargetStart);
        var (x, y) = test.Gather([1]);
        Assert.Equal(new float[] { 3, 103, 4, 104, 5, 105 }, x);
        Assert.Equal(new float[] { 6, 7 }, y);
        // Too short: no windows.
        Assert.Equal(0, SlidingWindows.Build(series, 2, 0, 7, 2, 0, 8).Count);
    }

    [Fact]
    public void RecursiveForecastFeedsPredictionsBack()
    {
        // A "model" that predicts the mean of its window: on a constant series it stays constant, and
        // the k-step forecast only depends on values up to the origin.
        float[] series = [1, 2, 3, 4, 5, 6, 7, 8];
        WindowPredictor mean = (x, m) => Enumerable.Range(0, m).Select(i => x.Skip(i * 2).Take(2).Average()).ToArray();
        var f = RecursiveForecast.FromOrigins(series, 1, [3], lookback: 2, horizon: 1, steps: 3, mean);
        // window (3,4) → 3.5; (4, 3.5) → 3.75; (3.5, 3.75) → 3.625
        Assert.Equal(new float[] { 3.5f, 3.75f, 3.625f }, f[0]);

        // A horizon-2 model that returns (last+1, last+2): recursion in chunks of two.
        WindowPredictor step = (x, m) => Enumerable.Range(0, m).SelectMany(i => new[] { x[i * 2 + 1] + 1, x[i * 2 + 1] + 2 }).ToArray();
        var g = RecursiveForecast.FromOrigins(series, 1, [1], 2, 2, 5, step);
        Assert.Equal(new float[] { 3, 4, 5, 6, 7 }, g[0]);

        var ks = RecursiveForecast.KStepAhead(series, 1, 6, 8, 2, 2, [1, 4], step);
        Assert.Equal([6, 7], ks[1].Targets);
        Assert.Equal(new float[] { 7, 8 }, ks[1].Forecasts);   // exact for the linear series
        Assert.Equal([6, 7], ks[4].Targets);                  // origins 2 and 3
        Assert.Equal(new float[] { 7, 8 }, ks[4].Forecasts);

        // Two features: only steps within the horizon, from one direct call.
        float[] two = [1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0];
        WindowPredictor direct = (x, m) => Enumerable.Range(0, m).SelectMany(i => new[] { x[i * 4 + 2] + 1, x[i * 4 + 2] + 2 }).ToArray();
        var d = RecursiveForecast.KStepAhead(two, 2, 4, 6, 2, 2, [1, 2, 4], direct);
        Assert.Equal([1, 2], d.Keys.OrderBy(k => k));
        Assert.Equal(new float[] { 5, 6 }, d[2].Forecasts);
        Assert.Throws<ArgumentException>(() => RecursiveForecast.FromOrigins(two, 2, [3], 2, 2, 3, direct));
    }

    [Fact]
    public void NaiveAndSeasonalNaiveBaselines()
    {
        double[] y = [1, 2, 3, 4, 5, 6, 7, 8];
        Assert.Equal([4.0, 5.0], ForecastBaselines.Naive(y, [4, 5]));
        Assert.Equal([2.0, 3.0], ForecastBaselines.Naive(y, [4, 5], k: 3));
        Assert.Equal([2.0, 3.0], ForecastBaselines.SeasonalNaive(y, [5, 6], season: 4));
        // k = 5 with season 4: the same phase two whole seasons back (the last one is not observed yet).
        double[] z = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        Assert.Equal([2.0], ForecastBaselines.SeasonalNaive(z, [9], season: 4, k: 5));
        Assert.Throws<ArgumentException>(() => ForecastBaselines.SeasonalNaive(z, [7], season: 4, k: 5));
        Assert.Throws<ArgumentException>(() => ForecastBaselines.Naive(y, [0]));
    }
}
