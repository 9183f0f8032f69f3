// Element-wise losses: mean squared error and binary cross-entropy on logits (numerically stable).
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary><c>loss = reduce((input − target)²)</c> (PyTorch's F.mse_loss). Shapes must be equal.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor<T> MseLoss<T>(Tensor<T> input, Tensor<T> target, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!input.SameShape(target.Shape))
            throw new ArgumentException($"MseLoss: input {Tensor<T>.FormatShape(input.Shape)} and target {Tensor<T>.FormatShape(target.Shape)} differ.");
        var x = input.Data; var t = target.Data;
        var per = new T[x.Length];
        for (int i = 0; i < per.Length; i++) { T d = x[i] - t[i]; per[i] = d * d; }
        var y = ReduceLoss(per, input.Shape, reduction);
        if (Graph.ShouldRecord(input, target))
        {
            Graph.Record("MseLoss", [input, target], () =>
            {
                if (y.Grad is not { } dy) return;
                // l_i = (x_i − t_i)²  ⇒  dx_i = 2(x_i − t_i)·g_i, dt_i = −dx_i
                int n = per.Length;
                Span<T> gi = new T[n];
                for (int i = 0; i < n; i++) gi[i] = T.CreateChecked(2) * (input.Data[i] - target.Data[i]) * LossUpstream(dy, i, n, reduction);
                if (input.RequiresGrad) Kernels.Elementwise.AddInPlace<T>(input.GradForAccumulation(), gi);
                if (target.RequiresGrad) Kernels.Elementwise.AddScaledInPlace<T>(target.GradForAccumulation(), gi, -T.One);
            }, y);
        }
        return y;
    }

    /// <summary>
    /// Binary cross-entropy on logits (PyTorch's F.binary_cross_entropy_with_logits):
    /// <c>l = (1 − y)·x + (1 + (p − 1)·y)·softplus(−x)</c> with p = <paramref name="posWeight"/> ([C], broadcast over
    /// the last dimension; 1 when null), computed as <c>log(1 + e^(−|x|)) + max(−x, 0)</c> so large |x| never overflows.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ, or posWeight is not [last dimension].</exception>
    public static Tensor<T> BceWithLogits<T>(Tensor<T> logits, Tensor<T> targets, Reduction reduction = Reduction.Mean, Tensor<T>? posWeight = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!logits.SameShape(targets.Shape))
            throw new ArgumentException($"BceWithLogits: logits {Tensor<T>.FormatShape(logits.Shape)} and targets {Tensor<T>.FormatShape(targets.Shape)} differ.");
        int C = logits.Rank == 0 ? 1 : logits.Dim(-1);
        if (posWeight is not null && (posWeight.Rank != 1 || posWeight.Length != C))
            throw new ArgumentException($"BceWithLogits: posWeight {Tensor<T>.FormatShape(posWeight.Shape)} does not fit logits {Tensor<T>.FormatShape(logits.Shape)}.");
        int n = logits.Length;
        var x = logits.Data; var t = targets.Data;
        var per = new T[n];
        var sp = new T[n];                                               // softplus(−x), kept for backward
        for (int i = 0; i < n; i++)
        {
            sp[i] = T.Log(T.One + T.Exp(-T.Abs(x[i]))) + T.Max(-x[i], T.Zero);
            T lw = posWeight is null ? T.One : T.One + (posWeight.Data[i % C] - T.One) * t[i];
            per[i] = (T.One - t[i]) * x[i] + lw * sp[i];
        }
        var y = ReduceLoss(per, logits.Shape, reduction);
        if (Graph.ShouldRecord(logits, targets, posWeight))
        {
            Graph.Record("BceWithLogits", [logits, targets, posWeight], () =>
            {
                if (y.Grad is not { } dy) return;
                var xs = logits.Data; var ts = targets.Data;
                for (int i = 0; i < n; i++)
                {
                    T g = LossUpstream(dy, i, n, reduction);
                    T p = posWeight is null ? T.One : posWeight.Data[i % C];
                    T lw = T.One + (p - T.One) * ts[i];
                    // d softplus(−x)/dx = −σ(−x); 1/(1 + e^x) is finite for every x (0 for +∞, 1 for −∞)
                    T sigNeg = T.One / (T.One + T.Exp(xs[i]));
                    if (logits.RequiresGrad) logits.GradForAccumulation()[i] += g * ((T.One - ts[i]) - lw * sigNeg);
                    if (targets.RequiresGrad) targets.GradForAccumulation()[i] += g * (-xs[i] + (p - T.One) * sp[i]);
                    if (posWeight is { RequiresGrad: true }) posWeight.GradForAccumulation()[i % C] += g * ts[i] * sp[i];
                }
            }, y);
        }
        return y;
    }

    // Per-element losses → the requested reduction (None keeps the input's shape).
    private static Tensor<T> ReduceLoss<T>(T[] per, ReadOnlySpan<int> shape, Reduction reduction) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (reduction == Reduction.None) return new Tensor<T>(per, shape.ToArray());
        T sum = T.Zero;
        foreach (var v in per) sum += v;
        var y = new Tensor<T>(Array.Empty<int>());
        y.Data[0] = reduction == Reduction.Sum ? sum : sum / T.CreateChecked(per.Length);
        return y;
    }

    // d reduced / d per[i] times the upstream gradient.
    private static T LossUpstream<T>(Tensor<T> dy, int i, int n, Reduction reduction) where T : unmanaged, IFloatingPointIeee754<T>
        => reduction switch
        {
            Reduction.None => dy.Data[i],
            Reduction.Sum => dy.Data[0],
            _ => dy.Data[0] / T.CreateChecked(n),
        };
}
