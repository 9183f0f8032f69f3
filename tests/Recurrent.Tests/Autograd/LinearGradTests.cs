using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Autograd;

public class LinearGradTests
{
    [Theory]
    [InlineData(new[] { 3, 4 }, 5, true)]
    [InlineData(new[] { 2, 3, 4 }, 2, true)]
    [InlineData(new[] { 1, 1 }, 1, false)]
    public void LinearGradientsMatchFiniteDifferences(int[] xShape, int outF, bool withBias)
    {
        var rng = new Rng(7);
        int inF = xShape[^1];
        var x = Tensor<double>.Normal(rng, 0, 1, xShape); x.Name = "x";
        var w = Tensor<double>.Normal(rng, 0, 1, outF, inF); w.Name = "weight";
        var b = withBias ? Tensor<double>.Normal(rng, 0, 1, outF) : null;
        if (b is not null) b.Name = "bias";
        var inputs = b is null ? new[] { x, w } : new[] { x, w, b };
        GradCheck.Check(inputs, () => [Op.Linear(x, w, b)], "Linear");
    }

    [Fact]
    public void LinearRejectsMismatchedShapesNamingBoth()
    {
        var x = new Tensor<float>(2, 3);
        var w = new Tensor<float>(4, 5);
        var ex = Assert.Throws<ArgumentException>(() => Op.Linear(x, w, null));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 5]", ex.Message);
        Assert.Contains("Linear", ex.Message);
    }
}
