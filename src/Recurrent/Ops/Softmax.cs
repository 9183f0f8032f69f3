// Softmax and log-softmax over the last dimension, shifted by the row maximum so exp never overflows.
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary><c>y[..., j] = e^(x_j − m) / Σ_k e^(x_k − m)</c> over the last dimension (m = row max).</summary>
    public static Tensor<T> Softmax<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank < 1) throw new ArgumentException("Softmax: input is a scalar.");
        int C = x.Dim(-1);
        var y = new Tensor<T>(x.Shape.ToArray());
        for (int r = 0; r < y.Length; r += C) SoftmaxRow(x.Data.Slice(r, C), y.Data.Slice(r, C), log: false);
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("Softmax", [x], () =>
            {
                if (y.Grad is not { } dy) return;
                // dx_j = y_j·(dy_j − Σ_k dy_k·y_k)
                var g = x.GradForAccumulation();
                for (int r = 0; r < y.Length; r += C)
                {
                    T dot = T.Zero;
                    for (int j = 0; j < C; j++) dot += dy.Data[r + j] * y.Data[r + j];
                    for (int j = 0; j < C; j++) g[r + j] += y.Data[r + j] * (dy.Data[r + j] - dot);
                }
            }, y);
        }
        return y;
    }

    /// <summary><c>y[..., j] = x_j − m − log Σ_k e^(x_k − m)</c> over the last dimension (m = row max).</summary>
    public static Tensor<T> LogSoftmax<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank < 1) throw new ArgumentException("LogSoftmax: input is a scalar.");
        int C = x.Dim(-1);
        var y = new Tensor<T>(x.Shape.ToArray());
        for (int r = 0; r < y.Length; r += C) SoftmaxRow(x.Data.Slice(r, C), y.Data.Slice(r, C), log: true);
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("LogSoftmax", [x], () =>
            {
                if (y.Grad is not { } dy) return;
                // dx_j = dy_j − e^(y_j)·Σ_k dy_k
                var g = x.GradForAccumulation();
                for (int r = 0; r < y.Length; r += C)
                {
                    T sum = T.Zero;
                    for (int j = 0; j < C; j++) sum += dy.Data[r + j];
                    for (int j = 0; j < C; j++) g[r + j] += dy.Data[r + j] - T.Exp(y.Data[r + j]) * sum;
                }
            }, y);
        }
        return y;
    }

    // One row: softmax (log: false) or log-softmax (log: true) of x into y.
    internal static void SoftmaxRow<T>(ReadOnlySpan<T> x, Span<T> y, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length == 0) return;
        T max = x[0];
        for (int j = 1; j < x.Length; j++) if (x[j] > max || T.IsNaN(x[j])) max = x[j];
        if (T.IsInfinity(max)) max = T.Zero;                             // all −inf (or +inf): avoid inf − inf
        T sum = T.Zero;
        for (int j = 0; j < x.Length; j++) { T ex = T.Exp(x[j] - max); y[j] = ex; sum += ex; }
        if (log)
        {
            T lse = T.Log(sum);
            for (int j = 0; j < x.Length; j++) y[j] = x[j] - max - lse;
        }
        else
        {
            T inv = T.One / sum;
            for (int j = 0; j < x.Length; j++) y[j] *= inv;
        }
    }
}
