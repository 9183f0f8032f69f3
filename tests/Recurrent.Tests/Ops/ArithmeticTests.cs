using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Ops;

public class ArithmeticTests
{
    public static TheoryData<string, int[], int[]> Cases() => new()
    {
        { "Add", [2, 3], [2, 3] }, { "Add", [2, 3, 4], [4] }, { "Add", [4], [2, 3, 4] }, { "Add", [2, 3], [] }, { "Add", [3, 2], [3, 2] },
        { "Sub", [2, 3], [2, 3] }, { "Sub", [2, 3, 4], [3, 4] }, { "Sub", [4], [2, 4] },
        { "Mul", [2, 3], [2, 3] }, { "Mul", [2, 3, 4], [4] }, { "Mul", [4], [3, 4] }, { "Mul", [], [2, 2] },
    };

    private static Tensor<double> Apply(string op, Tensor<double> a, Tensor<double> b) => op switch
    {
        "Add" => Op.Add(a, b),
        "Sub" => Op.Sub(a, b),
        _ => Op.Mul(a, b),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsMatchFiniteDifferences(string op, int[] aShape, int[] bShape)
    {
        var rng = new Rng(3);
        var a = Tensor<double>.Normal(rng, 0, 1, aShape); a.Name = "a";
        var b = Tensor<double>.Normal(rng, 0, 1, bShape); b.Name = "b";
        GradCheck.Check([a, b], () => [Apply(op, a, b)], op);
    }

    [Fact]
    public void BroadcastValuesRepeatTheSmallOperandOverLeadingDimensions()
    {
        var a = Tensor<double>.FromDoubles([1, 2, 3, 4, 5, 6], 2, 3);
        var b = Tensor<double>.FromDoubles([10, 20, 30], 3);
        Assert.Equal([11, 22, 33, 14, 25, 36], Op.Add(a, b).ToArray());
        Assert.Equal([-9, -18, -27, -6, -15, -24], Op.Sub(a, b).ToArray());
        Assert.Equal([-9, -18, -27, -6, -15, -24], Op.Sub(a, b).ToArray());
        Assert.Equal([9, 18, 27, 6, 15, 24], Op.Sub(b, a).ToArray());
        Assert.Equal([10, 40, 90, 40, 100, 180], Op.Mul(b, a).ToArray());
        Assert.Equal([2, 3], Op.Mul(b, a).Shape.ToArray());
        Assert.Equal([-2.5, -5, -7.5, -10, -12.5, -15], Op.Scale(a, -2.5).ToArray());
    }

    [Fact]
    public void ScaleGradientMatchesFiniteDifferences()
    {
        var x = Tensor<double>.Normal(new Rng(1), 0, 1, 3, 2); x.Name = "x";
        GradCheck.Check([x], () => [Op.Scale(x, -1.7)], "Scale");
    }

    [Fact]
    public void SameTensorOnBothSidesAccumulatesBothContributions()
    {
        var x = Tensor<double>.FromDoubles([1.5, -2], 2); x.Name = "x";
        GradCheck.Check([x], () => [Op.Mul(x, x)], "Mul(x, x)");
    }

    [Fact]
    public void NonTrailingShapesAreRejectedNamingBoth()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Add(new Tensor<float>(2, 3), new Tensor<float>(2)));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[2]", ex.Message);
        Assert.Contains("Add", ex.Message);
    }
}
