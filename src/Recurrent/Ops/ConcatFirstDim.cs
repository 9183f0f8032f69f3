// Concatenation along the first dimension (e.g. per-layer final states [D, B, H] → [L·D, B, H]).
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary>Concatenates tensors that agree in all but the first dimension, along the first dimension.</summary>
    /// <exception cref="ArgumentException">No tensors, or the trailing dimensions differ (the message names both shapes).</exception>
    public static Tensor<T> ConcatFirstDim<T>(IReadOnlyList<Tensor<T>> parts) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (parts.Count == 0) throw new ArgumentException("ConcatFirstDim: no tensors.");
        var first = parts[0];
        if (first.Rank < 1) throw new ArgumentException("ConcatFirstDim: tensors must have at least one dimension.");
        int rows = 0;
        foreach (var p in parts)
        {
            if (p.Rank != first.Rank || !p.Shape[1..].SequenceEqual(first.Shape[1..]))
                throw new ArgumentException($"ConcatFirstDim: shapes {Tensor<T>.FormatShape(first.Shape)} and {Tensor<T>.FormatShape(p.Shape)} differ beyond the first dimension.");
            rows += p.Dim(0);
        }
        var shape = first.Shape.ToArray();
        shape[0] = rows;
        var y = new Tensor<T>(shape);
        int offset = 0;
        foreach (var p in parts) { p.Data.CopyTo(y.Data[offset..]); offset += p.Length; }
        var inputs = parts.Cast<Tensor<T>?>().ToArray();
        if (Graph.ShouldRecord(inputs))
        {
            Graph.Record("ConcatFirstDim", inputs, () =>
            {
                if (y.Grad is not { } dy) return;
                int at = 0;
                foreach (var p in parts)
                {
                    if (p.RequiresGrad) p.AccumulateGrad(dy.Data.Slice(at, p.Length));
                    at += p.Length;
                }
            }, y);
        }
        return y;
    }
}
