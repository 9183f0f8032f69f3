// The book's toy series (d2l "Sequence Models"): x_t = sin(0.01·t) + ε, ε ~ N(0, 0.2²), t = 1..T.
// It is the built-in forecasting data set, so it must be the same for the same seed everywhere.
using Recurrent.Tensors;

namespace Recurrent.Data;

/// <summary>The noisy sine series <c>x_t = sin(0.01·t) + ε, ε ~ N(0, 0.2²)</c>, generated from a seed.</summary>
public static class NoisySine
{
    /// <summary>Standard deviation of the noise; its square (0.04) is the floor of any 1-step MSE.</summary>
    public const double NoiseStd = 0.2;

    /// <summary>x_1..x_count (index i holds t = i + 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">count is not positive.</exception>
    public static double[] Generate(ulong seed, int count = 1000, double frequency = 0.01, double noiseStd = NoiseStd)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var rng = new Rng(seed);
        var x = new double[count];
        for (int i = 0; i < count; i++) x[i] = Math.Sin(frequency * (i + 1)) + noiseStd * rng.NextNormal();
        return x;
    }

    /// <summary>The noise-free signal sin(0.01·t) for t = 1..count (for plots and tests).</summary>
    public static double[] Clean(int count = 1000, double frequency = 0.01)
    {
        var x = new double[count];
        for (int i = 0; i < count; i++) x[i] = Math.Sin(frequency * (i + 1));
        return x;
    }
}
