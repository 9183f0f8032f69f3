// Slicing and joining along one axis: SelectTime ([B, T, H] → [B, H]), SelectFirst ([L, ...] → [...]),
// ConcatLastDim. All copy; the backward scatters the output gradient back into the slice it came from.
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary>The time step <paramref name="t"/> of a batch-first sequence: x [B, T, H] → [B, H].
    /// Negative t counts from the end (−1 = last step).</summary>
    /// <exception cref="ArgumentException">x is not rank 3 or t is out of range.</exception>
    public static Tensor<T> SelectTime<T>(Tensor<T> x, int t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank != 3) throw new ArgumentException($"SelectTime: input {Tensor<T>.FormatShape(x.Shape)} is not [B, T, H].");
        int B = x.Dim(0), T_ = x.Dim(1), H = x.Dim(2);
        int tt = t < 0 ? t + T_ : t;
        if ((uint)tt >= (uint)T_) throw new ArgumentException($"SelectTime: step {t} is out of range for {T_} steps (input {Tensor<T>.FormatShape(x.Shape)}).");
        var y = new Tensor<T>(B, H);                                       // [B, H]
        for (int b = 0; b < B; b++) x.Data.Slice((b * T_ + tt) * H, H).CopyTo(y.Data.Slice(b * H, H));
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("SelectTime", [x], () =>
            {
                if (y.Grad is not { } dy) return;
                var g = x.GradForAccumulation();
                for (int b = 0; b < B; b++) Elementwise.AddInPlace(g.Slice((b * T_ + tt) * H, H), dy.Data.Slice(b * H, H));
            }, y);
        }
        return y;
    }

    /// <summary>Index <paramref name="index"/> of the first dimension: x [L, ...] → [...]
    /// (e.g. layer l of a final state [L, B, H]). Negative index counts from the end.</summary>
    /// <exception cref="ArgumentException">x is a scalar or index is out of range.</exception>
    public static Tensor<T> SelectFirst<T>(Tensor<T> x, int index) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank < 1) throw new ArgumentException("SelectFirst: input is a scalar.");
        int L = x.Dim(0);
        int l = index < 0 ? index + L : index;
        if ((uint)l >= (uint)L) throw new ArgumentException($"SelectFirst: index {index} is out of range for first dimension {L} (input {Tensor<T>.FormatShape(x.Shape)}).");
        var y = new Tensor<T>(x.Shape[1..].ToArray());
        int n = y.Length;
        x.Data.Slice(l * n, n).CopyTo(y.Data);
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("SelectFirst", [x], () =>
            {
                if (y.Grad is { } dy) Elementwise.AddInPlace(x.GradForAccumulation().Slice(l * n, n), dy.Data);
            }, y);
        }
        return y;
    }

    /// <summary>Concatenates along the last dimension: [..., A] ‖ [..., B] → [..., A + B]. Leading dimensions must match.</summary>
    /// <exception cref="ArgumentException">No inputs, a scalar input, or leading dimensions differ.</exception>
    public static Tensor<T> ConcatLastDim<T>(params Tensor<T>[] xs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (xs.Length == 0) throw new ArgumentException("ConcatLastDim: no inputs.");
        var lead = xs[0].Shape.Length == 0 ? throw new ArgumentException("ConcatLastDim: scalar input.") : xs[0].Shape[..^1].ToArray();
        int total = 0;
        foreach (var x in xs)
        {
            if (x.Rank == 0 || !x.Shape[..^1].SequenceEqual(lead))
                throw new ArgumentException($"ConcatLastDim: inputs {string.Join(", ", xs.Select(t => Tensor<T>.FormatShape(t.Shape)))} differ before the last dimension.");
            total += x.Dim(-1);
        }
        int rows = 1;
        foreach (var d in lead) rows *= d;
        var y = new Tensor<T>([.. lead, total]);                          // [N, ΣW]
        int offset = 0;
        var offsets = new int[xs.Length];
        for (int k = 0; k < xs.Length; k++)
        {
            int w = xs[k].Dim(-1);
            offsets[k] = offset;
            for (int r = 0; r < rows; r++) xs[k].Data.Slice(r * w, w).CopyTo(y.Data.Slice(r * total + offset, w));
            offset += w;
        }
        if (Graph.ShouldRecord(xs))
        {
            Graph.Record("ConcatLastDim", xs, () =>
            {
                if (y.Grad is not { } dy) return;
                for (int k = 0; k < xs.Length; k++)
                {
                    if (!xs[k].RequiresGrad) continue;
                    int w = xs[k].Dim(-1);
                    var g = xs[k].GradForAccumulation();
                    for (int r = 0; r < rows; r++) Elementwise.AddInPlace(g.Slice(r * w, w), dy.Data.Slice(r * total + offsets[k], w));
                }
            }, y);
        }
        return y;
    }
}
