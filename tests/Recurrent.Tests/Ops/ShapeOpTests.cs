using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Ops;

public class ShapeOpTests
{
    private static Tensor<double> Seq(params int[] shape)
    {
        var t = new Tensor<double>(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = i;
        return t;
    }

    [Fact]
    public void ReshapeSharesStorageAndInfersMinusOne()
    {
        var x = Seq(2, 3, 4);
        var y = Op.Reshape(x, -1, 4);
        Assert.Equal([6, 4], y.Shape.ToArray());
        y.Data[5] = 99;
        Assert.Equal(99, x.Data[5]);
        Assert.Throws<ArgumentException>(() => Op.Reshape(x, 5, -1));
        Assert.Throws<ArgumentException>(() => Op.Reshape(x, -1, -1));
    }

    [Fact]
    public void ReshapeGradientMatchesFiniteDifferences()
    {
        var x = Tensor<double>.Normal(new Rng(2), 0, 1, 2, 3); x.Name = "x";
        GradCheck.Check([x], () => [Op.Tanh(Op.Reshape(x, 3, 2))], "Reshape");
    }

    [Fact]
    public void Transpose01SwapsLeadingDimensions()
    {
        var x = Seq(2, 3, 2);
        var y = Op.Transpose01(x);
        Assert.Equal([3, 2, 2], y.Shape.ToArray());
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 2; k++) Assert.Equal(x[i, j, k], y[j, i, k]);
        var z = Tensor<double>.Normal(new Rng(5), 0, 1, 2, 3, 2); z.Name = "x";
        GradCheck.Check([z], () => [Op.Transpose01(z)], "Transpose01");
    }

    [Fact]
    public void SelectTimePicksOneStepAndCountsFromTheEnd()
    {
        var x = Seq(2, 3, 2);
        Assert.Equal([2, 3, 8, 9], Op.SelectTime(x, 1).ToArray());
        Assert.Equal([4, 5, 10, 11], Op.SelectTime(x, -1).ToArray());
        Assert.Throws<ArgumentException>(() => Op.SelectTime(x, 3));
        var z = Tensor<double>.Normal(new Rng(5), 0, 1, 2, 3, 2); z.Name = "x";
        GradCheck.Check([z], () => [Op.SelectTime(z, 1), Op.SelectTime(z, 2)], "SelectTime");
    }

    [Fact]
    public void SelectFirstPicksALayer()
    {
        var x = Seq(3, 2, 2);                                            // [L, B, H]
        Assert.Equal([8, 9, 10, 11], Op.SelectFirst(x, -1).ToArray());
        Assert.Equal([2, 2], Op.SelectFirst(x, 0).Shape.ToArray());
        var ex = Assert.Throws<ArgumentException>(() => Op.SelectFirst(x, 3));
        Assert.Contains("3", ex.Message);
        var z = Tensor<double>.Normal(new Rng(5), 0, 1, 3, 2, 2); z.Name = "x";
        GradCheck.Check([z], () => [Op.SelectFirst(z, 1), Op.SelectFirst(z, 2)], "SelectFirst");
    }

    [Fact]
    public void ConcatLastDimJoinsRows()
    {
        var a = Seq(2, 2);
        var b = Tensor<double>.FromDoubles([10, 11, 12, 13, 14, 15], 2, 3);
        var y = Op.ConcatLastDim(a, b);
        Assert.Equal([2, 5], y.Shape.ToArray());
        Assert.Equal([0, 1, 10, 11, 12, 2, 3, 13, 14, 15], y.ToArray());
        Assert.Throws<ArgumentException>(() => Op.ConcatLastDim(a, Seq(3, 2)));

        var rng = new Rng(8);
        var p = Tensor<double>.Normal(rng, 0, 1, 2, 1, 3); p.Name = "p";
        var q = Tensor<double>.Normal(rng, 0, 1, 2, 1, 2); q.Name = "q";
        GradCheck.Check([p, q], () => [Op.ConcatLastDim(p, q, p)], "ConcatLastDim");
    }

    [Fact]
    public void SumAndMeanReduceToAScalar()
    {
        var x = Seq(2, 3);
        var s = Op.Sum(x);
        Assert.Equal(0, s.Rank);
        Assert.Equal(15, s.Item());
        Assert.Equal(2.5, Op.Mean(x).Item());
        var z = Tensor<double>.Normal(new Rng(5), 0, 1, 2, 3); z.Name = "x";
        GradCheck.Check([z], () => [Op.Sum(z), Op.Mean(z)], "Sum/Mean");
    }
}
