// Copies blocks of A and B into the contiguous panel layouts the micro-kernels stream through.
// A block [mc×kc] → panels of MR rows, each [kc][rows] (the last panel holds only the remaining rows).
// B block [kc×nc] → panels of NR columns, each [kc][NR] (the last panel zero-padded to NR).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Recurrent.Kernels;

/// <summary>Panel packing for <see cref="GemmF32"/> and <see cref="PackedMatrix"/>.</summary>
internal static unsafe partial class GemmPacking
{
    /// <summary>
    /// Rows of the tile that starts with <paramref name="remaining"/> rows left in the block. Whole MR tiles,
    /// except that a short tail (1–3 rows, which runs the micro-kernel with too few accumulators to hide FMA
    /// latency) is balanced with the tile before it: 32 rows with MR = 6 become 6+6+6+6+4+4, not 6·5+2.
    /// A and the driver both use this, and the row count never changes an element's arithmetic.
    /// </summary>
    public static int TileRows(int remaining, int mr)
        => remaining > mr && remaining < mr + 4 && mr >= 6 ? remaining - 4 : Math.Min(mr, remaining);

    /// <summary>Packs rows [i0, i0+mc) and depth [p0, p0+kc) of op(A) (A is [m×k], or [k×m] when transposed)
    /// into panels of <see cref="TileRows"/> rows, each [kc][rows], panel at row offset ir starting at ir·kc.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    public static void PackA(bool transposeA, float* a, int lda, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        int rows;
        int ir0 = 0;
        if (transposeA && mr == 6) ir0 = PackATransposed6(a, lda, i0, mc, p0, kc, dst);
        for (int ir = ir0; ir < mc; ir += rows)
        {
            rows = TileRows(mc - ir, mr);
            float* d = dst + (nint)ir * kc;
            if (transposeA)
            {
                // op(A)[i, p] = a[p·lda + i]: each depth step is a contiguous run of `rows` values.
                float* src = a + (nint)p0 * lda + i0 + ir;
                for (int p = 0; p < kc; p++, src += lda, d += rows)
                    for (int i = 0; i < rows; i++) d[i] = src[i];
            }
            else if (rows == 6)
            {
                // The common full AVX2 panel: six row streams, one sequential write stream.
                float* s0 = a + (nint)(i0 + ir) * lda + p0;
                float* s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda;
                for (int p = 0; p < kc; p++, d += 6)
                {
                    d[0] = s0[p]; d[1] = s1[p]; d[2] = s2[p]; d[3] = s3[p]; d[4] = s4[p]; d[5] = s5[p];
                }
            }
            else
            {
                for (int i = 0; i < rows; i++)
                {
                    float* src = a + (nint)(i0 + ir + i) * lda + p0;
                    float* di = d + i;
                    for (int p = 0; p < kc; p++) di[(nint)p * rows] = src[p];
                }
            }
        }
    }

    /// <summary>
    /// The leading full 6-row panels of a transposed A block (the AVX2 kernel's weight gradients dW = dGᵀ·X), walking the
    /// stored rows: op(A)[i, p] = a[p·lda + i], so depth step p of every panel is a contiguous run of the stored row p,
    /// and panel q's six values at step p go to q·6·kc + p·6. Reading each stored row once, front to back, replaces the
    /// panel-by-panel walk that re-read every cache line for each of the ~3 panels it spans, 4 KB apart when lda is a
    /// multiple of 1024 (all in one L1 set). Returns the row offset where the remaining (tail) panels start; the
    /// panel layout is exactly <see cref="PackA"/>'s.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static int PackATransposed6(float* a, int lda, int i0, int mc, int p0, int kc, float* dst)
    {
        int full = 0;
        for (int ir = 0; ir < mc && TileRows(mc - ir, 6) == 6; ir += 6) full++;
        nint panelStride = (nint)6 * kc;
        float* row = a + (nint)p0 * lda + i0;
        for (int p = 0; p < kc; p++, row += lda)
        {
            float* s = row, d = dst + (nint)p * 6;
            for (int q = 0; q < full; q++, s += 6, d += panelStride)
            {
                System.Runtime.Intrinsics.Vector128.Store(System.Runtime.Intrinsics.Vector128.Load(s), d);   // values 0–3
                *(long*)(d + 4) = *(long*)(s + 4);                                                        // values 4–5
            }
        }
        return full * 6;
    }

    /// <summary>Packs columns [j0, j0+nc) and depth [p0, p0+kc) of op(B) (B is [k×n], or [n×k] when transposed).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
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
                if (Avx.IsSupported)
                    for (; jj + 8 <= cols; jj += 8)
                        TransposeColumns8(b + (nint)(j0 + jr + jj) * ldb + p0, ldb, kc, d + jj, nr);
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

internal static unsafe partial class GemmPacking
{
    /// <summary>Copies 8 stored rows × kc (row stride ldb) into 8 columns of a panel (row stride nr):
    /// dst[p·nr + r] = src[r·ldb + p], in 8×8 register transposes with a scalar tail in p.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static void TransposeColumns8(float* src, int ldb, int kc, float* dst, int nr)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            float* s = src + p;
            var r0 = Avx.LoadVector256(s); var r1 = Avx.LoadVector256(s + ldb);
            var r2 = Avx.LoadVector256(s + 2 * (nint)ldb); var r3 = Avx.LoadVector256(s + 3 * (nint)ldb);
            var r4 = Avx.LoadVector256(s + 4 * (nint)ldb); var r5 = Avx.LoadVector256(s + 5 * (nint)ldb);
            var r6 = Avx.LoadVector256(s + 6 * (nint)ldb); var r7 = Avx.LoadVector256(s + 7 * (nint)ldb);
            var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
            var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
            var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
            var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
            var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
            var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
            var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
            var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
            float* d = dst + (nint)p * nr;
            Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(d + nr, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(d + 2 * nr, Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(d + 3 * nr, Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(d + 4 * nr, Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(d + 5 * nr, Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(d + 6 * nr, Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(d + 7 * nr, Avx.Permute2x128(u3, u7, 0x31));
        }
        for (; p < kc; p++)
            for (int r = 0; r < 8; r++) dst[(nint)p * nr + r] = src[(nint)r * ldb + p];
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
