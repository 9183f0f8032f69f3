// Swaps the first two dimensions of a rank-3 tensor: batch-first [B, T, F] ↔ time-major [T, B, F].
// The recurrent stack's public API is batch-first; its layers run time-major.
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary><c>y[j, i, f] = x[i, j, f]</c>: [A, C, F] → [C, A, F] (a copy).</summary>
    /// <exception cref="ArgumentException">x is not rank 3.</exception>
    public static Tensor<T> SwapBatchTime<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank != 3) throw new ArgumentException($"SwapBatchTime: input {Tensor<T>.FormatShape(x.Shape)} must be rank 3.");
        int A = x.Dim(0), C = x.Dim(1), F = x.Dim(2);
        var y = new Tensor<T>(C, A, F);
        Swap(x.Data, y.Data, A, C, F);
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("SwapBatchTime", [x], () =>
            {
                if (y.Grad is not { } dy || !x.RequiresGrad) return;
                var dx = x.GradForAccumulation();
                // y[j, i] = x[i, j]  ⇒  dx[i, j] += dy[j, i]
                for (int j = 0; j < C; j++)
                    for (int i = 0; i < A; i++)
                        Kernels.Elementwise.AddInPlace(dx.Slice((i * C + j) * F, F), dy.Data.Slice((j * A + i) * F, F));
            }, y);
        }
        return y;
    }

    private static void Swap<T>(ReadOnlySpan<T> src, Span<T> dst, int a, int c, int f)
    {
        for (int i = 0; i < a; i++)
            for (int j = 0; j < c; j++)
                src.Slice((i * c + j) * f, f).CopyTo(dst.Slice((j * a + i) * f, f));
    }
}
