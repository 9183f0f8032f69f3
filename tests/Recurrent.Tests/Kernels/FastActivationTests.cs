// The vectorised float activations against double-precision math over a wide range, tiny arguments,
// extremes and every lane position; the scalar versions must agree with the vector ones.
using System.Runtime.Intrinsics;
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Tests.Kernels;

public class FastActivationTests
{
    private static IEnumerable<float> Arguments()
    {
        var rng = new Rng(42);
        for (int i = 0; i < 20000; i++) yield return (float)((rng.NextDouble() * 2 - 1) * 30);
        for (int e = -30; e <= 1; e++)
            for (int i = 0; i < 50; i++) yield return (float)((rng.NextDouble() * 2 - 1) * Math.Pow(10, e / 3.0));
        foreach (var v in new[] { 0f, -0f, 0.625f, -0.625f, 0.62499f, 1e-30f, -1e-30f, 9f, -9f, 44f, -44f, 87f, -87f, 88f, -88f, 100f, -100f })
            yield return v;
    }

    [Fact]
    public void VectorActivationsMatchDoubleMathToAFewUlp()
    {
        foreach (float x in Arguments())
        {
            var v = Vector256.Create(x);
            double s = 1 / (1 + Math.Exp(-(double)x)), t = Math.Tanh(x);
            float fs = FastActivation.Sigmoid(v)[3], ft = FastActivation.Tanh(v)[5];
            // sigmoid: relative 3e-7 where it is representable as a normal float; absolute 1e-37 in the far tail
            Assert.True(Math.Abs(fs - s) <= 3e-7 * s + 1e-37, $"sigmoid({x:R}) = {fs:R}, expected {s:R}");
            Assert.True(Math.Abs(ft - t) <= 3e-7 * Math.Abs(t) + 1e-45, $"tanh({x:R}) = {ft:R}, expected {t:R}");
            Assert.Equal(FastActivation.Sigmoid(x), fs);
            Assert.Equal(FastActivation.Tanh(x), ft);
            if (Math.Abs(x) < 85)
            {
                double e = Math.Exp(x);
                Assert.True(Math.Abs(FastActivation.Exp(v)[0] - e) <= 3e-7 * e, $"exp({x:R}) = {FastActivation.Exp(v)[0]:R}, expected {e:R}");
            }
        }
    }

    [Fact]
    public void ActivationsAreBoundedAndOddWhereTheyShouldBe()
    {
        foreach (float x in Arguments())
        {
            float t = FastActivation.Tanh(Vector256.Create(x))[0];
            Assert.InRange(t, -1f, 1f);
            Assert.Equal(-t, FastActivation.Tanh(Vector256.Create(-x))[0]);
            Assert.InRange(FastActivation.Sigmoid(Vector256.Create(x))[0], 0f, 1f);
        }
        Assert.True(float.IsNaN(FastActivation.Tanh(Vector256.Create(float.NaN))[0]));
    }

    [Fact]
    public void EachLaneIsComputedIndependently()
    {
        var input = new float[] { -20f, -1.5f, -0.3f, 0f, 1e-6f, 0.7f, 3f, 50f };
        var v = Vector256.Create(input);
        var s = FastActivation.Sigmoid(v); var t = FastActivation.Tanh(v);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(FastActivation.Sigmoid(input[i]), s[i]);
            Assert.Equal(FastActivation.Tanh(input[i]), t[i]);
        }
    }
}
