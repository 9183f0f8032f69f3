// AVX2/FMA micro-kernel: 6 rows × 16 columns = 12 ymm accumulators + 2 B vectors + 1 broadcast (of 16 registers).
// Hand-unrolled: one accumulator register per (row, vector column); the row count is a generic
// constant so the JIT drops the unused rows and each remainder-row count gets its own tight loop.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Recurrent.Kernels;

/// <summary>6×16 float32 micro-kernel on Vector256 (C tile += packed A panel · packed B panel).</summary>
internal readonly unsafe struct MicroKernelAvx2 : IGemmMicroKernel
{
    public static int MR => 6;
    public static int NR => 16;
    public static bool IsSupported => Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported;

    public static void Run(int rows, int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        switch (rows)
        {
            case 6: Tile<R6>(kc, a, b, c, ldc, add); break;
            case 5: Tile<R5>(kc, a, b, c, ldc, add); break;
            case 4: Tile<R4>(kc, a, b, c, ldc, add); break;
            case 3: Tile<R3>(kc, a, b, c, ldc, add); break;
            case 2: Tile<R2>(kc, a, b, c, ldc, add); break;
            case 1: Tile<R1>(kc, a, b, c, ldc, add); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows));
        }
    }

    /// <summary>a: packed [kc][R] (row-interleaved), b: packed [kc][NR], c: R×NR tile with row stride ldc.
    /// Every C element is <c>fma</c>-accumulated from zero in k order, then stored (or added to C when <paramref name="add"/>),
    /// so the result does not depend on which tile or thread computed it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<R>(int kc, float* a, float* b, float* c, nint ldc, bool add) where R : struct, IRowCount
    {
        var c00 = Vector256<float>.Zero; var c01 = Vector256<float>.Zero;
        var c10 = Vector256<float>.Zero; var c11 = Vector256<float>.Zero;
        var c20 = Vector256<float>.Zero; var c21 = Vector256<float>.Zero;
        var c30 = Vector256<float>.Zero; var c31 = Vector256<float>.Zero;
        var c40 = Vector256<float>.Zero; var c41 = Vector256<float>.Zero;
        var c50 = Vector256<float>.Zero; var c51 = Vector256<float>.Zero;
        // The C tile is needed only after the k loop: start fetching its rows now.
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(c); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + NR - 1);
            if (R.Value > 1) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 1 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 1 * ldc + NR - 1); }
            if (R.Value > 2) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 2 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 2 * ldc + NR - 1); }
            if (R.Value > 3) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 3 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 3 * ldc + NR - 1); }
            if (R.Value > 4) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 4 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 4 * ldc + NR - 1); }
            if (R.Value > 5) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 5 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 5 * ldc + NR - 1); }
        }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            if (R.Value > 1) { var a1 = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(a1, b0, c10); c11 = Vector256.FusedMultiplyAdd(a1, b1, c11); }
            if (R.Value > 2) { var a2 = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(a2, b0, c20); c21 = Vector256.FusedMultiplyAdd(a2, b1, c21); }
            if (R.Value > 3) { var a3 = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(a3, b0, c30); c31 = Vector256.FusedMultiplyAdd(a3, b1, c31); }
            if (R.Value > 4) { var a4 = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(a4, b0, c40); c41 = Vector256.FusedMultiplyAdd(a4, b1, c41); }
            if (R.Value > 5) { var a5 = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(a5, b0, c50); c51 = Vector256.FusedMultiplyAdd(a5, b1, c51); }
            a += R.Value;
            b += 16;
        }
        Store(c00, c + 0 * ldc + 0, add); Store(c01, c + 0 * ldc + 8, add);
        if (R.Value > 1) { Store(c10, c + 1 * ldc + 0, add); Store(c11, c + 1 * ldc + 8, add); }
        if (R.Value > 2) { Store(c20, c + 2 * ldc + 0, add); Store(c21, c + 2 * ldc + 8, add); }
        if (R.Value > 3) { Store(c30, c + 3 * ldc + 0, add); Store(c31, c + 3 * ldc + 8, add); }
        if (R.Value > 4) { Store(c40, c + 4 * ldc + 0, add); Store(c41, c + 4 * ldc + 8, add); }
        if (R.Value > 5) { Store(c50, c + 5 * ldc + 0, add); Store(c51, c + 5 * ldc + 8, add); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> acc, float* dst, bool add)
        => (add ? Vector256.Load(dst) + acc : acc).Store(dst);
}
