// Language-model quality numbers: perplexity = exp(mean cross-entropy in nats), bits per token =
// mean cross-entropy / ln 2 (bits per character for a character model), and one epoch's record.
using System.Numerics;

namespace Recurrent.Training;

/// <summary>Conversions from mean cross-entropy (nats per token).</summary>
public static class LanguageModelMetrics
{
    /// <summary><c>exp(ce)</c>: the effective number of equally likely choices per token.</summary>
    public static double Perplexity(double meanCrossEntropy) => Math.Exp(meanCrossEntropy);

    /// <summary><c>ce / ln 2</c>: bits per token (per character for a character model).</summary>
    public static double BitsPerToken(double meanCrossEntropy) => meanCrossEntropy / Math.Log(2);

    /// <summary>Sum over rows of <c>−log softmax(logits[i])[targets[i]]</c>, accumulated in double.</summary>
    /// <param name="logits">[N, V] row-major</param>
    /// <param name="targets">[N] class indices in 0..V−1</param>
    /// <param name="vocab">V</param>
    /// <exception cref="ArgumentException">Sizes differ or a target is out of range.</exception>
    public static double CrossEntropySum<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, int vocab)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (vocab < 1 || logits.Length != (long)targets.Length * vocab)
            throw new ArgumentException($"CrossEntropySum: {logits.Length} logits for {targets.Length} targets of {vocab} classes.");
        double total = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            var row = logits.Slice(i * vocab, vocab);
            int t = targets[i];
            if ((uint)t >= (uint)vocab) throw new ArgumentException($"CrossEntropySum: target {t} at row {i} outside 0..{vocab - 1}.");
            double max = double.NegativeInfinity;
            foreach (T z in row) max = Math.Max(max, double.CreateChecked(z));
            double sum = 0;
            foreach (T z in row) sum += Math.Exp(double.CreateChecked(z) - max);
            total += max + Math.Log(sum) - double.CreateChecked(row[t]);  // logsumexp − z_t
        }
        return total;
    }
}

/// <summary>One epoch of training, as written to metrics.csv.</summary>
/// <param name="Epoch">1-based.</param>
/// <param name="TrainLoss">Mean training cross-entropy (nats), token-weighted over the epoch's minibatches.</param>
/// <param name="ValLoss">Mean validation cross-entropy over every validation target, or NaN without validation.</param>
/// <param name="TokensPerSecond">Training tokens / seconds in the training loop (validation excluded).</param>
/// <param name="Seconds">Seconds in the training loop.</param>
/// <param name="ValSeconds">Seconds spent evaluating.</param>
/// <param name="MeanGradNorm">Mean global gradient L2 norm before clipping.</param>
/// <param name="LearningRate">The learning rate of the epoch.</param>
/// <param name="Steps">Minibatches in the epoch.</param>
/// <param name="Tokens">Training tokens (targets) in the epoch.</param>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double ValLoss, double TokensPerSecond, double Seconds,
    double ValSeconds, double MeanGradNorm, double LearningRate, int Steps, long Tokens)
{
    public double TrainPerplexity => LanguageModelMetrics.Perplexity(TrainLoss);
    public double ValPerplexity => LanguageModelMetrics.Perplexity(ValLoss);
    public double TrainBits => LanguageModelMetrics.BitsPerToken(TrainLoss);
    public double ValBits => LanguageModelMetrics.BitsPerToken(ValLoss);
    public bool HasValidation => !double.IsNaN(ValLoss);
}
