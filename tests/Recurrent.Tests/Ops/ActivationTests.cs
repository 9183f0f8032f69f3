using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Ops;

public class ActivationTests
{
    private static readonly double[] Inputs = [-3.2, -1, -0.4, 0.25, 0.7, 2.5];

    [Theory]
    [InlineData("Tanh")]
    [InlineData("Sigmoid")]
    [InlineData("Relu")]
    public void GradientsMatchFiniteDifferences(string op)
    {
        // Inputs stay away from 0 so the finite difference of ReLU never straddles the kink.
        var x = Tensor<double>.FromDoubles(Inputs, 2, 3); x.Name = "x";
        GradCheck.Check([x], () => [Apply(op, x)], op);
    }

    [Theory]
    [InlineData("Tanh")]
    [InlineData("Sigmoid")]
    [InlineData("Relu")]
    public void ValuesMatchTheDefinition(string op)
    {
        var x = Tensor<double>.FromDoubles(Inputs, 6);
        var y = Apply(op, x).ToArray();
        var expected = Inputs.Select(v => op switch
        {
            "Tanh" => Math.Tanh(v),
            "Sigmoid" => 1 / (1 + Math.Exp(-v)),
            _ => Math.Max(v, 0),
        }).ToArray();
        Tolerance.AssertClose(expected, y, 1e-14, 1e-15, op);
    }

    [Fact]
    public void SigmoidAndTanhSaturateWithoutNaN()
    {
        var x = Tensor<float>.FromDoubles([-1000, 1000], 2);
        Assert.Equal([0f, 1f], Op.Sigmoid(x).ToArray());
        Assert.Equal([-1f, 1f], Op.Tanh(x).ToArray());
    }

    private static Tensor<double> Apply(string op, Tensor<double> x) => op switch
    {
        "Tanh" => Op.Tanh(x),
        "Sigmoid" => Op.Sigmoid(x),
        _ => Op.Relu(x),
    };
}
