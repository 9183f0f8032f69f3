// Cross-entropy of logits against class indices (PyTorch's F.cross_entropy with class dimension last).
// N = rows (product of the leading dimensions of the logits), C = classes.
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary>
    /// <c>loss_i = −w_i · log softmax(logits_i)[target_i]</c> with <c>w_i = classWeights[target_i] · mask_i</c>
    /// (each factor 1 when absent) and <c>w_i = 0</c> when <c>target_i == ignoreIndex</c>.
    /// Mean divides by <c>Σ w_i</c> (PyTorch's weighted mean; NaN when every row is ignored, as in PyTorch,
    /// with zero gradient). Logits are [N, C] or [..., C] (classes last); targets hold N values.
    /// <see cref="Reduction.None"/> returns the N weighted per-row losses in the logits' leading shape.
    /// </summary>
    /// <exception cref="ArgumentException">A target is outside 0..C−1 and not ignoreIndex, or a count/shape differs; the message names it.</exception>
    public static Tensor<T> CrossEntropy<T>(Tensor<T> logits, int[] targets, int ignoreIndex = -100, T[]? mask = null,
        Reduction reduction = Reduction.Mean, T[]? classWeights = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (logits.Rank < 2) throw new ArgumentException($"CrossEntropy: logits {Tensor<T>.FormatShape(logits.Shape)} are not [N, C].");
        int C = logits.Dim(-1);
        int N = LeadingRows(logits);
        if (targets.Length != N)
            throw new ArgumentException($"CrossEntropy: {targets.Length} targets for logits {Tensor<T>.FormatShape(logits.Shape)} ({N} rows).");
        if (mask is not null && mask.Length != N)
            throw new ArgumentException($"CrossEntropy: mask has {mask.Length} values for {N} rows.");
        if (classWeights is not null && classWeights.Length != C)
            throw new ArgumentException($"CrossEntropy: {classWeights.Length} class weights for {C} classes.");

        var w = new T[N];                                                // [N] row weights (0 = not counted)
        for (int i = 0; i < N; i++)
        {
            int t = targets[i];
            if (t == ignoreIndex) continue;
            if ((uint)t >= (uint)C)
                throw new ArgumentException($"CrossEntropy: target {t} at row {i} is out of range for {C} classes (valid 0..{C - 1}, or ignoreIndex {ignoreIndex}).");
            w[i] = (classWeights is null ? T.One : classWeights[t]) * (mask is null ? T.One : mask[i]);
        }
        var tgt = (int[])targets.Clone();
        var logp = new T[C];
        var prob = new T[N * C];                                         // [N, C] softmax, kept for backward
        var perRow = new T[N];                                           // [N] weighted losses
        T total = T.Zero, wsum = T.Zero;
        bool split = Kernels.Parallelism.Threads > 1 && (long)N * C >= CrossEntropySplitElements;
        if (split)
        {
            // Rows are independent: their softmax and loss on two threads, then the same sum in row order here, so the
            // result does not depend on the split (a language model's [2048, 28] logits: ~1.0 → 0.8 ms per step).
            var body = new CrossEntropyRows<T>(logits.Array, C, N, w, tgt, prob, perRow, backward: false, null, T.Zero, reduction, null);
            Kernels.Parallelism.Run(2, ref body);
        }
        for (int i = 0; i < N; i++)
        {
            if (!split)
            {
                var row = logits.Data.Slice(i * C, C);
                SoftmaxRow<T>(row, logp, log: true);
                for (int j = 0; j < C; j++) prob[i * C + j] = T.Exp(logp[j]);
                if (w[i] == T.Zero) continue;                            // ignored row: contributes exactly 0 (even if logits are inf)
                perRow[i] = -w[i] * logp[tgt[i]];
            }
            else if (w[i] == T.Zero) continue;
            total += perRow[i];
            wsum += w[i];
        }

        Tensor<T> y;
        if (reduction == Reduction.None) y = new Tensor<T>(perRow, logits.Shape[..^1].ToArray());
        else
        {
            y = new Tensor<T>(Array.Empty<int>());
            y.Data[0] = reduction == Reduction.Sum ? total : total / wsum;
        }

        if (Graph.ShouldRecord(logits))
        {
            Graph.Record("CrossEntropy", [logits], () =>
            {
                if (y.Grad is not { } dy) return;
                // loss_i = −w_i·log p_i[t_i]  ⇒  dlogits_i = g_i·w_i·(p_i − onehot(t_i)), g_i the upstream factor
                var g = logits.GradForAccumulation();
                if (split)
                {
                    var body = new CrossEntropyRows<T>(logits.Array, C, N, w, tgt, prob, perRow, backward: true, logits.Grad!.Array, wsum, reduction, dy.Array);
                    Kernels.Parallelism.Run(2, ref body);
                    return;
                }
                for (int i = 0; i < N; i++)
                {
                    if (w[i] == T.Zero) continue;
                    T gi = reduction switch
                    {
                        Reduction.None => dy.Data[i],
                        Reduction.Sum => dy.Data[0],
                        _ => dy.Data[0] / wsum,
                    } * w[i];
                    for (int j = 0; j < C; j++) g[i * C + j] += gi * prob[i * C + j];
                    g[i * C + tgt[i]] -= gi;
                }
            }, y);
        }
        return y;
    }

    /// <summary>Logit elements (N·C) from which the cross-entropy runs its rows on two threads.</summary>
    internal const long CrossEntropySplitElements = 16_384;
}

/// <summary>The per-row work of <see cref="Op.CrossEntropy{T}"/> for a block of rows (forward: softmax, probabilities and
/// weighted loss per row; backward: the logits' gradient rows), each row exactly as the one-thread loop computes it.</summary>
internal readonly struct CrossEntropyRows<T>(T[] logits, int C, int N, T[] w, int[] tgt, T[] prob, T[] perRow, bool backward,
    T[]? g, T wsum, Reduction reduction, T[]? dy) : Kernels.IParallelBody where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(int part, int parts)
    {
        int r0 = (int)((long)N * part / parts), r1 = (int)((long)N * (part + 1) / parts);
        if (!backward)
        {
            var logp = new T[C];
            for (int i = r0; i < r1; i++)
            {
                Op.SoftmaxRow<T>(logits.AsSpan(i * C, C), logp, log: true);
                for (int j = 0; j < C; j++) prob[i * C + j] = T.Exp(logp[j]);
                if (w[i] == T.Zero) continue;
                perRow[i] = -w[i] * logp[tgt[i]];
            }
            return;
        }
        for (int i = r0; i < r1; i++)
        {
            if (w[i] == T.Zero) continue;
            T gi = reduction switch
            {
                Reduction.None => dy![i],
                Reduction.Sum => dy![0],
                _ => dy![0] / wsum,
            } * w[i];
            for (int j = 0; j < C; j++) g![i * C + j] += gi * prob[i * C + j];
            g![i * C + tgt[i]] -= gi;
        }
    }
}
