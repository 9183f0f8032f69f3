// Fast float32 GEMM. Placeholder dispatch to a cache-friendly i-k-j loop until the blocked kernels land.
using System.Numerics.Tensors;

namespace Recurrent.Kernels;

/// <summary>float32 GEMM kernels (AVX-512 / AVX2 / portable).</summary>
internal static class GemmF32
{
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        // i-k-j order: the inner loop is an axpy over a contiguous row of B (vectorised by TensorPrimitives).
        float[]? bt = null;
        if (transposeB)
        {
            bt = new float[k * n];
            for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) bt[p * n + j] = b[j * ldb + p];
            b = bt; ldb = n;
        }
        for (int i = 0; i < m; i++)
        {
            var ci = c.Slice(i * ldc, n);
            if (!accumulate) ci.Clear();
            for (int p = 0; p < k; p++)
            {
                float av = transposeA ? a[p * lda + i] : a[i * lda + p];
                TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), av, ci, ci);
            }
        }
    }
}
