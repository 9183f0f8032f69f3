// Pooling a batch-first sequence [B, T, H] to one vector per sample [B, H] for sequence classification.
// Each sample b uses only its first lengths[b] steps, so padding never changes the result or receives gradient.
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary>Mean over each sample's valid steps: <c>y[b, h] = (1/len_b)·Σ_{t &lt; len_b} x[b, t, h]</c>.
    /// x is [B, T, H]; <paramref name="lengths"/> (null = all T) holds B values in 1..T.</summary>
    /// <exception cref="ArgumentException">x is not rank 3, or lengths has the wrong count or a value outside 1..T.</exception>
    public static Tensor<T> MeanOverTime<T>(Tensor<T> x, int[]? lengths = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (B, T_, H, len) = CheckPooling("MeanOverTime", x, lengths);
        var y = new Tensor<T>(B, H);                                       // [B, H]
        for (int b = 0; b < B; b++)
        {
            var yb = y.Data.Slice(b * H, H);
            for (int t = 0; t < len[b]; t++) Elementwise.AddInPlace(yb, x.Data.Slice((b * T_ + t) * H, H));
            T inv = T.One / T.CreateChecked(len[b]);
            for (int h = 0; h < H; h++) yb[h] *= inv;
        }
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("MeanOverTime", [x], () =>
            {
                if (y.Grad is not { } dy) return;
                // y_b = (1/len_b)·Σ_t x_bt  ⇒  dx_bt = dy_b / len_b for t < len_b, 0 on padding
                var g = x.GradForAccumulation();
                for (int b = 0; b < B; b++)
                {
                    T inv = T.One / T.CreateChecked(len[b]);
                    for (int t = 0; t < len[b]; t++) Elementwise.AddScaledInPlace(g.Slice((b * T_ + t) * H, H), dy.Data.Slice(b * H, H), inv);
                }
            }, y);
        }
        return y;
    }

    /// <summary>Maximum over each sample's valid steps: <c>y[b, h] = max_{t &lt; len_b} x[b, t, h]</c>.
    /// The gradient goes to the first step attaining the maximum. x is [B, T, H]; lengths as in <see cref="MeanOverTime{T}"/>.</summary>
    /// <exception cref="ArgumentException">x is not rank 3, or lengths has the wrong count or a value outside 1..T.</exception>
    public static Tensor<T> MaxOverTime<T>(Tensor<T> x, int[]? lengths = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (B, T_, H, len) = CheckPooling("MaxOverTime", x, lengths);
        var y = new Tensor<T>(B, H);                                       // [B, H]
        var argmax = new int[B * H];                                      // [B, H] winning step
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
            {
                int best = 0; T v = x.Data[(b * T_) * H + h];
                for (int t = 1; t < len[b]; t++)
                {
                    T c = x.Data[(b * T_ + t) * H + h];
                    if (c > v || (T.IsNaN(c) && !T.IsNaN(v))) { v = c; best = t; }  // NaN propagates, as in torch.max
                }
                y.Data[b * H + h] = v;
                argmax[b * H + h] = best;
            }
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("MaxOverTime", [x], () =>
            {
                if (y.Grad is not { } dy) return;
                var g = x.GradForAccumulation();
                for (int b = 0; b < B; b++)
                    for (int h = 0; h < H; h++) g[(b * T_ + argmax[b * H + h]) * H + h] += dy.Data[b * H + h];
            }, y);
        }
        return y;
    }

    /// <summary>Each sample's last valid step: <c>y[b] = x[b, len_b − 1]</c>. x is [B, T, H]; lengths as in
    /// <see cref="MeanOverTime{T}"/> (null = the last step T − 1 for every sample).</summary>
    /// <exception cref="ArgumentException">x is not rank 3, or lengths has the wrong count or a value outside 1..T.</exception>
    public static Tensor<T> LastValid<T>(Tensor<T> x, int[]? lengths = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (B, T_, H, len) = CheckPooling("LastValid", x, lengths);
        var y = new Tensor<T>(B, H);                                       // [B, H]
        for (int b = 0; b < B; b++) x.Data.Slice((b * T_ + len[b] - 1) * H, H).CopyTo(y.Data.Slice(b * H, H));
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("LastValid", [x], () =>
            {
                if (y.Grad is not { } dy) return;
                var g = x.GradForAccumulation();
                for (int b = 0; b < B; b++) Elementwise.AddInPlace(g.Slice((b * T_ + len[b] - 1) * H, H), dy.Data.Slice(b * H, H));
            }, y);
        }
        return y;
    }

    private static (int B, int T, int H, int[] Lengths) CheckPooling<T>(string op, Tensor<T> x, int[]? lengths)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank != 3) throw new ArgumentException($"{op}: input {Tensor<T>.FormatShape(x.Shape)} is not [B, T, H].");
        int B = x.Dim(0), T_ = x.Dim(1), H = x.Dim(2);
        if (lengths is null)
        {
            if (T_ == 0) throw new ArgumentException($"{op}: input {Tensor<T>.FormatShape(x.Shape)} has no time steps.");
            lengths = new int[B];
            Array.Fill(lengths, T_);
            return (B, T_, H, lengths);
        }
        if (lengths.Length != B) throw new ArgumentException($"{op}: {lengths.Length} lengths for a batch of {B} (input {Tensor<T>.FormatShape(x.Shape)}).");
        for (int b = 0; b < B; b++)
            if (lengths[b] < 1 || lengths[b] > T_)
                throw new ArgumentException($"{op}: length {lengths[b]} of sample {b} is outside 1..{T_} (input {Tensor<T>.FormatShape(x.Shape)}).");
        return (B, T_, H, (int[])lengths.Clone());
    }
}
