// Copies blocks of A and B into the contiguous panel layouts the micro-kernels stream through.
// A block [mc×kc] → panels of MR rows, each [kc][rows] (the last panel holds only the remaining rows).
// B block [kc×nc] → panels of NR columns, each [kc][NR] (the last panel zero-padded to NR).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Recurrent.Kernels;

/// <summary>Panel packing for <see cref="GemmF32"/> and <see cref="PackedMatrix"/>.</summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs rows [i0, i0+mc) and depth [p0, p0+kc) of op(A) (A is [m×k], or [k×m] when transposed).</summary>
    public static void PackA(bool transposeA, float* a, int lda, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* d = dst + (nint)ir * kc;
            if (transposeA)
            {
                // op(A)[i, p] = a[p·lda + i]: each depth step is a contiguous run of `rows` values.
                float* src = a + (nint)p0 * lda + i0 + ir;
                for (int p = 0; p < kc; p++, src += lda, d += rows)
                    for (int i = 0; i < rows; i++) d[i] = src[i];
            }
            else
            {
                // Read each row contiguously, write it strided into the interleaved panel.
                for (int i = 0; i < rows; i++)
                {
                    float* src = a + (nint)(i0 + ir + i) * lda + p0;
                    float* di = d + i;
                    for (int p = 0; p < kc; p++) di[(nint)p * rows] = src[p];
                }
            }
        }
    }

    /// <summary>Packs columns [j0, j0+nc) and depth [p0, p0+kc) of op(B) (B is [k×n], or [n×k] when transposed).</summary>
    public static void PackB(bool transposeB, float* b, int ldb, int j0, int nc, int p0, int kc, int nr, float* dst)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* d = dst + (nint)jr * kc;
            if (transposeB)
            {
                // op(B)[p, j] = b[j·ldb + p]: read each stored row contiguously, write it down a panel column.
                if (cols < nr) new Span<float>(d, kc * nr).Clear();
                int jj = 0;
                for (; jj + 4 <= cols; jj += 4)
                {
                    float* s0 = b + (nint)(j0 + jr + jj) * ldb + p0;
                    float* s1 = s0 + ldb, s2 = s1 + ldb, s3 = s2 + ldb;
                    float* dj = d + jj;
                    for (int p = 0; p < kc; p++, dj += nr)
                    {
                        dj[0] = s0[p]; dj[1] = s1[p]; dj[2] = s2[p]; dj[3] = s3[p];
                    }
                }
                for (; jj < cols; jj++)
                {
                    float* s = b + (nint)(j0 + jr + jj) * ldb + p0;
                    float* dj = d + jj;
                    for (int p = 0; p < kc; p++, dj += nr) *dj = s[p];
                }
            }
            else
            {
                float* src = b + (nint)p0 * ldb + j0 + jr;
                nuint bytes = (nuint)cols * sizeof(float);
                for (int p = 0; p < kc; p++, src += ldb, d += nr)
                {
                    Unsafe.CopyBlockUnaligned(d, src, (uint)bytes);
                    for (int jj = cols; jj < nr; jj++) d[jj] = 0f;
                }
            }
        }
    }
}

/// <summary>Per-thread packing buffers: pinned, 64-byte aligned, grown on demand and then reused, so a GEMM
/// allocates nothing after the first call on a thread.</summary>
internal static unsafe class PackBuffers
{
    [ThreadStatic] private static float[]? s_a, s_b;
    [ThreadStatic] private static nint s_aOffset, s_bOffset;

    public static float* A(int floats) => Get(ref s_a, ref s_aOffset, floats);
    public static float* B(int floats) => Get(ref s_b, ref s_bOffset, floats);

    private static float* Get(ref float[]? buffer, ref nint offset, int floats)
    {
        if (buffer == null || buffer.Length - 16 < floats)
        {
            buffer = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
            offset = AlignOffset(buffer);
        }
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer)) + offset;
    }

    /// <summary>Elements to skip so that the first used element is 64-byte aligned (the array is pinned).</summary>
    internal static nint AlignOffset(float[] pinned)
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return ((64 - (address & 63)) & 63) / sizeof(float);
    }
}
