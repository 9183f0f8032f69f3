// Table lookup: Embedding (ids → rows of a [V, D] weight, differentiable in the weight) and OneHot (ids → [.., V]).
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary><c>y[..., :] = W[ids[...], :]</c> (PyTorch's F.embedding). <paramref name="ids"/> has shape
    /// <paramref name="idsShape"/> (null = [ids.Length]); the result is [...idsShape, D]. The row
    /// <paramref name="paddingIdx"/> receives no gradient.</summary>
    /// <exception cref="ArgumentException">An id is outside 0..V−1, idsShape does not match ids, or paddingIdx is outside 0..V−1.</exception>
    public static Tensor<T> Embedding<T>(Tensor<T> weight, int[] ids, int[]? idsShape = null, int? paddingIdx = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: weight {Tensor<T>.FormatShape(weight.Shape)} is not [V, D].");
        int V = weight.Dim(0), D = weight.Dim(1);
        idsShape ??= [ids.Length];
        if (Tensor<T>.ShapeSize(idsShape) != ids.Length)
            throw new ArgumentException($"Embedding: ids shape {Tensor<T>.FormatShape(idsShape)} does not hold {ids.Length} ids.");
        if (paddingIdx is int p && (uint)p >= (uint)V)
            throw new ArgumentException($"Embedding: padding index {p} is outside 0..{V - 1}.");
        CheckIds("Embedding", ids, V);
        int[] savedIds = (int[])ids.Clone();                              // the caller may reuse its buffer before backward
        var y = new Tensor<T>([.. idsShape, D]);                           // [N, D]
        for (int i = 0; i < savedIds.Length; i++) weight.Data.Slice(savedIds[i] * D, D).CopyTo(y.Data.Slice(i * D, D));
        if (Graph.ShouldRecord(weight))
        {
            Graph.Record("Embedding", [weight], () =>
            {
                if (y.Grad is not { } dy) return;
                // y_i = W[id_i]  ⇒  dW[id_i] += dy_i, except the padding row
                var g = weight.GradForAccumulation();
                for (int i = 0; i < savedIds.Length; i++)
                {
                    int id = savedIds[i];
                    if (id == paddingIdx) continue;
                    Elementwise.AddInPlace(g.Slice(id * D, D), dy.Data.Slice(i * D, D));
                }
            }, y);
        }
        return y;
    }

    /// <summary>One-hot encoding: ids of shape <paramref name="idsShape"/> (null = [ids.Length]) → [...idsShape, numClasses]
    /// with 1 at each id. Not differentiable (a constant input).</summary>
    /// <exception cref="ArgumentException">An id is outside 0..numClasses−1, or idsShape does not match ids.</exception>
    public static Tensor<T> OneHot<T>(int[] ids, int numClasses, int[]? idsShape = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        idsShape ??= [ids.Length];
        if (Tensor<T>.ShapeSize(idsShape) != ids.Length)
            throw new ArgumentException($"OneHot: ids shape {Tensor<T>.FormatShape(idsShape)} does not hold {ids.Length} ids.");
        CheckIds("OneHot", ids, numClasses);
        var y = new Tensor<T>([.. idsShape, numClasses]);
        for (int i = 0; i < ids.Length; i++) y.Data[i * numClasses + ids[i]] = T.One;
        return y;
    }

    private static void CheckIds(string op, int[] ids, int count)
    {
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)count)
                throw new ArgumentException($"{op}: id {ids[i]} at position {i} is outside 0..{count - 1}.");
    }
}
