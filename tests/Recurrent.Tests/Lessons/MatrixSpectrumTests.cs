// Power-iteration estimates against matrices whose spectrum is known in closed form.
using Recurrent.Diagnostics;
using Recurrent.Tensors;

namespace Recurrent.Tests.Lessons;

public class MatrixSpectrumTests
{
    [Fact]
    public void Diagonal_RadiusAndNormAreTheLargestEntry()
    {
        double[] w = [0.3, 0, 0, 0, -0.9, 0, 0, 0, 0.5];
        Assert.Equal(0.9, MatrixSpectrum.SpectralRadius<double>(w, 3), 6);
        Assert.Equal(0.9, MatrixSpectrum.LargestSingularValue<double>(w, 3, 3), 9);
    }

    [Theory]
    [InlineData(0.9, 0.7)]
    [InlineData(1.3, 2.0)]
    public void ScaledRotation_ComplexEigenvalues_RadiusIsTheScale(double scale, double angle)
    {
        // Eigenvalues scale·e^{±i·angle}: plain power iteration never settles on a vector here.
        double c = scale * Math.Cos(angle), s = scale * Math.Sin(angle);
        double[] w = [c, -s, s, c];
        Assert.Equal(scale, MatrixSpectrum.SpectralRadius<double>(w, 2), 6);
        Assert.Equal(scale, MatrixSpectrum.LargestSingularValue<double>(w, 2, 2), 9);
    }

    [Fact]
    public void NonNormal_RadiusAndNormDiffer()
    {
        // Upper triangular: eigenvalues 0.5 and 0.4, but one step can stretch by ~10.
        double[] w = [0.5, 10, 0, 0.4];
        Assert.Equal(0.5, MatrixSpectrum.SpectralRadius<double>(w, 2, iterations: 4000), 2);
        // σ_max² is the largest eigenvalue of WᵀW = [[0.25, 5], [5, 100.16]].
        double a = 0.25, b = 5, d = 100.16;
        double expected = Math.Sqrt((a + d) / 2 + Math.Sqrt((a - d) * (a - d) / 4 + b * b));
        Assert.Equal(expected, MatrixSpectrum.LargestSingularValue<double>(w, 2, 2), 9);
    }

    [Fact]
    public void RectangularRankOne_NormIsProductOfVectorNorms()
    {
        // W = u·vᵀ, [4, 3]: σ_max = ‖u‖·‖v‖ (like a stacked gate matrix [4H, H]).
        double[] u = [1, -2, 0.5, 3], v = [0.2, 0.4, -1];
        var w = new float[12];
        for (int r = 0; r < 4; r++) for (int c = 0; c < 3; c++) w[r * 3 + c] = (float)(u[r] * v[c]);
        double expected = Math.Sqrt(u.Sum(x => x * x)) * Math.Sqrt(v.Sum(x => x * x));
        Assert.Equal(expected, MatrixSpectrum.LargestSingularValue<float>(w, 4, 3), 5);
    }

    [Fact]
    public void RandomUniformInit_RadiusNearCircularLawPrediction()
    {
        // PyTorch's U(−1/√H, 1/√H) has entry variance 1/(3H); the circular law gives ρ ≈ √(1/3) ≈ 0.577.
        int h = 200;
        var w = Tensor<double>.Uniform(new Rng(5), -1 / Math.Sqrt(h), 1 / Math.Sqrt(h), h, h);
        double rho = MatrixSpectrum.SpectralRadius<double>(w.Data, h);
        Assert.InRange(rho, 0.5, 0.65);
        Assert.True(MatrixSpectrum.LargestSingularValue<double>(w.Data, h, h) > rho);
    }

    [Fact]
    public void BadShape_Throws()
    {
        Assert.Throws<ArgumentException>(() => MatrixSpectrum.SpectralRadius<double>(new double[5], 2));
        Assert.Throws<ArgumentException>(() => MatrixSpectrum.LargestSingularValue<double>(new double[6], 2, 2));
        Assert.Throws<ArgumentException>(() => MatrixSpectrum.LargestSingularValue<double>(new double[0], 0, 2));
    }
}
