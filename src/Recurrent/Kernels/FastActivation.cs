// Vectorised float32 exp, sigmoid and tanh for the fused gate kernels, accurate to a few ulp (~2e-7
// relative), evaluated in registers so a gate kernel makes one pass over its row. Exp is the Cephes
// expf scheme: n = round(x·log2 e), r = x − n·ln 2 (in two parts), e^r by a degree-6 polynomial, times 2^n.
// Reference twins: MathF / double math (tests in FastActivationTests).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Recurrent.Kernels;

/// <summary>float32 activations on <see cref="Vector256{T}"/> registers plus scalar versions of the same formulas.</summary>
public static class FastActivation
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float ExpHi = 88.3762626647949f, ExpLo = -87.3365447504f;   // keeps 2^n a normal number
    private const float P0 = 1.9875691500E-4f, P1 = 1.3981999507E-3f, P2 = 8.3334519073E-3f,
                        P3 = 4.1665795894E-2f, P4 = 1.6666665459E-1f, P5 = 5.0000001201E-1f;
    // tanh on |x| < 0.625: x + x³·Q(x²) (Cephes tanhf)
    private const float TanhSmall = 0.625f;
    private const float Q0 = -5.70498872745E-3f, Q1 = 2.06390887954E-2f, Q2 = -5.37397155531E-2f,
                        Q3 = 1.33314422036E-1f, Q4 = -3.33332819422E-1f;

    /// <summary>e^x (0 below −87.3, +∞-free: clamped at 88.4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(ExpLo)), Vector256.Create(ExpHi));
        var n = Vector256.Floor(Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), Vector256.Create(0.5f)));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
        // 2^n from the bits of n + (2^23 + 127): that float's mantissa holds n + 127 (0 ≤ n + 127 < 2^8), and the shift
        // moves it into the exponent field while shifting the exponent bits out. One add and one shift instead of
        // Vector256.ConvertToInt32, whose saturating semantics cost five instructions; the bits are the same.
        var pow2 = Vector256.ShiftLeft((n + Vector256.Create(8388735f)).AsInt32(), 23).AsSingle();
        return p * pow2;
    }

    /// <summary>σ(x) = 1 / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
        => Vector256<float>.One / (Vector256<float>.One + Exp(-x));

    /// <summary>tanh(x): a polynomial near 0 (keeps relative accuracy for tiny x), 1 − 2/(e^{2|x|}+1) elsewhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var z = x * x;
        var q = Vector256.FusedMultiplyAdd(Vector256.Create(Q0), z, Vector256.Create(Q1));
        q = Vector256.FusedMultiplyAdd(q, z, Vector256.Create(Q2));
        q = Vector256.FusedMultiplyAdd(q, z, Vector256.Create(Q3));
        q = Vector256.FusedMultiplyAdd(q, z, Vector256.Create(Q4));
        var small = Vector256.FusedMultiplyAdd(q * z, x, x);
        var e = Exp(ax + ax);
        var large = Vector256<float>.One - Vector256.Create(2f) / (e + Vector256<float>.One);
        large = Vector256.ConditionalSelect(Vector256.Create(-0f), x, large);   // copy the sign of x
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(TanhSmall)), small, large);
    }

    /// <summary>Scalar e^x by the same formula as the vector version.</summary>
    public static float Exp(float x)
    {
        x = Math.Min(Math.Max(x, ExpLo), ExpHi);
        float n = MathF.Floor(MathF.FusedMultiplyAdd(x, Log2E, 0.5f));
        float r = MathF.FusedMultiplyAdd(n, -Ln2Hi, x);
        r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(P0, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        p = MathF.FusedMultiplyAdd(p, r * r, r + 1f);
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    /// <summary>Scalar σ(x) by the same formula as the vector version.</summary>
    public static float Sigmoid(float x) => 1f / (1f + Exp(-x));

    /// <summary>Scalar tanh(x) by the same formula as the vector version.</summary>
    public static float Tanh(float x)
    {
        float ax = Math.Abs(x);
        if (ax < TanhSmall)
        {
            float z = x * x;
            float q = MathF.FusedMultiplyAdd(Q0, z, Q1);
            q = MathF.FusedMultiplyAdd(q, z, Q2);
            q = MathF.FusedMultiplyAdd(q, z, Q3);
            q = MathF.FusedMultiplyAdd(q, z, Q4);
            return MathF.FusedMultiplyAdd(q * z, x, x);
        }
        float t = 1f - 2f / (Exp(ax + ax) + 1f);
        return MathF.CopySign(t, x);
    }

    /// <summary>Whether the vector versions run on hardware (AVX2-class CPUs); otherwise kernels take their generic path.</summary>
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;
}
