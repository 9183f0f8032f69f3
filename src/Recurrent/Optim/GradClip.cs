// Gradient clipping (PyTorch's clip_grad_norm_ / clip_grad_value_): keeps exploding RNN gradients in bounds.
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Optim;

/// <summary>Clips gradients in place; parameters whose <c>Grad</c> is null are ignored.</summary>
public static class GradClip
{
    /// <summary>
    /// Scales all gradients by <c>min(1, maxNorm / (‖g‖ + 1e-6))</c> where ‖g‖ is the <paramref name="normType"/>-norm of
    /// all gradients together, and returns ‖g‖ measured BEFORE clipping. <c>maxNorm = +∞</c> only measures.
    /// </summary>
    /// <exception cref="ArgumentException">maxNorm is negative or NaN, or normType is not positive.</exception>
    public static double ClipGradNorm<T>(IEnumerable<Tensor<T>> parameters, double maxNorm, double normType = 2.0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(maxNorm >= 0)) throw new ArgumentException($"ClipGradNorm: invalid maxNorm {maxNorm} (must be ≥ 0).");
        if (!(normType > 0)) throw new ArgumentException($"ClipGradNorm: invalid normType {normType} (must be > 0 or +∞).");
        var grads = parameters.Select(p => p.Grad).OfType<Tensor<T>>().ToList();
        if (grads.Count == 0) return 0;
        double norm;
        if (normType == 2)
        {
            // The common case, vectorised and split across threads in fixed chunks (GradNormPass): Σ g² in double,
            // so the norm of millions of float gradients hardly depends on the summation order.
            norm = Math.Sqrt(GradNormPass<T>.SumOfSquares(grads.Select(g => g.Array).ToArray()));
        }
        else
        {
            double total = 0;
            foreach (var g in grads)
                foreach (var x in g.Data)
                {
                    double a = Math.Abs(double.CreateChecked(x));
                    if (double.IsPositiveInfinity(normType)) total = Math.Max(total, double.IsNaN(a) ? double.NaN : a);
                    else if (normType == 1) total += a;
                    else total += Math.Pow(a, normType);
                }
            norm = double.IsPositiveInfinity(normType) ? total : normType == 1 ? total : Math.Pow(total, 1 / normType);
        }
        if (double.IsPositiveInfinity(maxNorm)) return norm;
        double coef = Math.Min(maxNorm / (norm + 1e-6), 1.0);
        if (double.IsNaN(norm)) coef = double.NaN;                       // as PyTorch: a non-finite norm poisons the gradients visibly
        if (coef == 1.0) return norm;                                    // multiplying by exactly 1 changes nothing
        GradNormPass<T>.Scale(grads.Select(g => g.Array).ToArray(), T.CreateChecked(coef));
        return norm;
    }

    /// <summary>Clamps every gradient element to [−clipValue, clipValue].</summary>
    /// <exception cref="ArgumentException">clipValue is negative or NaN.</exception>
    public static void ClipGradValue<T>(IEnumerable<Tensor<T>> parameters, double clipValue) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(clipValue >= 0)) throw new ArgumentException($"ClipGradValue: invalid clipValue {clipValue} (must be ≥ 0).");
        T hi = T.CreateChecked(clipValue), lo = -hi;
        foreach (var p in parameters)
        {
            if (p.Grad is not { } g) continue;
            var d = g.Data;
            for (int i = 0; i < d.Length; i++) d[i] = T.Clamp(d[i], lo, hi);
        }
    }
}
