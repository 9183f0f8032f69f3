// Elementwise Add/Sub/Mul with trailing-shape broadcasting ([B, T, H] + [H], [N, C] * [N, C], x + scalar []),
// and Scale by a constant. The smaller operand's shape must equal the trailing dimensions of the larger.
using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    private enum BinaryKind { Add, Sub, Mul }

    /// <summary><c>a + b</c>; one operand's shape may be a trailing suffix of the other's (e.g. [B, T, H] + [H]).</summary>
    /// <exception cref="ArgumentException">Neither shape is a trailing suffix of the other.</exception>
    public static Tensor<T> Add<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => Binary(BinaryKind.Add, a, b);

    /// <summary><c>a − b</c>; one operand's shape may be a trailing suffix of the other's.</summary>
    /// <exception cref="ArgumentException">Neither shape is a trailing suffix of the other.</exception>
    public static Tensor<T> Sub<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => Binary(BinaryKind.Sub, a, b);

    /// <summary><c>a ⊙ b</c> (elementwise product); one operand's shape may be a trailing suffix of the other's.</summary>
    /// <exception cref="ArgumentException">Neither shape is a trailing suffix of the other.</exception>
    public static Tensor<T> Mul<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => Binary(BinaryKind.Mul, a, b);

    /// <summary><c>y = s · x</c> for a constant <paramref name="s"/>.</summary>
    public static Tensor<T> Scale<T>(Tensor<T> x, double s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T factor = T.CreateChecked(s);
        var y = new Tensor<T>(x.Shape.ToArray());
        TensorPrimitives.Multiply(x.Data, factor, y.Data);
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("Scale", [x], () =>
            {
                if (y.Grad is not { } dy) return;
                // y = s·x  ⇒  dx = s·dy
                Kernels.Elementwise.AddScaledInPlace(x.GradForAccumulation(), dy.Data, factor);
            }, y);
        }
        return y;
    }

    private static Tensor<T> Binary<T>(BinaryKind kind, Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool aBig;
        if (IsTrailingSuffix(b.Shape, a.Shape)) aBig = true;
        else if (IsTrailingSuffix(a.Shape, b.Shape)) aBig = false;
        else
            throw new ArgumentException($"{kind}: shapes {Tensor<T>.FormatShape(a.Shape)} and {Tensor<T>.FormatShape(b.Shape)} do not broadcast " +
                                        "(the smaller shape must equal the trailing dimensions of the larger).");
        var big = aBig ? a : b;
        var small = aBig ? b : a;
        var y = new Tensor<T>(big.Shape.ToArray());
        int n = small.Length;                                            // block = one copy of the small operand
        if (n > 0)
        {
            for (int r = 0; r < big.Length; r += n)
            {
                var aS = aBig ? a.Data.Slice(r, n) : a.Data;
                var bS = aBig ? b.Data : b.Data.Slice(r, n);
                var yS = y.Data.Slice(r, n);
                switch (kind)
                {
                    case BinaryKind.Add: TensorPrimitives.Add(aS, bS, yS); break;
                    case BinaryKind.Sub: TensorPrimitives.Subtract(aS, bS, yS); break;
                    default: TensorPrimitives.Multiply(aS, bS, yS); break;
                }
            }
        }

        if (Graph.ShouldRecord(a, b))
        {
            Graph.Record(kind.ToString(), [a, b], () =>
            {
                if (y.Grad is not { } dy || n == 0) return;
                // y = a ∘ b with the small operand repeated over blocks: its gradient sums over the blocks.
                T bSign = kind == BinaryKind.Sub ? -T.One : T.One;
                if (a.RequiresGrad) AccumulateBinaryGrad(kind, a, b, aBig, dy.Data, T.One);
                if (b.RequiresGrad) AccumulateBinaryGrad(kind, b, a, !aBig, dy.Data, bSign);
            }, y);
        }
        return y;
    }

    // Gradient of `target` (one operand) given `other`; `targetBig` says whether target has the full shape.
    // Add/Sub: d target = sign·dy; Mul: d target = dy ⊙ other. Summed over blocks when target is the small one.
    private static void AccumulateBinaryGrad<T>(BinaryKind kind, Tensor<T> target, Tensor<T> other, bool targetBig, ReadOnlySpan<T> dy, T sign)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = target.GradForAccumulation();
        int n = targetBig ? other.Length : target.Length;
        for (int r = 0; r < dy.Length; r += n)
        {
            var dyS = dy.Slice(r, n);
            var gS = targetBig ? g.Slice(r, n) : g;
            if (kind == BinaryKind.Mul)
            {
                ReadOnlySpan<T> o = targetBig ? other.Data : other.Data.Slice(r, n);
                TensorPrimitives.MultiplyAdd(dyS, o, gS, gS);
            }
            else TensorPrimitives.MultiplyAdd(dyS, sign, gS, gS);
        }
    }

    private static bool IsTrailingSuffix(ReadOnlySpan<int> small, ReadOnlySpan<int> big)
        => small.Length <= big.Length && big[(big.Length - small.Length)..].SequenceEqual(small);
}
