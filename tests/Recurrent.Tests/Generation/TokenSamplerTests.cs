using Recurrent.Generation;
using Recurrent.Tensors;

namespace Recurrent.Tests.Generation;

public class TokenSamplerTests
{
    private static readonly float[] Logits = [1.0f, 3.0f, 2.0f, 0.0f, 3.0f];

    [Fact]
    public void GreedyTakesTheFirstLargestLogit()
    {
        Assert.Equal(1, TokenSampler.ArgMax<float>(Logits));
        Assert.Equal(1, TokenSampler.Sample<float>(Logits, SamplingOptions.Greedy, new Rng(1)));
        Assert.Equal(2, TokenSampler.ArgMax<float>([float.NaN, 0f, 5f]));
    }

    [Fact]
    public void TemperatureOneIsTheSoftmax()
    {
        var p = new double[Logits.Length];
        TokenSampler.Distribution<float>(Logits, new SamplingOptions(1.0), p);
        double z = Logits.Sum(l => Math.Exp(l));
        for (int i = 0; i < p.Length; i++) Assert.Equal(Math.Exp(Logits[i]) / z, p[i], 12);
    }

    [Fact]
    public void LowTemperatureSharpensHighTemperatureFlattens()
    {
        var cold = new double[5]; var hot = new double[5];
        TokenSampler.Distribution<float>(Logits, new SamplingOptions(0.1), cold);
        TokenSampler.Distribution<float>(Logits, new SamplingOptions(100), hot);
        Assert.InRange(cold[1] + cold[4], 0.999, 1.0);        // the two tied maxima take everything
        Assert.Equal(cold[1], cold[4], 12);
        Assert.True(hot.Max() - hot.Min() < 0.02, "τ = 100 should be almost uniform");
    }

    [Fact]
    public void TopKKeepsTheKMostLikelyWithIndexOrderOnTies()
    {
        var p = new double[5];
        TokenSampler.Distribution<float>(Logits, new SamplingOptions(1.0, TopK: 2), p);
        Assert.Equal([0.0, 0.5, 0.0, 0.0, 0.5], p.Select(x => Math.Round(x, 12)));
        TokenSampler.Distribution<float>(Logits, new SamplingOptions(1.0, TopK: 1), p);
        Assert.Equal([0.0, 1.0, 0.0, 0.0, 0.0], p);           // tie broken towards the lower index
    }

    [Fact]
    public void TopPKeepsTheSmallestNucleusReachingP()
    {
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];
        var p = new double[4];
        TokenSampler.Distribution<float>(logits, new SamplingOptions(1.0, TopP: 0.8), p);
        Assert.Equal(0.5 / 0.8, p[0], 6);
        Assert.Equal(0.3 / 0.8, p[1], 6);
        Assert.Equal(0.0, p[2]);
        TokenSampler.Distribution<float>(logits, new SamplingOptions(1.0, TopP: 0.81), p);
        Assert.True(p[2] > 0, "0.81 needs the third token");
        Assert.Equal(0.0, p[3]);
        TokenSampler.Distribution<float>(logits, new SamplingOptions(1.0, TopP: 0.01), p);
        Assert.Equal([1.0, 0, 0, 0], p);                        // at least one token survives
    }

    [Fact]
    public void TopPAppliesToTheTopKRenormalisedSet()
    {
        float[] logits = [MathF.Log(0.4f), MathF.Log(0.3f), MathF.Log(0.2f), MathF.Log(0.1f)];
        var p = new double[4];
        // top-2 → {0.4, 0.3} renormalised {4/7, 3/7}; p = 0.5 needs only the first.
        TokenSampler.Distribution<float>(logits, new SamplingOptions(1.0, TopK: 2, TopP: 0.5), p);
        Assert.Equal([1.0, 0, 0, 0], p);
    }

    [Fact]
    public void SamplingFollowsTheDistributionAndIsSeeded()
    {
        float[] logits = [MathF.Log(0.6f), MathF.Log(0.3f), MathF.Log(0.1f)];
        var counts = new int[3];
        var rng = new Rng(7);
        for (int i = 0; i < 20000; i++) counts[TokenSampler.Sample<float>(logits, new SamplingOptions(1.0), rng)]++;
        Assert.InRange(counts[0] / 20000.0, 0.58, 0.62);
        Assert.InRange(counts[1] / 20000.0, 0.28, 0.32);
        Assert.InRange(counts[2] / 20000.0, 0.08, 0.12);

        var r1 = new Rng(3); var r2 = new Rng(3);
        for (int i = 0; i < 50; i++)
            Assert.Equal(TokenSampler.Sample<float>(logits, new SamplingOptions(1.5, 2), r1), TokenSampler.Sample<float>(logits, new SamplingOptions(1.5, 2), r2));
    }

    [Fact]
    public void FilteredTokensAreNeverDrawn()
    {
        var rng = new Rng(11);
        for (int i = 0; i < 2000; i++)
        {
            int t = TokenSampler.Sample<float>(Logits, new SamplingOptions(2.0, TopK: 3), rng);
            Assert.Contains(t, new[] { 1, 2, 4 });
        }
    }

    [Theory]
    [InlineData(-1.0, 0, 1.0, "--temperature")]
    [InlineData(double.NaN, 0, 1.0, "--temperature")]
    [InlineData(1.0, -2, 1.0, "--top-k")]
    [InlineData(1.0, 0, 0.0, "--top-p")]
    [InlineData(1.0, 0, 1.5, "--top-p")]
    public void BadOptionsNameTheOption(double temperature, int topK, double topP, string option)
    {
        var ex = Assert.Throws<ArgumentException>(() => TokenSampler.Sample<float>(Logits, new SamplingOptions(temperature, topK, topP), new Rng(1)));
        Assert.Contains(option, ex.Message);
    }

    [Fact]
    public void AllNaNLogitsAreAnError()
    {
        Assert.Throws<ArgumentException>(() => TokenSampler.Sample<float>([float.NaN, float.NaN], new SamplingOptions(1.0), new Rng(1)));
    }
}
