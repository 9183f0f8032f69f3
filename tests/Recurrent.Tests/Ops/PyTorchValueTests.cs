// Loss and normalisation values against literals printed by PyTorch 1.13 in float64 (tools/reference/ops_optim_values.py).
using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Ops;

public class PyTorchValueTests
{
    private static Tensor<double> Logits() => Tensor<double>.FromDoubles([1, 2, 3, 1, 1, 1, 0, 0, 5], 3, 3);

    [Fact]
    public void WeightedCrossEntropyWithIgnoreIndex()
    {
        double[] w = [1, 2, 0.5];
        Assert.Equal(3.2369105926666277, Op.CrossEntropy(Logits(), [2, 0, 1], classWeights: w).Item(), 14);
        Assert.Equal(4.092229914266035, Op.CrossEntropy(Logits(), [2, -100, 1], classWeights: w).Item(), 14);
        Tolerance.AssertClose([0.2038029822221902, 0.0, 10.026771803442898],
            Op.CrossEntropy(Logits(), [2, -100, 1], classWeights: w, reduction: Reduction.None).ToArray(), 1e-14, 1e-15, "cross_entropy none");
    }

    [Fact]
    public void BceWithLogitsPosWeight()
    {
        var x = Tensor<double>.FromDoubles([-2, -0.5, 0, 1.5, 3], 5, 1);
        var y = Tensor<double>.FromDoubles([0, 1, 0.3, 1, 0], 5, 1);
        var l = Op.BceWithLogits(x, y, Reduction.None, Tensor<double>.FromDoubles([3], 1)).ToArray();
        Tolerance.AssertClose([0.1269280110429727, 2.9222309525403203, 1.1090354888959124, 0.6042398339482574, 3.048587351573742], l, 1e-14, 1e-15, "bce pos_weight");
    }

    [Fact]
    public void LayerNormAffine()
    {
        var y = Op.LayerNorm(Tensor<double>.FromDoubles([1, 2, 3, 4], 1, 4), Tensor<double>.FromDoubles([1, 2, 1, 1], 4), Tensor<double>.FromDoubles([0, 0, 0, 10], 4));
        Tolerance.AssertClose([-1.341635419968927, -0.8944236133126182, 0.4472118066563089, 11.341635419968927], y.ToArray(), 1e-14, 1e-15, "layer_norm");
    }
}
