// Compares a Recurrent tensor with a fixture tensor by the scaled relative error that the fixtures
// document (|a−e| / (|e| + 0.1·max|e|)), fails naming the tensor, and logs the error it measured.
using System.Numerics;
using Recurrent.Tensors;
using Recurrent.Tests.Support;
using Xunit.Abstractions;

namespace Recurrent.Tests.Reference;

public sealed class ReferenceAssert(ITestOutputHelper? log, string fixture, string precision)
{
    /// <summary>The largest error measured so far, with the tensor it belongs to.</summary>
    public (double Error, string What) Worst { get; private set; } = (0, "");

    /// <summary>max_i |a_i − e_i| / (|e_i| + 0.1·max|e|); 0 when both are all zero.</summary>
    public static double ScaledError(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
    {
        double scale = 0;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            double denom = Math.Abs(expected[i]) + 0.1 * scale;
            double err = denom > 0 ? diff / denom : (diff == 0 ? 0 : double.PositiveInfinity);
            if (double.IsNaN(err)) return double.PositiveInfinity;
            worst = Math.Max(worst, err);
        }
        return worst;
    }

    /// <summary>Asserts <paramref name="actual"/> has the expected shape and values within <paramref name="rtol"/>.
    /// A null actual (no gradient reached the tensor) counts as zeros.</summary>
    public double Close<T>(FixtureTensor expected, Tensor<T>? actual, double rtol, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string label = $"{fixture} [{precision}] {what}";
        double[] a;
        if (actual is null) a = new double[expected.Data.Length];
        else
        {
            Assert.True(actual.Shape.SequenceEqual(expected.Shape),
                $"{label}: shape {Tensor<T>.FormatShape(actual.Shape)}, PyTorch {expected.ShapeText}");
            a = new double[actual.Length];
            var d = actual.Data;
            for (int i = 0; i < a.Length; i++) a[i] = double.CreateChecked(d[i]);
        }
        double err = ScaledError(expected.Data, a);
        log?.WriteLine($"{label}: scaled error {err:E2}");
        if (err > Worst.Error || Worst.What.Length == 0) Worst = (err, what);
        // Same measure as Tolerance.AssertCloseScaled, whose message names the index and both values.
        if (!(err <= rtol)) Tolerance.AssertCloseScaled(expected.Data, a, rtol, label, atol: 0);
        Assert.True(err <= rtol, $"{label}: scaled error {err:E3} > {rtol:E1}");
        return err;
    }

    /// <summary>Relative comparison of two scalars (losses, norms): |a − e| / scale, where scale is |e| unless
    /// given (a sum with cancellation is measured against the sum of its terms' magnitudes).</summary>
    public double Scalar(double expected, double actual, double rtol, string what, double? scale = null)
    {
        string label = $"{fixture} [{precision}] {what}";
        double err = Math.Abs(actual - expected) / Math.Max(scale ?? Math.Abs(expected), 1e-300);
        log?.WriteLine($"{label}: relative error {err:E2} (actual {actual:R}, PyTorch {expected:R})");
        if (err > Worst.Error || Worst.What.Length == 0) Worst = (err, what);
        Assert.True(err <= rtol, $"{label}: {actual:R} vs PyTorch {expected:R}, relative error {err:E3} > {rtol:E1}");
        return err;
    }

    public void LogWorst() => log?.WriteLine($"WORST {fixture} [{precision}] {Worst.Error:E2} at {Worst.What}");
}
