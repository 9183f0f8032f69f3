// AVX-512 micro-kernel: 12 rows × 32 columns = 24 zmm accumulators + 2 B vectors + 1 broadcast (of 32 registers).
// Hand-unrolled: one accumulator register per (row, vector column); the row count is a generic
// constant so the JIT drops the unused rows and each remainder-row count gets its own tight loop.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Recurrent.Kernels;

/// <summary>12×32 float32 micro-kernel on Vector512 (C tile += packed A panel · packed B panel).</summary>
internal readonly unsafe struct MicroKernelAvx512 : IGemmMicroKernel
{
    public static int MR => 12;
    public static int NR => 32;
    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    public static void Run(int rows, int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        switch (rows)
        {
            case 12: Tile<R12>(kc, a, b, c, ldc, add); break;
            case 11: Tile<R11>(kc, a, b, c, ldc, add); break;
            case 10: Tile<R10>(kc, a, b, c, ldc, add); break;
            case 9: Tile<R9>(kc, a, b, c, ldc, add); break;
            case 8: Tile<R8>(kc, a, b, c, ldc, add); break;
            case 7: Tile<R7>(kc, a, b, c, ldc, add); break;
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
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero; var c21 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero; var c31 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero; var c41 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero; var c51 = Vector512<float>.Zero;
        var c60 = Vector512<float>.Zero; var c61 = Vector512<float>.Zero;
        var c70 = Vector512<float>.Zero; var c71 = Vector512<float>.Zero;
        var c80 = Vector512<float>.Zero; var c81 = Vector512<float>.Zero;
        var c90 = Vector512<float>.Zero; var c91 = Vector512<float>.Zero;
        var c100 = Vector512<float>.Zero; var c101 = Vector512<float>.Zero;
        var c110 = Vector512<float>.Zero; var c111 = Vector512<float>.Zero;
        // The C tile is needed only after the k loop: start fetching its rows now.
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(c); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + NR - 1);
            if (R.Value > 1) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 1 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 1 * ldc + NR - 1); }
            if (R.Value > 2) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 2 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 2 * ldc + NR - 1); }
            if (R.Value > 3) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 3 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 3 * ldc + NR - 1); }
            if (R.Value > 4) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 4 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 4 * ldc + NR - 1); }
            if (R.Value > 5) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 5 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 5 * ldc + NR - 1); }
            if (R.Value > 6) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 6 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 6 * ldc + NR - 1); }
            if (R.Value > 7) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 7 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 7 * ldc + NR - 1); }
            if (R.Value > 8) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 8 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 8 * ldc + NR - 1); }
            if (R.Value > 9) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 9 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 9 * ldc + NR - 1); }
            if (R.Value > 10) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 10 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 10 * ldc + NR - 1); }
            if (R.Value > 11) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 11 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 11 * ldc + NR - 1); }
        }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            if (R.Value > 1) { var a1 = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(a1, b0, c10); c11 = Vector512.FusedMultiplyAdd(a1, b1, c11); }
            if (R.Value > 2) { var a2 = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(a2, b0, c20); c21 = Vector512.FusedMultiplyAdd(a2, b1, c21); }
            if (R.Value > 3) { var a3 = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(a3, b0, c30); c31 = Vector512.FusedMultiplyAdd(a3, b1, c31); }
            if (R.Value > 4) { var a4 = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(a4, b0, c40); c41 = Vector512.FusedMultiplyAdd(a4, b1, c41); }
            if (R.Value > 5) { var a5 = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(a5, b0, c50); c51 = Vector512.FusedMultiplyAdd(a5, b1, c51); }
            if (R.Value > 6) { var a6 = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(a6, b0, c60); c61 = Vector512.FusedMultiplyAdd(a6, b1, c61); }
            if (R.Value > 7) { var a7 = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(a7, b0, c70); c71 = Vector512.FusedMultiplyAdd(a7, b1, c71); }
            if (R.Value > 8) { var a8 = Vector512.Create(a[8]); c80 = Vector512.FusedMultiplyAdd(a8, b0, c80); c81 = Vector512.FusedMultiplyAdd(a8, b1, c81); }
            if (R.Value > 9) { var a9 = Vector512.Create(a[9]); c90 = Vector512.FusedMultiplyAdd(a9, b0, c90); c91 = Vector512.FusedMultiplyAdd(a9, b1, c91); }
            if (R.Value > 10) { var a10 = Vector512.Create(a[10]); c100 = Vector512.FusedMultiplyAdd(a10, b0, c100); c101 = Vector512.FusedMultiplyAdd(a10, b1, c101); }
            if (R.Value > 11) { var a11 = Vector512.Create(a[11]); c110 = Vector512.FusedMultiplyAdd(a11, b0, c110); c111 = Vector512.FusedMultiplyAdd(a11, b1, c111); }
            a += R.Value;
            b += 32;
        }
        Store(c00, c + 0 * ldc + 0, add); Store(c01, c + 0 * ldc + 16, add);
        if (R.Value > 1) { Store(c10, c + 1 * ldc + 0, add); Store(c11, c + 1 * ldc + 16, add); }
        if (R.Value > 2) { Store(c20, c + 2 * ldc + 0, add); Store(c21, c + 2 * ldc + 16, add); }
        if (R.Value > 3) { Store(c30, c + 3 * ldc + 0, add); Store(c31, c + 3 * ldc + 16, add); }
        if (R.Value > 4) { Store(c40, c + 4 * ldc + 0, add); Store(c41, c + 4 * ldc + 16, add); }
        if (R.Value > 5) { Store(c50, c + 5 * ldc + 0, add); Store(c51, c + 5 * ldc + 16, add); }
        if (R.Value > 6) { Store(c60, c + 6 * ldc + 0, add); Store(c61, c + 6 * ldc + 16, add); }
        if (R.Value > 7) { Store(c70, c + 7 * ldc + 0, add); Store(c71, c + 7 * ldc + 16, add); }
        if (R.Value > 8) { Store(c80, c + 8 * ldc + 0, add); Store(c81, c + 8 * ldc + 16, add); }
        if (R.Value > 9) { Store(c90, c + 9 * ldc + 0, add); Store(c91, c + 9 * ldc + 16, add); }
        if (R.Value > 10) { Store(c100, c + 10 * ldc + 0, add); Store(c101, c + 10 * ldc + 16, add); }
        if (R.Value > 11) { Store(c110, c + 11 * ldc + 0, add); Store(c111, c + 11 * ldc + 16, add); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> acc, float* dst, bool add)
        => (add ? Vector512.Load(dst) + acc : acc).Store(dst);
}
