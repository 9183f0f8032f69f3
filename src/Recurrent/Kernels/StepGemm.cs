// The per-time-step product of a recurrent layer, C[m×n] (+)= A[m×k]·B with B pre-packed (W_hhᵀ or W_hh)
// and m small (the batch rows of one step, or a thread's share of them). Unlike the general blocked GEMM it
// does not copy A into packed panels: the micro-kernel broadcasts A's elements straight from its rows, which
// are already contiguous and hot in cache. Packing a [32×1024] A every step cost ~10% of a training step.
// Serial by design: the callers split the batch rows across threads themselves.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Recurrent.Kernels;

/// <summary>Small-m products with a pre-packed right operand, without packing the left one.</summary>
internal static unsafe class StepGemm
{
    /// <summary>Prefetch each tile's rows of C before its depth loop when C is added to (on by default; an A/B switch for
    /// the benchmarks). The forward LSTM loop measured −17% per step with it (`loops --ab prefetchc`, docs/benchmarks.md).</summary>
    internal static bool PrefetchC = true;

    /// <summary>
    /// <c>C = A·op(B)</c>, or <c>C += A·op(B)</c> when <paramref name="accumulate"/>, on the calling thread only.
    /// Bit-identical to <see cref="Gemm.MultiplyPacked(int, ReadOnlySpan{float}, int, PackedMatrix, Span{float}, int, bool)"/>
    /// (same depth blocks, same per-element fused multiply-add order from zero, same store or add).
    /// </summary>
    /// <exception cref="ArgumentException">A span or leading dimension does not fit, or B was never packed.</exception>
    public static void MultiplyPacked(int m, ReadOnlySpan<float> a, int lda, PackedMatrix b, Span<float> c, int ldc, bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (!b.IsPacked) throw new ArgumentException("StepGemm.MultiplyPacked: the PackedMatrix was allocated but never packed.");
        int n = b.N, k = b.K;
        Gemm.Validate(false, false, m, n, k, a.Length, lda, k * n, n, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || b.Kind != GemmKernelKind.Avx2)
        {
            // Other kernels (AVX-512, portable) keep the general path, run on this thread only.
            if (k == 0) { Gemm.MultiplyPacked(m, a, lda, b, c, ldc, accumulate); return; }
            fixed (float* pa = a) fixed (float* pc = c)
            {
                var job = new GemmF32.GemmJob
                {
                    Kind = b.Kind, M = m, N = n, K = k, A = pa, Lda = lda, C = pc, Ldc = ldc, Accumulate = accumulate,
                    Packed = b.Pointer, PackedStride = b.PaddedN,
                };
                GemmF32.Run(ref job, threads: 1);
            }
            return;
        }
        fixed (float* pa = a) fixed (float* pc = c)
            Avx2(m, k, pa, lda, b.Pointer, b.PaddedN, 0, n, pc, ldc, accumulate);
    }

    /// <summary>Whether <see cref="MultiplyPackedColumns"/> can use <paramref name="b"/> (packed for the AVX2 kernel).</summary>
    public static bool SupportsColumns(PackedMatrix b) => b.Kind == GemmKernelKind.Avx2;

    /// <summary>
    /// Columns <c>[n0, n1)</c> of <see cref="MultiplyPacked"/>: <c>C[:, n0:n1] (+)= A·op(B)[:, n0:n1]</c>, every other
    /// element of C untouched (so threads can fill disjoint column ranges of one C, each reading only its panels of
    /// B). <paramref name="c"/> and <paramref name="ldc"/> address the whole of C. Each computed element is
    /// bit-identical to <see cref="MultiplyPacked"/>'s. Only for B packed for the AVX2 kernel (<see cref="SupportsColumns"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A span or leading dimension does not fit, B was never packed, the range is
    /// not within 0..N, or B was packed for another kernel.</exception>
    public static void MultiplyPackedColumns(int m, ReadOnlySpan<float> a, int lda, PackedMatrix b, int n0, int n1,
        Span<float> c, int ldc, bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (!b.IsPacked) throw new ArgumentException("StepGemm.MultiplyPackedColumns: the PackedMatrix was allocated but never packed.");
        if (!SupportsColumns(b)) throw new ArgumentException($"StepGemm.MultiplyPackedColumns: needs a matrix packed for the AVX2 kernel (got {b.Kind}).");
        int n = b.N, k = b.K;
        if (n0 < 0 || n1 > n || n0 > n1) throw new ArgumentException($"StepGemm.MultiplyPackedColumns: column range [{n0}, {n1}) is not within the {n} columns of B.");
        Gemm.Validate(false, false, m, n, k, a.Length, lda, k * n, n, c.Length, ldc);
        if (m == 0 || n0 == n1) return;
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc + n0, n1 - n0).Clear();
            return;
        }
        fixed (float* pa = a) fixed (float* pc = c)
            Avx2(m, k, pa, lda, b.Pointer, b.PaddedN, n0, n1, pc, ldc, accumulate);
    }

    /// <summary>Columns [n0, n1) of C; a 16-column panel only partly inside the range is computed into a scratch
    /// tile and only its columns inside the range are written (the same per-element arithmetic).</summary>
    private static void Avx2(int m, int k, float* a, int lda, float* packed, int paddedN, int n0, int n1, float* c, int ldc, bool accumulate)
    {
        const int NR = 16, MR = 6;
        float* tile = stackalloc float[MR * NR];
        for (int pc = 0; pc < k; pc += GemmF32.KC)
        {
            int kc = Math.Min(GemmF32.KC, k - pc);
            bool add = accumulate || pc > 0;
            float* bBlock = packed + (nint)pc * paddedN;                     // panels [kc][NR], panel jr at jr·kc
            for (int jr = n0 / NR * NR; jr < n1; jr += NR)
            {
                int lo = Math.Max(n0, jr), hi = Math.Min(n1, jr + NR);      // columns of this panel to write
                float* bPanel = bBlock + (nint)jr * kc;
                for (int ir = 0, rows; ir < m; ir += rows)
                {
                    // Balanced tail: 32 rows as 6+6+6+6+4+4, not …+6+2 (a 2-row tile has too few accumulators to hide FMA latency).
                    int left = m - ir;
                    rows = left >= 2 * MR || left == MR ? MR : left > MR ? (left + 1) / 2 : left;
                    float* aRows = a + (nint)ir * lda + pc;
                    float* cTile = c + (nint)ir * ldc + jr;
                    if (add && PrefetchC)
                    {
                        // C is read only after the depth loop; in the forward recurrence it is the step's input projection,
                        // written long before (an L3 or memory miss per line). Asked for now, it arrives during the kc·rows FMAs.
                        // (Here, not inside Tile: code before Tile's loop changed the JIT's register use there, 3× slower.)
                        for (int i = 0; i < rows; i++) Prefetch(cTile + (nint)i * ldc);
                    }
                    if (lo == jr && hi == jr + NR) Run(rows, kc, aRows, lda, bPanel, cTile, ldc, add);
                    else
                    {
                        Run(rows, kc, aRows, lda, bPanel, tile, NR, add: false);
                        for (int i = 0; i < rows; i++)
                        {
                            float* t = tile + i * NR - jr, d = c + (nint)(ir + i) * ldc;
                            if (add) for (int j = lo; j < hi; j++) d[j] += t[j];
                            else for (int j = lo; j < hi; j++) d[j] = t[j];
                        }
                    }
                }
            }
        }
    }

    private static void Run(int rows, int kc, float* a, nint lda, float* b, float* c, nint ldc, bool add)
    {
        switch (rows)
        {
            case 6: Tile<R6>(kc, a, lda, b, c, ldc, add); break;
            case 5: Tile<R5>(kc, a, lda, b, c, ldc, add); break;
            case 4: Tile<R4>(kc, a, lda, b, c, ldc, add); break;
            case 3: Tile<R3>(kc, a, lda, b, c, ldc, add); break;
            case 2: Tile<R2>(kc, a, lda, b, c, ldc, add); break;
            default: Tile<R1>(kc, a, lda, b, c, ldc, add); break;
        }
    }

    /// <summary>R×16 tile: row i of A is read at <c>a + i·lda</c> (unpacked), B is a packed [kc][16] panel.
    /// The arithmetic is MicroKernelAvx2's: per element, fma from zero in k order, then store or add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<R>(int kc, float* a, nint lda, float* b, float* c, nint ldc, bool add) where R : struct, IRowCount
    {
        var c00 = Vector256<float>.Zero; var c01 = Vector256<float>.Zero;
        var c10 = Vector256<float>.Zero; var c11 = Vector256<float>.Zero;
        var c20 = Vector256<float>.Zero; var c21 = Vector256<float>.Zero;
        var c30 = Vector256<float>.Zero; var c31 = Vector256<float>.Zero;
        var c40 = Vector256<float>.Zero; var c41 = Vector256<float>.Zero;
        var c50 = Vector256<float>.Zero; var c51 = Vector256<float>.Zero;
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda;
        for (nint p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x0 = Vector256.Create(a0[p]);
            c00 = Vector256.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x0, b1, c01);
            if (R.Value > 1) { var x = Vector256.Create(a1[p]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11); }
            if (R.Value > 2) { var x = Vector256.Create(a2[p]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21); }
            if (R.Value > 3) { var x = Vector256.Create(a3[p]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31); }
            if (R.Value > 4) { var x = Vector256.Create(a4[p]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41); }
            if (R.Value > 5) { var x = Vector256.Create(a5[p]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51); }
            b += 16;
        }
        Store(c00, c, add); Store(c01, c + 8, add);
        if (R.Value > 1) { Store(c10, c + ldc, add); Store(c11, c + ldc + 8, add); }
        if (R.Value > 2) { Store(c20, c + 2 * ldc, add); Store(c21, c + 2 * ldc + 8, add); }
        if (R.Value > 3) { Store(c30, c + 3 * ldc, add); Store(c31, c + 3 * ldc + 8, add); }
        if (R.Value > 4) { Store(c40, c + 4 * ldc, add); Store(c41, c + 4 * ldc + 8, add); }
        if (R.Value > 5) { Store(c50, c + 5 * ldc, add); Store(c51, c + 5 * ldc + 8, add); }
    }

    /// <summary>The one or two cache lines of a 16-float row of a tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(float* row)
    {
        System.Runtime.Intrinsics.X86.Sse.Prefetch0(row);
        System.Runtime.Intrinsics.X86.Sse.Prefetch0(row + 15);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> acc, float* dst, bool add)
        => (add ? Vector256.Load(dst) + acc : acc).Store(dst);
}
