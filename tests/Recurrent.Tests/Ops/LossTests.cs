using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Ops;

public class LossTests
{
    // logits rows [1, 2, 3], [1, 1, 1], [0, 0, 5] with targets 2, 0, 1: per-row losses by hand.
    private static readonly double[] Logits = [1, 2, 3, 1, 1, 1, 0, 0, 5];
    private static readonly double L0 = Math.Log(1 + Math.Exp(-1) + Math.Exp(-2));
    private static readonly double L1 = Math.Log(3);
    private static readonly double L2 = 5 + Math.Log(1 + 2 * Math.Exp(-5));

    private static Tensor<double> L() => Tensor<double>.FromDoubles(Logits, 3, 3);

    [Fact]
    public void CrossEntropyValuesAreHandComputed()
    {
        int[] t = [2, 0, 1];
        Assert.Equal((L0 + L1 + L2) / 3, Op.CrossEntropy(L(), t).Item(), 14);
        Assert.Equal(L0 + L1 + L2, Op.CrossEntropy(L(), t, reduction: Reduction.Sum).Item(), 14);
        Tolerance.AssertClose([L0, L1, L2], Op.CrossEntropy(L(), t, reduction: Reduction.None).ToArray(), 1e-14, 1e-15, "none");
    }

    [Fact]
    public void WeightedMeanDividesByTheWeightsOfCountedRows()
    {
        // class weights [1, 2, 0.5] → row weights 0.5, 1, 2 (PyTorch: Σ w_i·l_i / Σ w_i)
        double[] cw = [1, 2, 0.5];
        Assert.Equal((0.5 * L0 + L1 + 2 * L2) / 3.5, Op.CrossEntropy(L(), [2, 0, 1], classWeights: cw).Item(), 14);
        // the ignored row is neither in the sum nor in the divisor
        Assert.Equal((0.5 * L0 + 2 * L2) / 2.5, Op.CrossEntropy(L(), [2, -100, 1], classWeights: cw).Item(), 14);
        Tolerance.AssertClose([0.5 * L0, 0, 2 * L2], Op.CrossEntropy(L(), [2, -100, 1], classWeights: cw, reduction: Reduction.None).ToArray(), 1e-14, 1e-15, "none");
    }

    [Fact]
    public void IgnoreIndexAndMaskDropRows()
    {
        Assert.Equal((L0 + L2) / 2, Op.CrossEntropy(L(), [2, -100, 1]).Item(), 14);
        Assert.Equal((L0 + L2) / 2, Op.CrossEntropy(L(), [2, 7, 1], ignoreIndex: 7).Item(), 14);
        Assert.Equal((L0 + L2) / 2, Op.CrossEntropy(L(), [2, 0, 1], mask: [1.0, 0, 1]).Item(), 14);
    }

    [Fact]
    public void AllRowsIgnoredGivesNaNLossAndZeroGradientLikePyTorch()
    {
        var x = L(); x.RequiresGrad = true;
        var loss = Op.CrossEntropy(x, [-100, -100, -100]);
        Assert.True(double.IsNaN(loss.Item()));
        loss.Backward();
        Assert.All(x.Grad!.ToArray(), g => Assert.Equal(0.0, g));
    }

    [Theory]
    [InlineData(Reduction.Mean, false)]
    [InlineData(Reduction.Sum, false)]
    [InlineData(Reduction.None, false)]
    [InlineData(Reduction.Mean, true)]
    [InlineData(Reduction.None, true)]
    public void CrossEntropyGradientMatchesFiniteDifferences(Reduction reduction, bool weighted)
    {
        var x = Tensor<double>.Normal(new Rng(12), 0, 2, 2, 3, 4); x.Name = "logits";   // [..., C] with leading [2, 3]
        int[] t = [3, 0, -100, 2, 1, 1];
        double[]? cw = weighted ? [0.5, 1, 2, 3] : null;
        double[]? mask = weighted ? [1, 1, 1, 0, 1, 1] : null;
        GradCheck.Check([x], () => [Op.CrossEntropy(x, t, mask: mask, reduction: reduction, classWeights: cw)], $"CrossEntropy {reduction}");
    }

    [Fact]
    public void OutOfRangeTargetIsRejectedNamingValueAndClassCount()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.CrossEntropy(new Tensor<float>(2, 5), [1, 5]));
        Assert.Contains("target 5", ex.Message);
        Assert.Contains("5 classes", ex.Message);
        Assert.Throws<ArgumentException>(() => Op.CrossEntropy(new Tensor<float>(2, 5), [1]));
        Assert.Throws<ArgumentException>(() => Op.CrossEntropy(new Tensor<float>(2, 5), [-1, 0]));
    }

    [Fact]
    public void MseLossValuesAndGradients()
    {
        var a = Tensor<double>.FromDoubles([1, 2, 3, 4], 2, 2);
        var b = Tensor<double>.FromDoubles([0, 2, 5, 1], 2, 2);
        Assert.Equal((1 + 0 + 4 + 9) / 4.0, Op.MseLoss(a, b).Item());
        Assert.Equal(14.0, Op.MseLoss(a, b, Reduction.Sum).Item());
        Assert.Equal([1.0, 0, 4, 9], Op.MseLoss(a, b, Reduction.None).ToArray());
        a.Name = "input"; b.Name = "target";
        foreach (var r in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
            GradCheck.Check([a, b], () => [Op.MseLoss(a, b, r)], $"MseLoss {r}");
        Assert.Throws<ArgumentException>(() => Op.MseLoss(a, new Tensor<double>(4)));
    }

    [Fact]
    public void BceWithLogitsMatchesTheNaiveFormulaAndStaysFiniteForHugeLogits()
    {
        double[] xs = [-2, -0.5, 0, 1.5, 3];
        double[] ys = [0, 1, 0.3, 1, 0];
        var per = Op.BceWithLogits(Tensor<double>.FromDoubles(xs, 5), Tensor<double>.FromDoubles(ys, 5), Reduction.None).ToArray();
        var naive = xs.Select((x, i) => -(ys[i] * Math.Log(1 / (1 + Math.Exp(-x))) + (1 - ys[i]) * Math.Log(1 - 1 / (1 + Math.Exp(-x))))).ToArray();
        Tolerance.AssertClose(naive, per, 1e-13, 1e-15, "bce");

        var big = Op.BceWithLogits(Tensor<float>.FromDoubles([100, -100, 100], 3), Tensor<float>.FromDoubles([0, 1, 1], 3), Reduction.None).ToArray();
        Tolerance.AssertClose([100f, 100f, 0f], big, 1e-6, 1e-6, "bce huge logits");

        // pos_weight p multiplies the positive term: l = −p·y·log σ(x) − (1 − y)·log(1 − σ(x))
        var pw = Tensor<double>.FromDoubles([3], 1);
        var weighted = Op.BceWithLogits(Tensor<double>.FromDoubles(xs, 5, 1), Tensor<double>.FromDoubles(ys, 5, 1), Reduction.None, pw).ToArray();
        var naiveW = xs.Select((x, i) => -(3 * ys[i] * Math.Log(1 / (1 + Math.Exp(-x))) + (1 - ys[i]) * Math.Log(1 - 1 / (1 + Math.Exp(-x))))).ToArray();
        Tolerance.AssertClose(naiveW, weighted, 1e-13, 1e-15, "bce pos_weight");
    }

    [Fact]
    public void BceWithLogitsGradientsMatchFiniteDifferences()
    {
        var rng = new Rng(21);
        var x = Tensor<double>.Normal(rng, 0, 2, 3, 2); x.Name = "logits";
        var y = Tensor<double>.Uniform(rng, 0.0, 1.0, 3, 2); y.Name = "targets";
        var pw = Tensor<double>.FromDoubles([0.5, 2.5], 2); pw.Name = "pos_weight";
        GradCheck.Check([x, y], () => [Op.BceWithLogits(x, y)], "BceWithLogits");
        GradCheck.Check([x, y, pw], () => [Op.BceWithLogits(x, y, Reduction.Sum, pw)], "BceWithLogits pos_weight");
    }
}
