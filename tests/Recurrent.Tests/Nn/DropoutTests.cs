using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Nn;

public class DropoutTests
{
    [Fact]
    public void DropoutZeroesAboutPAndScalesSurvivors()
    {
        var x = Tensor<float>.Full(1f, 100, 100);
        var y = Op.Dropout(x, 0.3, new Rng(1));
        int zeros = y.ToArray().Count(v => v == 0f);
        Assert.InRange(zeros, 2700, 3300);
        Assert.All(y.ToArray(), v => Assert.True(v == 0f || Math.Abs(v - 1f / 0.7f) < 1e-6));
        Assert.Same(x, Op.Dropout(x, 0.3, new Rng(1), training: false));
        Assert.Same(x, Op.Dropout(x, 0.0, new Rng(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Op.Dropout(x, 1.5, new Rng(1)));
    }

    [Fact]
    public void DropoutGradientMatchesFiniteDifferences()
    {
        var x = Tensor<double>.Normal(new Rng(2), 0, 1, 4, 5); x.Name = "x";
        GradCheck.Check([x], () => [Op.Dropout(x, 0.4, new Rng(9))], "Dropout");
    }

    [Fact]
    public void DropoutModuleIsIdentityInEval()
    {
        var d = new Dropout<float>(0.5, new Rng(3));
        var x = Tensor<float>.Normal(new Rng(4), 0f, 1f, 3, 4);
        Assert.NotEqual(x.ToArray(), d.Forward(x).ToArray());
        d.Eval();
        Assert.Same(x, d.Forward(x));
    }

    [Fact]
    public void StackAppliesDropoutOnlyBetweenLayersAndOnlyInTraining()
    {
        var x = Tensor<float>.Normal(new Rng(5), 0f, 1f, 2, 4, 3);
        var one = new Lstm<float>(3, 4, new Rng(6), numLayers: 1, dropout: 0.5);
        Assert.Equal(one.Forward(x).Output.ToArray(), one.Forward(x).Output.ToArray());   // nothing after the last layer

        var two = new Lstm<float>(3, 4, new Rng(6), numLayers: 2, dropout: 0.5);
        var a = two.Forward(x).Output.ToArray();
        var b = two.Forward(x).Output.ToArray();
        Assert.NotEqual(a, b);                                                            // fresh masks each call
        two.Eval();
        var noDrop = new Lstm<float>(3, 4, new Rng(6), numLayers: 2);
        Assert.Equal(noDrop.Forward(x).Output.ToArray(), two.Forward(x).Output.ToArray());
    }
}
