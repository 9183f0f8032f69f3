using Recurrent.Optim;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Optim;

public class GradClipTests
{
    private static Tensor<double> WithGrad(params double[] g)
    {
        var p = new Tensor<double>(g.Length) { RequiresGrad = true };
        p.Grad = Tensor<double>.FromDoubles(g, g.Length);
        return p;
    }

    [Fact]
    public void ReturnsTheNormBeforeClippingAndScalesToMaxNorm()
    {
        var a = WithGrad(3, 0);
        var b = WithGrad(0, 4);
        var none = new Tensor<double>(2);                                // no gradient: ignored
        double norm = GradClip.ClipGradNorm([a, none, b], 1.0);
        Assert.Equal(5.0, norm, 14);
        double c = 1.0 / (5.0 + 1e-6);
        Assert.Equal([3 * c, 0], a.Grad!.ToArray());
        Assert.Equal([0, 4 * c], b.Grad!.ToArray());
        Assert.Equal(1.0, GradClip.ClipGradNorm([a, b], double.PositiveInfinity), 5);
        Assert.Null(none.Grad);
    }

    [Fact]
    public void SmallGradientsAndInfiniteMaxNormAreUntouched()
    {
        var a = WithGrad(0.3, -0.4);
        Assert.Equal(0.5, GradClip.ClipGradNorm([a], 10.0), 15);
        Assert.Equal([0.3, -0.4], a.Grad!.ToArray());
        var big = WithGrad(300, -400);
        Assert.Equal(500, GradClip.ClipGradNorm([big], double.PositiveInfinity));
        Assert.Equal([300.0, -400], big.Grad!.ToArray());
    }

    [Fact]
    public void OtherNormTypes()
    {
        var a = WithGrad(1, -2, 3);
        Assert.Equal(6, GradClip.ClipGradNorm([a], double.PositiveInfinity, normType: 1));
        Assert.Equal(3, GradClip.ClipGradNorm([a], 1.5, normType: double.PositiveInfinity));
        Tolerance.AssertClose(new[] { 1, -2, 3 }.Select(v => v * 1.5 / (3 + 1e-6)).ToArray(), a.Grad!.ToArray(), 1e-15, 0, "inf-norm clip");
    }

    [Fact]
    public void ClipGradValueClampsEachElement()
    {
        var a = WithGrad(-3, 0.5, 2, -0.1);
        GradClip.ClipGradValue([a], 1.0);
        Assert.Equal([-1, 0.5, 1, -0.1], a.Grad!.ToArray());
        Assert.Throws<ArgumentException>(() => GradClip.ClipGradValue([a], -1));
    }
}
