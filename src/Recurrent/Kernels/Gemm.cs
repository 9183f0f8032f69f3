// General matrix multiply, row-major: C[M×N] = op(A)[M×K] · op(B)[K×N] (+ C when accumulating).
// The entry point validates once and dispatches: float goes to the fast blocked kernels, every other
// type (double for gradient checks) to the plain reference twin in GemmReference.
using System.Numerics;
using System.Runtime.InteropServices;

namespace Recurrent.Kernels;

/// <summary>Row-major GEMM with transpose flags, leading dimensions and optional accumulation.</summary>
public static class Gemm
{
    /// <summary>
    /// <c>C = op(A)·op(B)</c>, or <c>C += op(A)·op(B)</c> when <paramref name="accumulate"/>.
    /// op(A) is [m×k]: A is stored [m×k] with row stride <paramref name="lda"/>, or [k×m] when
    /// <paramref name="transposeA"/>. op(B) is [k×n]: B is stored [k×n], or [n×k] when <paramref name="transposeB"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A size or leading dimension does not fit the spans.</exception>
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        if (typeof(T) == typeof(float))
        {
            GemmF32.Multiply(transposeA, transposeB, m, n, k,
                MemoryMarshal.Cast<T, float>(a), lda, MemoryMarshal.Cast<T, float>(b), ldb,
                MemoryMarshal.Cast<T, float>(c), ldc, accumulate);
            return;
        }
        GemmReference.Multiply(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    }

    /// <summary>
    /// <c>C = A·op(B)</c>, or <c>C += A·op(B)</c> when <paramref name="accumulate"/>, with op(B) [k×n] packed once
    /// in <paramref name="b"/> (k = <see cref="PackedMatrix.K"/>, n = <see cref="PackedMatrix.N"/>).
    /// A is [m×k] with row stride <paramref name="lda"/>; C is [m×n] with row stride <paramref name="ldc"/>.
    /// Bit-identical to <see cref="Multiply{T}(bool, bool, int, int, int, ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, Span{T}, int, bool)"/>
    /// on the unpacked B, without re-packing B each call: the per-time-step product <c>h·W_hhᵀ</c> of a
    /// recurrent layer is <c>MultiplyPacked(B, h, H, packedWhh, gates, 4H, accumulate: true)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A size or leading dimension does not fit the spans, or <paramref name="b"/> was never packed.</exception>
    public static void MultiplyPacked(int m, ReadOnlySpan<float> a, int lda, PackedMatrix b, Span<float> c, int ldc, bool accumulate)
        => MultiplyPacked(false, m, a, lda, b, c, ldc, accumulate);

    /// <summary>As <see cref="MultiplyPacked(int, ReadOnlySpan{float}, int, PackedMatrix, Span{float}, int, bool)"/> with
    /// op(A) = Aᵀ when <paramref name="transposeA"/> (A stored [k×m]).</summary>
    /// <exception cref="ArgumentException">A size or leading dimension does not fit the spans, or <paramref name="b"/> was never packed.</exception>
    public static void MultiplyPacked(bool transposeA, int m, ReadOnlySpan<float> a, int lda, PackedMatrix b, Span<float> c, int ldc, bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (!b.IsPacked) throw new ArgumentException("Gemm.MultiplyPacked: the PackedMatrix was allocated but never packed.");
        int n = b.N, k = b.K;
        // B is already laid out; validate it as a contiguous [k×n] so only A and C are checked against spans.
        Validate(transposeA, false, m, n, k, a.Length, lda, k * n, n, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        GemmF32.MultiplyPacked(transposeA, m, a, lda, b, c, ldc, accumulate);
    }

    /// <summary>Contiguous shorthand: leading dimensions are the stored row lengths.</summary>
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(transposeA, transposeB, m, n, k, a, transposeA ? m : k, b, transposeB ? k : n, c, n, accumulate);

    internal static void Validate(bool transposeA, bool transposeB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"Gemm: negative size m={m} n={n} k={k}.");
        int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
        int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
        Check("A", aRows, aCols, aLength, lda);
        Check("B", bRows, bCols, bLength, ldb);
        Check("C", m, n, cLength, ldc);

        static void Check(string name, int rows, int cols, int length, int ld)
        {
            if (rows == 0 || cols == 0) return;
            if (ld < cols) throw new ArgumentException($"Gemm: leading dimension of {name} is {ld}, less than its {cols} columns.");
            long needed = (long)(rows - 1) * ld + cols;
            if (needed > length) throw new ArgumentException($"Gemm: {name} is [{rows}×{cols}] with leading dimension {ld} and needs {needed} elements, but the span has {length}.");
        }
    }
}
