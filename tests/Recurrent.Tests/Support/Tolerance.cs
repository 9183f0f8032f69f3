// Comparison helpers that fail loudly: the message names the tensor, the index and the difference.
namespace Recurrent.Tests.Support;

public static class Tolerance
{
    /// <summary>Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rtol, double atol, string what)
    {
        if (expected.Length != actual.Length)
            throw new Xunit.Sdk.XunitException($"{what}: length {actual.Length}, expected {expected.Length}.");
        int worst = -1; double worstExcess = 0;
        int bad = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            double allowed = atol + rtol * Math.Abs(expected[i]);
            if (!(diff <= allowed)) // also catches NaN
            {
                bad++;
                double excess = double.IsNaN(diff) ? double.PositiveInfinity : diff / allowed;
                if (worst < 0 || excess > worstExcess) { worst = i; worstExcess = excess; }
            }
        }
        if (bad > 0)
            throw new Xunit.Sdk.XunitException(
                $"{what}: {bad} of {expected.Length} elements differ; worst at [{worst}]: actual {actual[worst]:R}, expected {expected[worst]:R}, " +
                $"diff {Math.Abs(actual[worst] - expected[worst]):E3} > allowed {atol + rtol * Math.Abs(expected[worst]):E3}.");
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double atol, string what)
        => AssertClose(ToDouble(expected), ToDouble(actual), rtol, atol, what);

    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var d = new double[values.Length];
        for (int i = 0; i < d.Length; i++) d[i] = values[i];
        return d;
    }

    /// <summary>Relative comparison scaled by the tensor's magnitude: |a−e| ≤ rtol·(|e| + max|e|·0.1) + atol.
    /// Used where elements near zero would make a pure relative check meaningless.</summary>
    public static void AssertCloseScaled(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rtol, string what, double atol = 1e-12)
    {
        double scale = 0;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        AssertClose(expected, actual, rtol, atol + rtol * 0.1 * scale, what);
    }
}
