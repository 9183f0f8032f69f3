// What the recurrent weights of a stack do to a vector, gate block by gate block: spectral radius and
// largest singular value of each [H, H] block of W_hh, and the largest singular value of the whole
// stacked [G·H, H] matrix. Also the --init-scale knob that makes a fresh network explode.
using System.Numerics;
using Recurrent.Nn;

namespace Recurrent.Diagnostics;

/// <summary>One [H, H] block of a recurrent weight (or the whole stacked matrix when <see cref="Gate"/> is "all").</summary>
/// <param name="Parameter">PyTorch name, e.g. <c>weight_hh_l0</c>.</param>
/// <param name="Gate">Gate of the block: h (RNN); i, f, g, o (LSTM); r, z, n (GRU); "all" for the stacked matrix.</param>
/// <param name="SpectralRadius">max |λ| (NaN for the non-square stacked matrix of a gated cell).</param>
/// <param name="LargestSingularValue">σ_max = ‖W‖₂.</param>
public sealed record RecurrentWeightBlock(string Parameter, string Gate, double SpectralRadius, double LargestSingularValue);

/// <summary>Spectra of the recurrent weights of a <see cref="RecurrentStack{T}"/>.</summary>
public static class RecurrentWeightReport
{
    /// <summary>The gate names of <paramref name="mode"/> in PyTorch's order.</summary>
    public static string[] GateNames(RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => ["i", "f", "g", "o"],
        RecurrentMode.Gru => ["r", "z", "n"],
        _ => ["h"],
    };

    /// <summary>One entry per gate block of every W_hh, plus one "all" entry per W_hh of a gated cell.</summary>
    public static List<RecurrentWeightBlock> Analyze<T>(RecurrentStack<T> stack) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stack);
        var gates = GateNames(stack.Mode);
        int H = stack.HiddenSize;
        var report = new List<RecurrentWeightBlock>();
        foreach (var (name, w) in stack.NamedParameters())
        {
            if (!name.StartsWith("weight_hh", StringComparison.Ordinal)) continue;
            for (int g = 0; g < gates.Length; g++)
            {
                var block = w.Data.Slice(g * H * H, H * H);                    // rows g·H … (g+1)·H − 1: [H, H]
                report.Add(new RecurrentWeightBlock(name, gates[g],
                    MatrixSpectrum.SpectralRadius<T>(block, H),
                    MatrixSpectrum.LargestSingularValue<T>(block, H, H)));
            }
            if (gates.Length > 1)
                report.Add(new RecurrentWeightBlock(name, "all", double.NaN, MatrixSpectrum.LargestSingularValue<T>(w.Data, gates.Length * H, H)));
        }
        return report;
    }

    /// <summary>Multiplies every recurrent weight W_hh of the stack by <paramref name="factor"/> (input weights
    /// and biases unchanged). A factor well above 1/ρ(W_hh) puts a vanilla RNN into the chaotic regime
    /// where gradients explode.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The factor is not finite.</exception>
    public static void ScaleRecurrentWeights<T>(RecurrentStack<T> stack, double factor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stack);
        if (!double.IsFinite(factor)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "the init scale must be a finite number.");
        T f = T.CreateChecked(factor);
        foreach (var (name, w) in stack.NamedParameters())
        {
            if (!name.StartsWith("weight_hh", StringComparison.Ordinal)) continue;
            foreach (ref T v in w.Data) v *= f;
        }
    }
}
