// Finite-difference gradient checks in double: loss = Σ_k Σ outputs[k] ⊙ R_k with random R,
// analytic gradients from Backprop.Run vs central differences, for every input element.
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Tests.Support;

public static class GradCheck
{
    /// <summary>
    /// Checks d loss / d input for every tensor in <paramref name="inputs"/> (they get RequiresGrad).
    /// <paramref name="forward"/> must be deterministic (e.g. dropout with a fixed, re-created RNG).
    /// </summary>
    public static void Check(Tensor<double>[] inputs, Func<Tensor<double>[]> forward, string what,
        double eps = 1e-6, double rtol = 1e-6, double atol = 1e-9, ulong seed = 1234)
    {
        foreach (var t in inputs) { t.RequiresGrad = true; t.Grad = null; }
        var outputs = forward();
        var rng = new Rng(seed);
        var weights = outputs.Select(o => Tensor<double>.Uniform(rng, -1.0, 1.0, o.Shape.ToArray())).ToArray();
        Backprop.Run(outputs, weights);

        double Loss()
        {
            var outs = forward();
            double sum = 0;
            for (int k = 0; k < outs.Length; k++)
            {
                var o = outs[k].Data; var w = weights[k].Data;
                for (int i = 0; i < o.Length; i++) sum += o[i] * w[i];
            }
            return sum;
        }

        using var _ = GradMode.Disable();
        for (int n = 0; n < inputs.Length; n++)
        {
            var x = inputs[n];
            var numeric = new double[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                double orig = x.Data[i];
                x.Data[i] = orig + eps; double plus = Loss();
                x.Data[i] = orig - eps; double minus = Loss();
                x.Data[i] = orig;
                numeric[i] = (plus - minus) / (2 * eps);
            }
            var analytic = x.Grad?.ToArray() ?? new double[x.Length];
            Tolerance.AssertCloseScaled(numeric, analytic, rtol, $"{what}: d loss / d {x.Name ?? $"input {n}"}", atol);
        }
    }
}
