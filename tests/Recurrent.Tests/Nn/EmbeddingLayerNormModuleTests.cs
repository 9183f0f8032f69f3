using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Nn;

public class EmbeddingLayerNormModuleTests
{
    [Fact]
    public void EmbeddingIsStandardNormalWithAZeroPaddingRowAndPyTorchNames()
    {
        var e = new Embedding<double>(200, 50, new Rng(3), paddingIdx: -1);
        Assert.Equal(199, e.PaddingIdx);
        Assert.Equal(["weight"], e.NamedParameters().Select(p => p.Name));
        Assert.Equal([200, 50], e.Weight.Shape.ToArray());
        var w = e.Weight.ToArray();
        Assert.All(w.Skip(199 * 50), v => Assert.Equal(0.0, v));
        var body = w.Take(199 * 50).ToArray();
        double mean = body.Average(), std = Math.Sqrt(body.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(std, 0.95, 1.05);

        var y = e.Forward([199, 5, 5, 0], [2, 2]);
        Assert.Equal([2, 2, 50], y.Shape.ToArray());
        Op.Sum(y).Backward();
        Assert.All(e.Weight.Grad!.ToArray().Skip(199 * 50), v => Assert.Equal(0.0, v));
        Assert.Equal(2.0, e.Weight.Grad![5, 0]);
        Assert.Throws<ArgumentException>(() => new Embedding<float>(4, 2, new Rng(1), paddingIdx: 4));
    }

    [Fact]
    public void LayerNormStartsAsPlainNormalisationAndHasPyTorchNames()
    {
        var ln = new LayerNorm<double>(4);
        Assert.Equal(["weight", "bias"], ln.NamedParameters().Select(p => p.Name));
        Assert.Equal([1.0, 1, 1, 1], ln.Weight!.ToArray());
        Assert.Equal([0.0, 0, 0, 0], ln.Bias!.ToArray());
        var x = Tensor<double>.Normal(new Rng(2), 3, 2, 2, 3, 4); x.Name = "x";
        var y = ln.Forward(x).ToArray();
        for (int r = 0; r < 6; r++)
        {
            var row = y.Skip(r * 4).Take(4).ToArray();
            Assert.Equal(0, row.Average(), 12);
            Assert.Equal(1, row.Select(v => v * v).Average(), 3);         // (σ² / (σ² + 1e-5)) ≈ 1
        }
        ln.Weight.Data[1] = 1.5; ln.Bias.Data[2] = -0.3;
        GradCheck.Check([x, ln.Weight, ln.Bias], () => [ln.Forward(x)], "LayerNorm module");
        Assert.Throws<ArgumentException>(() => ln.Forward(new Tensor<double>(2, 3)));
        Assert.Empty(new LayerNorm<float>(3, elementwiseAffine: false).NamedParameters());
    }
}
