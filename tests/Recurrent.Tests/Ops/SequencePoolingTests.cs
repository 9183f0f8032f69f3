using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Ops;

public class SequencePoolingTests
{
    private static Tensor<double> Pool(string op, Tensor<double> x, int[]? lengths) => op switch
    {
        "Mean" => Op.MeanOverTime(x, lengths),
        "Max" => Op.MaxOverTime(x, lengths),
        _ => Op.LastValid(x, lengths),
    };

    [Theory]
    [InlineData("Mean")]
    [InlineData("Max")]
    [InlineData("Last")]
    public void GradientsMatchFiniteDifferences(string op)
    {
        var x = Tensor<double>.Normal(new Rng(11), 0, 1, 3, 4, 2); x.Name = "x";
        GradCheck.Check([x], () => [Pool(op, x, [4, 1, 2])], op + "OverTime");
        GradCheck.Check([x], () => [Pool(op, x, null)], op + "OverTime (no lengths)");
    }

    [Theory]
    [InlineData("Mean")]
    [InlineData("Max")]
    [InlineData("Last")]
    public void PaddingNeverChangesTheResultOrReceivesGradient(string op)
    {
        int[] lengths = [2, 4, 1];
        var x = Tensor<double>.Normal(new Rng(4), 0, 1, 3, 4, 2);
        var y1 = Pool(op, x, lengths).ToArray();
        var padded = x.Clone();
        for (int b = 0; b < 3; b++)
            for (int t = lengths[b]; t < 4; t++)
                for (int h = 0; h < 2; h++) padded[b, t, h] = 1e6 * (h + 1);   // huge values that would win a max
        padded.RequiresGrad = true;
        var y2 = Pool(op, padded, lengths);
        Assert.Equal(y1, y2.ToArray());
        Op.Sum(y2).Backward();
        for (int b = 0; b < 3; b++)
            for (int t = lengths[b]; t < 4; t++)
                for (int h = 0; h < 2; h++) Assert.Equal(0.0, padded.Grad![b, t, h]);
    }

    [Fact]
    public void ValuesAreHandComputed()
    {
        // x[b, t, h]: sample 0 = [[1, 2], [3, -4], [100, 100]] with length 2; sample 1 = [[5, 6], [7, 0], [-1, 9]] with length 3
        var x = Tensor<double>.FromDoubles([1, 2, 3, -4, 100, 100, 5, 6, 7, 0, -1, 9], 2, 3, 2);
        int[] len = [2, 3];
        Assert.Equal([2, -1, 11 / 3.0, 5], Op.MeanOverTime(x, len).ToArray());
        Assert.Equal([3, 2, 7, 9], Op.MaxOverTime(x, len).ToArray());
        Assert.Equal([3, -4, -1, 9], Op.LastValid(x, len).ToArray());
    }

    [Fact]
    public void BadLengthsAreRejectedNamingTheSample()
    {
        var x = new Tensor<float>(2, 3, 1);
        var ex = Assert.Throws<ArgumentException>(() => Op.MeanOverTime(x, [3, 0]));
        Assert.Contains("sample 1", ex.Message);
        Assert.Throws<ArgumentException>(() => Op.LastValid(x, [4, 1]));
        Assert.Throws<ArgumentException>(() => Op.MaxOverTime(x, [1]));
    }
}
