// y = x·Wᵀ + b over the last dimension of x (PyTorch's F.linear).
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary><c>y[..., o] = Σ_i x[..., i]·W[o, i] + b[o]</c>; x is [..., I], W is [O, I], b is [O] or null.</summary>
    /// <exception cref="ArgumentException">The last dimension of x is not W's input size, or b is not [O].</exception>
    public static Tensor<T> Linear<T>(Tensor<T> x, Tensor<T> weight, Tensor<T>? bias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (weight.Rank != 2 || x.Rank < 1 || x.Dim(-1) != weight.Dim(1))
            throw new ArgumentException($"Linear: input {Tensor<T>.FormatShape(x.Shape)} does not fit weight {Tensor<T>.FormatShape(weight.Shape)} (last input dimension must be {(weight.Rank == 2 ? weight.Dim(1) : -1)}).");
        int outF = weight.Dim(0), inF = weight.Dim(1);
        if (bias is not null && (bias.Rank != 1 || bias.Length != outF))
            throw new ArgumentException($"Linear: bias {Tensor<T>.FormatShape(bias.Shape)} does not fit weight {Tensor<T>.FormatShape(weight.Shape)}.");
        int rows = LeadingRows(x);                                        // N = product of leading dims
        var outShape = x.Shape.ToArray();
        outShape[^1] = outF;
        var y = new Tensor<T>(GC.AllocateUninitializedArray<T>(rows * outF), outShape);   // [N, O], fully written by the GEMM

        // A small layer (a language model's head: [B·T, H]·[H, V] with V ≈ 30) runs its GEMMs on this thread: waking a
        // worker that sleeps between phases costs more than the split saves (measured ~1.2 ms per train lm step at 2 threads).
        bool serial = 2L * rows * outF * inF < SerialLinearFlops;
        PartGemm.Multiply(false, true, rows, outF, inF, x.Data, weight.Data, y.Data, accumulate: false, serial);
        if (bias is not null) Elementwise.AddRowToEach(y.Data, bias.Data);

        if (Graph.ShouldRecord(x, weight, bias))
        {
            Graph.Record("Linear", [x, weight, bias], () =>
            {
                if (y.Grad is not { } dy) return;
                // y = x·Wᵀ + b  ⇒  dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy
                if (serial && x.RequiresGrad && weight.RequiresGrad && Parallelism.Threads > 1)
                {
                    // A small layer's two products are independent: dx on one thread, dW (and db) on another, each GEMM
                    // whole on its thread as in the serial case, so the values are the same.
                    x.GradForAccumulation(); weight.GradForAccumulation();
                    T[]? db = null;
                    if (bias is { RequiresGrad: true }) { bias.GradForAccumulation(); db = bias.Grad!.Array; }
                    var body = new LinearBackwardParts<T>(rows, inF, outF, dy.Array, weight.Array, x.Array, x.Grad!.Array, weight.Grad!.Array, db);
                    Parallelism.Run(2, ref body);
                    return;
                }
                if (x.RequiresGrad) PartGemm.Multiply(false, false, rows, inF, outF, dy.Data, weight.Data, x.GradForAccumulation(), accumulate: true, serial);
                if (weight.RequiresGrad) PartGemm.Multiply(true, false, outF, inF, rows, dy.Data, x.Data, weight.GradForAccumulation(), accumulate: true, serial);
                if (bias is { RequiresGrad: true }) Elementwise.SumRowsInto<T>(dy.Data, bias.GradForAccumulation());
            }, y);
        }
        return y;
    }

    /// <summary>Flops (2·rows·out·in) below which a Linear layer's GEMMs are not split across threads.</summary>
    internal const long SerialLinearFlops = 64_000_000;

    internal static int LeadingRows<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = 1;
        for (int d = 0; d < x.Rank - 1; d++) rows *= x.Dim(d);
        return rows;
    }
}
