using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Ops;

public class NormalizationTests
{
    [Fact]
    public void LayerNormGradientsMatchFiniteDifferences()
    {
        var rng = new Rng(9);
        var x = Tensor<double>.Normal(rng, 0, 2, 2, 3, 4); x.Name = "x";
        var w = Tensor<double>.Normal(rng, 1, 0.5, 4); w.Name = "weight";
        var b = Tensor<double>.Normal(rng, 0, 0.5, 4); b.Name = "bias";
        GradCheck.Check([x, w, b], () => [Op.LayerNorm(x, w, b)], "LayerNorm");
        GradCheck.Check([x], () => [Op.LayerNorm(x, null, null)], "LayerNorm (no affine)");
    }

    [Fact]
    public void LayerNormValuesAreHandComputed()
    {
        // Row [1, 2, 3, 4]: mean 2.5, biased variance 1.25.
        var x = Tensor<double>.FromDoubles([1, 2, 3, 4], 1, 4);
        var w = Tensor<double>.FromDoubles([1, 2, 1, 1], 4);
        var b = Tensor<double>.FromDoubles([0, 0, 0, 10], 4);
        double r = 1 / Math.Sqrt(1.25 + 1e-5);
        Tolerance.AssertClose([-1.5 * r, -0.5 * r * 2, 0.5 * r, 1.5 * r + 10], Op.LayerNorm(x, w, b).ToArray(), 1e-14, 1e-15, "LayerNorm");
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxGradientsMatchFiniteDifferences()
    {
        var x = Tensor<double>.Normal(new Rng(6), 0, 2, 2, 2, 5); x.Name = "x";
        GradCheck.Check([x], () => [Op.Softmax(x)], "Softmax");
        GradCheck.Check([x], () => [Op.LogSoftmax(x)], "LogSoftmax");
    }

    [Fact]
    public void SoftmaxIsStableForHugeLogits()
    {
        var x = Tensor<float>.FromDoubles([1000, 1001, 1002, -1000, 0, 1000], 2, 3);
        var p = Op.Softmax(x).ToArray();
        var lp = Op.LogSoftmax(x).ToArray();
        double z = 1 + Math.E + Math.E * Math.E;
        Tolerance.AssertClose([1 / z, Math.E / z, Math.E * Math.E / z, 0, 0, 1], Tolerance.ToDouble(p), 1e-6, 1e-7, "softmax");
        Tolerance.AssertClose([-2 - Math.Log(1 + Math.Exp(-1) + Math.Exp(-2)), -1 - Math.Log(1 + Math.Exp(-1) + Math.Exp(-2)), -Math.Log(1 + Math.Exp(-1) + Math.Exp(-2)), -2000, -1000, 0],
            Tolerance.ToDouble(lp), 1e-6, 1e-6, "log_softmax");
    }
}
