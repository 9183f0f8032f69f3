// Choosing the next token from a model's logits: greedy (argmax), or sampling after temperature
// scaling, top-k and nucleus (top-p) filtering. Pure functions on spans; the model is elsewhere.
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Generation;

/// <summary>How the next token is chosen. <c>Temperature = 0</c> means greedy (argmax); otherwise the
/// logits are divided by the temperature, restricted to the <c>TopK</c> most likely tokens (0 = all) and
/// then to the smallest set whose probability reaches <c>TopP</c> (1 = all), renormalised and sampled.</summary>
public sealed record SamplingOptions(double Temperature = 0, int TopK = 0, double TopP = 1)
{
    /// <summary>Greedy decoding: always the most likely token.</summary>
    public static SamplingOptions Greedy { get; } = new();

    /// <summary>True when no randomness is involved.</summary>
    public bool IsGreedy => Temperature == 0;

    /// <summary>Checks the ranges; the message names the option as the CLI spells it.</summary>
    /// <exception cref="ArgumentException">Temperature negative or not finite, top-k negative, top-p outside (0, 1].</exception>
    public void Validate()
    {
        if (!double.IsFinite(Temperature) || Temperature < 0)
            throw new ArgumentException($"--temperature must be a finite number ≥ 0 (0 = greedy), got {Temperature}.");
        if (TopK < 0) throw new ArgumentException($"--top-k must be ≥ 0 (0 = no limit), got {TopK}.");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"--top-p must be in (0, 1], got {TopP}.");
    }
}

/// <summary>Next-token selection from logits.</summary>
public static class TokenSampler
{
    /// <summary>The index of the largest logit (the first one on ties; NaN never wins).</summary>
    /// <exception cref="ArgumentException">The logits are empty.</exception>
    public static int ArgMax<T>(ReadOnlySpan<T> logits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (logits.Length == 0) throw new ArgumentException("ArgMax: no logits.");
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best] || T.IsNaN(logits[best])) best = i;
        return best;
    }

    /// <summary>The distribution the sampler draws from: softmax(logits / temperature), restricted by
    /// top-k then top-p and renormalised. Greedy options give a one-hot distribution at the argmax.</summary>
    /// <param name="logits">[V] unnormalised log-probabilities</param>
    /// <param name="options">temperature, top-k, top-p</param>
    /// <param name="probabilities">[V] output; zero for tokens that cannot be drawn</param>
    /// <exception cref="ArgumentException">Lengths differ, options out of range, or every logit is NaN/−∞.</exception>
    public static void Distribution<T>(ReadOnlySpan<T> logits, SamplingOptions options, Span<double> probabilities)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        options.Validate();
        int v = logits.Length;
        if (v == 0 || probabilities.Length != v)
            throw new ArgumentException($"Distribution: {v} logits but {probabilities.Length} probabilities.");
        probabilities.Clear();
        if (options.IsGreedy)
        {
            probabilities[ArgMax(logits)] = 1;
            return;
        }

        // softmax(logits / τ), shifted by the maximum so exp never overflows.
        double max = double.NegativeInfinity;
        for (int i = 0; i < v; i++)
        {
            double z = double.CreateChecked(logits[i]);
            if (!double.IsNaN(z) && z > max) max = z;
        }
        if (double.IsNegativeInfinity(max) || double.IsNaN(max)) throw new ArgumentException("Distribution: every logit is NaN or −∞.");
        if (double.IsPositiveInfinity(max))
        {
            // +∞ logits dominate everything else: share the mass among them.
            for (int i = 0; i < v; i++) probabilities[i] = double.IsPositiveInfinity(double.CreateChecked(logits[i])) ? 1 : 0;
            Normalise(probabilities);
            return;
        }
        for (int i = 0; i < v; i++)
        {
            double z = double.CreateChecked(logits[i]);
            probabilities[i] = double.IsNaN(z) ? 0 : Math.Exp((z - max) / options.Temperature);
        }
        Normalise(probabilities);

        if ((options.TopK > 0 && options.TopK < v) || options.TopP < 1)
        {
            // Token indices by probability descending, index ascending on ties (deterministic).
            var order = new int[v];
            for (int i = 0; i < v; i++) order[i] = i;
            var probs = probabilities.ToArray();
            Array.Sort(order, (a, b) => probs[a] != probs[b] ? probs[b].CompareTo(probs[a]) : a.CompareTo(b));
            int keep = options.TopK > 0 ? Math.Min(options.TopK, v) : v;
            if (options.TopP < 1)
            {
                // Nucleus inside the top-k set: the smallest prefix whose renormalised mass reaches p.
                double kept = 0;
                for (int r = 0; r < keep; r++) kept += probs[order[r]];
                double cumulative = 0;
                int nucleus = keep;
                for (int r = 0; r < keep; r++)
                {
                    cumulative += probs[order[r]] / kept;
                    if (cumulative >= options.TopP - 1e-12) { nucleus = r + 1; break; }
                }
                keep = nucleus;
            }
            for (int r = keep; r < v; r++) probabilities[order[r]] = 0;
            Normalise(probabilities);
        }
    }

    /// <summary>Draws the next token: argmax for greedy options, otherwise one uniform number from
    /// <paramref name="rng"/> walked along the cumulative <see cref="Distribution{T}"/> in index order.</summary>
    public static int Sample<T>(ReadOnlySpan<T> logits, SamplingOptions options, Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (options.IsGreedy)
        {
            options.Validate();
            return ArgMax(logits);
        }
        Span<double> p = logits.Length <= 1024 ? stackalloc double[logits.Length] : new double[logits.Length];
        Distribution(logits, options, p);
        double u = rng.NextDouble(), cumulative = 0;
        int last = -1;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] <= 0) continue;
            last = i;
            cumulative += p[i];
            if (u < cumulative) return i;
        }
        return last;                                          // u within rounding of 1
    }

    private static void Normalise(Span<double> p)
    {
        double sum = 0;
        foreach (double x in p) sum += x;
        for (int i = 0; i < p.Length; i++) p[i] /= sum;
    }
}
