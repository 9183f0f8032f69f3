using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Ops;

public class EmbeddingTests
{
    [Fact]
    public void GradientMatchesFiniteDifferencesWithRepeatedIds()
    {
        var w = Tensor<double>.Normal(new Rng(1), 0, 1, 5, 3); w.Name = "weight";
        GradCheck.Check([w], () => [Op.Embedding(w, [1, 4, 1, 0, 2, 1], [2, 3])], "Embedding");
    }

    [Fact]
    public void LooksUpRowsInTheIdsShape()
    {
        var w = Tensor<double>.FromDoubles([0, 1, 10, 11, 20, 21], 3, 2);
        var y = Op.Embedding(w, [2, 0, 1, 2], [2, 2]);
        Assert.Equal([2, 2, 2], y.Shape.ToArray());
        Assert.Equal([20, 21, 0, 1, 10, 11, 20, 21], y.ToArray());
    }

    [Fact]
    public void PaddingRowGetsNoGradient()
    {
        var w = Tensor<double>.Normal(new Rng(2), 0, 1, 4, 2);
        w.RequiresGrad = true;
        var y = Op.Embedding(w, [0, 3, 0, 2], paddingIdx: 0);
        Op.Sum(y).Backward();
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1], w.Grad!.ToArray());
    }

    [Fact]
    public void OutOfRangeIdIsRejectedNamingValueAndSize()
    {
        var w = new Tensor<float>(4, 2);
        var ex = Assert.Throws<ArgumentException>(() => Op.Embedding(w, [1, 7]));
        Assert.Contains("7", ex.Message);
        Assert.Contains("0..3", ex.Message);
        Assert.Throws<ArgumentException>(() => Op.Embedding(w, [-1]));
    }

    [Fact]
    public void OneHotMarksEachId()
    {
        var y = Op.OneHot<float>([2, 0, 1], 3);
        Assert.Equal([3, 3], y.Shape.ToArray());
        Assert.Equal([0f, 0, 1, 1, 0, 0, 0, 1, 0], y.ToArray());
        Assert.False(y.RequiresGrad);
        Assert.Equal([1, 2, 4], Op.OneHot<double>([3, 1], 4, [1, 2]).Shape.ToArray());
        var ex = Assert.Throws<ArgumentException>(() => Op.OneHot<float>([3], 3));
        Assert.Contains("3", ex.Message);
    }
}
