// Portable micro-kernel on Vector<T> (any SIMD width the runtime accelerates): 4 rows × 2 vectors = 8 accumulators.
// Hand-unrolled: one accumulator register per (row, vector column); the row count is a generic
// constant so the JIT drops the unused rows and each remainder-row count gets its own tight loop.
using System.Runtime.CompilerServices;
using System.Numerics;

namespace Recurrent.Kernels;

/// <summary>4 × (2·Vector&lt;float&gt;.Count) float32 micro-kernel on Vector&lt;T&gt; (C tile += packed A panel · packed B panel).</summary>
internal readonly unsafe struct MicroKernelPortable : IGemmMicroKernel
{
    public static int MR => 4;
    public static int NR => 2 * Vector<float>.Count;
    public static bool IsSupported => Vector.IsHardwareAccelerated;

    public static void Run(int rows, int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        switch (rows)
        {
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
        var c00 = Vector<float>.Zero; var c01 = Vector<float>.Zero;
        var c10 = Vector<float>.Zero; var c11 = Vector<float>.Zero;
        var c20 = Vector<float>.Zero; var c21 = Vector<float>.Zero;
        var c30 = Vector<float>.Zero; var c31 = Vector<float>.Zero;
        // The C tile is needed only after the k loop: start fetching its rows now.
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(c); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + NR - 1);
            if (R.Value > 1) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 1 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 1 * ldc + NR - 1); }
            if (R.Value > 2) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 2 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 2 * ldc + NR - 1); }
            if (R.Value > 3) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 3 * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + 3 * ldc + NR - 1); }
        }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector.Load(b + 0 * Vector<float>.Count);
            var b1 = Vector.Load(b + 1 * Vector<float>.Count);
            var a0 = Vector.Create(a[0]);
            c00 = Vector.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector.FusedMultiplyAdd(a0, b1, c01);
            if (R.Value > 1) { var a1 = Vector.Create(a[1]); c10 = Vector.FusedMultiplyAdd(a1, b0, c10); c11 = Vector.FusedMultiplyAdd(a1, b1, c11); }
            if (R.Value > 2) { var a2 = Vector.Create(a[2]); c20 = Vector.FusedMultiplyAdd(a2, b0, c20); c21 = Vector.FusedMultiplyAdd(a2, b1, c21); }
            if (R.Value > 3) { var a3 = Vector.Create(a[3]); c30 = Vector.FusedMultiplyAdd(a3, b0, c30); c31 = Vector.FusedMultiplyAdd(a3, b1, c31); }
            a += R.Value;
            b += NR;
        }
        Store(c00, c + 0 * ldc + 0 * Vector<float>.Count, add); Store(c01, c + 0 * ldc + 1 * Vector<float>.Count, add);
        if (R.Value > 1) { Store(c10, c + 1 * ldc + 0 * Vector<float>.Count, add); Store(c11, c + 1 * ldc + 1 * Vector<float>.Count, add); }
        if (R.Value > 2) { Store(c20, c + 2 * ldc + 0 * Vector<float>.Count, add); Store(c21, c + 2 * ldc + 1 * Vector<float>.Count, add); }
        if (R.Value > 3) { Store(c30, c + 3 * ldc + 0 * Vector<float>.Count, add); Store(c31, c + 3 * ldc + 1 * Vector<float>.Count, add); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<float> acc, float* dst, bool add)
        => (add ? Vector.Load(dst) + acc : acc).Store(dst);
}
