// One inference time step of one unidirectional layer, in place on the state, without a graph or
// allocation (used by RecurrentStack.Step for generation and streaming).
using System.Numerics;
using System.Numerics.Tensors;
using Recurrent.Kernels;
using Recurrent.Nn;

namespace Recurrent.Ops;

internal static class RecurrentStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>h, c [B, H] are updated in place; scratch holds at least 2·B·G + B·H elements.</summary>
    public static void Run(RecurrentMode mode, int batch, int inputSize, int hidden, ReadOnlySpan<T> x,
        RecurrentWeights<T> w, Span<T> h, Span<T> c, Span<T> scratch)
    {
        int H = hidden, G = mode.GateCount() * H, B = batch;
        var gates = scratch[..(B * G)];                                            // [B, G]
        var hg = scratch.Slice(B * G, B * G);                                      // [B, G] GRU
        var hn = scratch.Slice(2 * B * G, B * H);                                  // [B, H] GRU
        MultiplyTransposed(B, G, inputSize, x, w.WeightIh.Data, gates);            // x·W_ihᵀ
        ReadOnlySpan<T> bIh = w.BiasIh is null ? default : w.BiasIh.Data;
        ReadOnlySpan<T> bHh = w.BiasHh is null ? default : w.BiasHh.Data;
        for (int b = 0; b < B; b++)
        {
            var row = gates.Slice(b * G, G);
            if (!bIh.IsEmpty) TensorPrimitives.Add(row, bIh, row);
            if (!bHh.IsEmpty)
            {
                int n = mode == RecurrentMode.Gru ? 2 * H : G;                       // GRU: b_hn stays inside r⊙(·)
                TensorPrimitives.Add(row[..n], bHh[..n], row[..n]);
            }
        }
        switch (mode)
        {
            case RecurrentMode.Lstm:
                MultiplyTransposed(B, G, H, h, w.WeightHh.Data, gates, accumulate: true);
                LstmKernel.Forward(B, H, gates, h, c, default, gates, h, c);
                break;
            case RecurrentMode.Gru:
                MultiplyTransposed(B, G, H, h, w.WeightHh.Data, hg);
                GruKernel.Forward(B, H, gates, hg, bHh.IsEmpty ? default : bHh.Slice(2 * H, H), h, default, gates, hn, h);
                break;
            default:
                MultiplyTransposed(B, G, H, h, w.WeightHh.Data, gates, accumulate: true);
                RnnKernel.Forward(B, H, mode == RecurrentMode.RnnRelu, gates, h, default, h);
                break;
        }
    }

    // y[b, g] (+)= Σ_i x[b, i]·W[g, i] for W [G, K] row-major. One row (generation): a dot product per
    // output reads W once without packing it (measured faster than the GEMM at B = 1). Several rows: the
    // float GEMM, which packs Wᵀ into reused per-thread buffers (no allocation) and wins from B = 2 on.
    private static void MultiplyTransposed(int rows, int outputs, int k, ReadOnlySpan<T> x, ReadOnlySpan<T> w, Span<T> y, bool accumulate = false)
    {
        if (rows > 1 && typeof(T) == typeof(float))
        {
            Gemm.Multiply(false, true, rows, outputs, k, x, w, y, accumulate);
            return;
        }
        for (int b = 0; b < rows; b++)
        {
            var xr = x.Slice(b * k, k);
            var yr = y.Slice(b * outputs, outputs);
            for (int g = 0; g < outputs; g++)
            {
                T dot = TensorPrimitives.Dot(w.Slice(g * k, k), xr);
                yr[g] = accumulate ? yr[g] + dot : dot;
            }
        }
    }
}
