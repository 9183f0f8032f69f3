// The contract between the blocked GEMM driver (GemmF32) and its register-blocked micro-kernels.
// Kernels are structs with static abstract members so the driver is specialised per kernel by the JIT
// (no virtual calls in the hot loops).
namespace Recurrent.Kernels;

/// <summary>A register-blocked float32 micro-kernel over packed panels.</summary>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>Rows of a full tile (rows of a packed A panel).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of a tile (columns of a packed B panel).</summary>
    static abstract int NR { get; }

    /// <summary>Whether the instructions this kernel needs are accelerated on this machine.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>
    /// <c>C[rows×NR] (+)= Apanel · Bpanel</c>: <paramref name="a"/> is packed <c>[kc][rows]</c>,
    /// <paramref name="b"/> is packed <c>[kc][NR]</c>, <paramref name="c"/> has row stride <paramref name="ldc"/>.
    /// Each C element is accumulated from zero in k order with fused multiply-adds and then stored
    /// (or added to C when <paramref name="add"/>), so the result never depends on tile position or thread.
    /// </summary>
    static abstract void Run(int rows, int kc, float* a, float* b, float* c, nint ldc, bool add);
}

/// <summary>A compile-time row count: the JIT specialises micro-kernels per value and drops unused rows.</summary>
internal interface IRowCount { static abstract int Value { get; } }

internal struct R1 : IRowCount { public static int Value => 1; }
internal struct R2 : IRowCount { public static int Value => 2; }
internal struct R3 : IRowCount { public static int Value => 3; }
internal struct R4 : IRowCount { public static int Value => 4; }
internal struct R5 : IRowCount { public static int Value => 5; }
internal struct R6 : IRowCount { public static int Value => 6; }
internal struct R7 : IRowCount { public static int Value => 7; }
internal struct R8 : IRowCount { public static int Value => 8; }
internal struct R9 : IRowCount { public static int Value => 9; }
internal struct R10 : IRowCount { public static int Value => 10; }
internal struct R11 : IRowCount { public static int Value => 11; }
internal struct R12 : IRowCount { public static int Value => 12; }
