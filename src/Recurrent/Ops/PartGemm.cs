// The GEMMs of a recurrent layer (and of small Linear layers), issued either normally (split across
// Parallelism.Threads) or on the calling thread alone: on a thread that runs one part of a RecurrentPipeline,
// or when the caller says the GEMM is too small to be worth waking a worker. Inside a part the workers are taken, so a split
// GEMM would run its parts one after another on this thread, each packing the operand it does not split again
// (the whole of H_prev or X for a weight gradient): one part does the same work once. The result is the same
// either way (GEMM splits never change an element's operations).
using System.Numerics;
using System.Runtime.InteropServices;
using Recurrent.Kernels;

namespace Recurrent.Ops;

internal static unsafe class PartGemm
{
    /// <summary>True on a thread while it runs a part of a pipelined stack.</summary>
    [ThreadStatic] internal static bool InPart;

    /// <summary><see cref="Gemm.Multiply{T}(bool, bool, int, int, int, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, bool)"/>,
    /// on the calling thread alone when <see cref="InPart"/> or <paramref name="serial"/>.</summary>
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate, bool serial = false) where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(transposeA, transposeB, m, n, k, a, transposeA ? m : k, b, transposeB ? k : n, c, n, accumulate, serial);

    /// <summary>As above with leading dimensions (row strides of A, B, C as stored).</summary>
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate, bool serial = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(InPart || serial) || typeof(T) != typeof(float) || m == 0 || n == 0 || k == 0)
        {
            Gemm.Multiply(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            return;
        }
        Gemm.Validate(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        var fa = MemoryMarshal.Cast<T, float>(a); var fb = MemoryMarshal.Cast<T, float>(b); var fc = MemoryMarshal.Cast<T, float>(c);
        fixed (float* pa = fa) fixed (float* pb = fb) fixed (float* pc = fc)
        {
            var job = new GemmF32.GemmJob
            {
                Kind = GemmF32.Active, TransposeA = transposeA, TransposeB = transposeB, M = m, N = n, K = k,
                A = pa, Lda = lda, B = pb, Ldb = ldb, C = pc, Ldc = ldc, Accumulate = accumulate,
            };
            GemmF32.Run(ref job, threads: 1);
        }
    }
}
