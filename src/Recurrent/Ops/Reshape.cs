// Shape-only ops: Reshape (shares storage), Transpose01 (swaps the two leading dimensions; copies).
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary>The same elements under a new shape, sharing storage with <paramref name="x"/>
    /// (writes through one are seen by the other). One dimension may be −1 (inferred).</summary>
    /// <exception cref="ArgumentException">The element counts differ, or more than one dimension is −1.</exception>
    public static Tensor<T> Reshape<T>(Tensor<T> x, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var resolved = (int[])shape.Clone();
        int infer = -1; long known = 1;
        for (int i = 0; i < resolved.Length; i++)
        {
            if (resolved[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape: more than one −1 in {Tensor<T>.FormatShape(shape)}.");
                infer = i;
            }
            else if (resolved[i] < 0) throw new ArgumentException($"Reshape: negative dimension in {Tensor<T>.FormatShape(shape)}.");
            else known *= resolved[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || x.Length % known != 0)
                throw new ArgumentException($"Reshape: cannot reshape {Tensor<T>.FormatShape(x.Shape)} ({x.Length} elements) to {Tensor<T>.FormatShape(shape)}.");
            resolved[infer] = (int)(x.Length / known);
            known *= resolved[infer];
        }
        if (known != x.Length)
            throw new ArgumentException($"Reshape: cannot reshape {Tensor<T>.FormatShape(x.Shape)} ({x.Length} elements) to {Tensor<T>.FormatShape(shape)}.");

        var y = new Tensor<T>(x.Array, resolved);
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("Reshape", [x], () =>
            {
                // Same row-major order: the gradient is the output gradient under the input's shape.
                if (y.Grad is { } dy) x.AccumulateGrad(dy.Data);
            }, y);
        }
        return y;
    }

    /// <summary>Swaps the first two dimensions: [A, B, ...] → [B, A, ...] (copies), e.g. batch-first ↔ time-major.</summary>
    /// <exception cref="ArgumentException">x has fewer than two dimensions.</exception>
    public static Tensor<T> Transpose01<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank < 2) throw new ArgumentException($"Transpose01: input {Tensor<T>.FormatShape(x.Shape)} needs at least two dimensions.");
        int a = x.Dim(0), b = x.Dim(1);
        int inner = a * b == 0 ? 0 : x.Length / (a * b);
        var shape = x.Shape.ToArray();
        (shape[0], shape[1]) = (b, a);
        var y = new Tensor<T>(shape);
        SwapLeading(x.Data, y.Data, a, b, inner, accumulate: false);
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("Transpose01", [x], () =>
            {
                if (y.Grad is { } dy) SwapLeading(dy.Data, x.GradForAccumulation(), b, a, inner, accumulate: true);
            }, y);
        }
        return y;
    }

    // dst[j, i, :] (=|+=) src[i, j, :] for src [a, b, inner].
    private static void SwapLeading<T>(ReadOnlySpan<T> src, Span<T> dst, int a, int b, int inner, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
            {
                var s = src.Slice((i * b + j) * inner, inner);
                var d = dst.Slice((j * a + i) * inner, inner);
                if (accumulate) Kernels.Elementwise.AddInPlace(d, s); else s.CopyTo(d);
            }
    }
}
