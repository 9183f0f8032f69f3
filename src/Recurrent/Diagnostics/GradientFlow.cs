// How far back in time a loss at the last step still reaches: ‖∂L/∂h_t‖ for every step t. The stack is
// run one step at a time (each step through the same fused layer op as training), so every h_t is a
// tensor of the graph and one backward pass fills all of their gradients.
// Letters: B batch, T steps, I input size, H hidden size, L layers.
using System.Numerics;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Diagnostics;

/// <summary>The gradient of a last-step loss with respect to each hidden state of the top layer.</summary>
/// <param name="Loss">The loss value.</param>
/// <param name="HiddenGradNorms">‖∂L/∂h_t‖ (Frobenius norm over the batch) for t = 0…T, where h_0 is the
/// initial state and h_t the state after t inputs; entry T is the gradient at the loss itself.</param>
/// <param name="CellGradNorms">‖∂L/∂c_t‖ for the LSTM's cell state, t = 0…T; null for other cells.</param>
public sealed record GradientFlowResult(double Loss, double[] HiddenGradNorms, double[]? CellGradNorms)
{
    /// <summary>T, the number of input steps.</summary>
    public int Steps => HiddenGradNorms.Length - 1;

    /// <summary>‖∂L/∂h_{T−k}‖: the gradient norm <paramref name="k"/> steps before the loss.</summary>
    public double StepsBack(int k) => HiddenGradNorms[Steps - k];

    /// <summary>The factor by which the norm changes per step back in time, <c>exp(slope)</c> of a least-squares
    /// line through ln‖∂L/∂h_{T−k}‖ for k = <paramref name="fromK"/>…<paramref name="toK"/> (zero norms, which
    /// have underflowed, are left out). Below 1: vanishing; above 1: exploding. NaN with fewer than 2 points.</summary>
    public double FactorPerStep(int fromK = 1, int? toK = null)
    {
        int last = Math.Min(toK ?? Steps, Steps);
        double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int k = Math.Max(0, fromK); k <= last; k++)
        {
            double g = StepsBack(k);
            if (!(g > 0) || !double.IsFinite(g)) continue;
            double y = Math.Log(g);
            n++; sx += k; sy += y; sxx += (double)k * k; sxy += k * y;
        }
        double den = n * sxx - sx * sx;
        return n < 2 || den == 0 ? double.NaN : Math.Exp((n * sxy - sx * sy) / den);
    }
}

/// <summary>Measures <see cref="GradientFlowResult"/> for a unidirectional <see cref="RecurrentStack{T}"/>.</summary>
public static class GradientFlow
{
    /// <summary>
    /// Runs <paramref name="stack"/> over <paramref name="x"/> [B, T, I] step by step from zero states, applies
    /// <paramref name="lastStepLoss"/> to the top layer's output at the last step ([B, H] → scalar) and
    /// back-propagates once. For a multi-layer stack the norms are those of the top layer's states (the
    /// lower layers' states also reach the loss through the layers above within a step, inside the fused op).
    /// Parameter gradients are accumulated as in any backward pass.
    /// </summary>
    /// <exception cref="ArgumentException">The stack is bidirectional, x does not fit it, or the loss is not a scalar.</exception>
    public static GradientFlowResult Measure<T>(RecurrentStack<T> stack, Tensor<T> x, Func<Tensor<T>, Tensor<T>> lastStepLoss)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(lastStepLoss);
        if (stack.Bidirectional)
            throw new ArgumentException("gradient flow: a bidirectional stack has no single 'earlier step'; use a unidirectional one.");
        if (x.Rank != 3 || x.Dim(2) != stack.InputSize || x.Dim(1) < 1 || x.Dim(0) < 1)
            throw new ArgumentException($"gradient flow: input {Tensor<T>.FormatShape(x.Shape)} must be [B ≥ 1, T ≥ 1, {stack.InputSize}].");
        int B = x.Dim(0), T_ = x.Dim(1), I = x.Dim(2), L = stack.NumLayers, H = stack.HiddenSize;
        bool lstm = stack.Mode == RecurrentMode.Lstm;

        // h_0 (and c_0) are leaves that require grad, so their gradients are recorded too.
        var h = new Tensor<T>(L, B, H) { RequiresGrad = true };             // [L, B, H]
        Tensor<T>? c = lstm ? new Tensor<T>(L, B, H) { RequiresGrad = true } : null;
        var hs = new List<Tensor<T>> { h };
        var cs = new List<Tensor<T>?> { c };
        Tensor<T>? lastOutput = null;
        for (int t = 0; t < T_; t++)
        {
            var xt = new Tensor<T>(B, 1, I);                                  // [B, 1, I], a constant
            for (int b = 0; b < B; b++) x.Data.Slice((b * T_ + t) * I, I).CopyTo(xt.Data.Slice(b * I, I));
            var r = stack.Forward(xt, h, c);
            h = r.HN;
            c = r.CN;
            hs.Add(h);
            cs.Add(c);
            lastOutput = r.Output;                                            // [B, 1, H]
        }

        var top = Op.SelectTime(lastOutput!, 0);                              // [B, H] = h_T of the top layer
        var loss = lastStepLoss(top);
        if (loss.Length != 1) throw new ArgumentException($"gradient flow: the loss has shape {Tensor<T>.FormatShape(loss.Shape)}, expected a scalar.");
        loss.Backward();

        var hNorms = new double[T_ + 1];
        var cNorms = lstm ? new double[T_ + 1] : null;
        int topSlice = (L - 1) * B * H;
        for (int t = 0; t < T_; t++)
        {
            hNorms[t] = SliceNorm(hs[t].Grad, topSlice, B * H);
            if (cNorms is not null) cNorms[t] = SliceNorm(cs[t]!.Grad, topSlice, B * H);
        }
        // At t = T the loss reads the output, not h_T (an identical copy that is not used further).
        hNorms[T_] = SliceNorm(top.Grad, 0, B * H);
        if (cNorms is not null) cNorms[T_] = SliceNorm(cs[T_]!.Grad, topSlice, B * H);
        return new GradientFlowResult(double.CreateChecked(loss.Item()), hNorms, cNorms);
    }

    private static double SliceNorm<T>(Tensor<T>? grad, int offset, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (grad is null) return 0;
        double s = 0;
        foreach (var v in grad.Data.Slice(offset, length))
        {
            double d = double.CreateChecked(v);
            s += d * d;
        }
        return Math.Sqrt(s);
    }
}
