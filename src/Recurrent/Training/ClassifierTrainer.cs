// The classification loop: shuffled minibatches of token sequences padded to the longest in the
// batch (with lengths, so padding is invisible), weighted cross-entropy, Adam, clipping, and the
// weights of the epoch with the best validation accuracy kept.
using System.Diagnostics;
using System.Numerics;
using Recurrent.Data;
using Recurrent.Models;
using Recurrent.Ops;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Training;

/// <summary>Labelled token sequences.</summary>
public sealed record LabelledSequences(IReadOnlyList<int[]> Sequences, int[] Labels)
{
    /// <summary>Number of examples.</summary>
    public int Count => Labels.Length;

    /// <summary>The padded batch of the examples at <paramref name="indices"/>.</summary>
    public PaddedBatch Batch(ReadOnlySpan<int> indices, int padId)
    {
        var seqs = new int[indices.Length][];
        for (int i = 0; i < seqs.Length; i++) seqs[i] = Sequences[indices[i]];
        return PaddedBatch.Create(seqs, padId);
    }
}

/// <summary>Trains and evaluates a <see cref="TextClassifierModel{T}"/>.</summary>
public static class ClassifierTrainer
{
    /// <summary>Trains in place and leaves the model holding the weights of the epoch with the best validation
    /// accuracy (ties: lower validation loss; the last epoch when there is no validation set).</summary>
    /// <param name="model">the model</param>
    /// <param name="train">training examples (at least one)</param>
    /// <param name="validation">validation examples, or null/empty</param>
    /// <param name="padId">the padding id</param>
    /// <param name="classWeights">per-class loss weights (null = all 1)</param>
    /// <param name="options">loop settings</param>
    /// <param name="rng">the run's random source (shuffling)</param>
    /// <param name="onEpoch">called after every epoch</param>
    /// <param name="onStep">called after every minibatch with (step, total steps, loss)</param>
    /// <param name="cancellation">checked between minibatches</param>
    /// <returns>one report per epoch run</returns>
    public static List<EpochReport> Train<T>(TextClassifierModel<T> model, LabelledSequences train, LabelledSequences? validation, int padId,
        double[]? classWeights, TrainingOptions options, Rng rng, Action<EpochReport>? onEpoch = null, Action<long, long, double>? onStep = null,
        CancellationToken cancellation = default) where T : unmanaged, IFloatingPointIeee754<T>
    {
        options.Validate();
        if (train.Count == 0) throw new ArgumentException("no training examples.");
        var weights = classWeights?.Select(T.CreateChecked).ToArray();
        return SupervisedLoop.Run(model, train.Count, options, rng,
            loss: indices =>
            {
                var batch = train.Batch(indices, padId);
                var targets = new int[indices.Length];
                for (int i = 0; i < targets.Length; i++) targets[i] = train.Labels[indices[i]];
                return Op.CrossEntropy(model.Forward(batch), targets, classWeights: weights);
            },
            // Ranked by validation accuracy, ties broken by the lower validation loss; by the training loss without validation data.
            score: trainLoss =>
            {
                if (validation is not { Count: > 0 }) return new EpochScore(double.NaN, double.NaN, 0, -trainLoss);
                var (pred, valLoss) = Predict(model, validation, padId, weights);
                double valAcc = ClassificationMetrics.Accuracy(validation.Labels, pred);
                return new EpochScore(valLoss, valAcc, valAcc, -valLoss);
            },
            onEpoch, onStep, cancellation);
    }

    /// <summary>Predicted classes and the mean (weighted) cross-entropy on a set, in batches of 256.</summary>
    public static (int[] Predictions, double Loss) Predict<T>(TextClassifierModel<T> model, LabelledSequences data, int padId, T[]? classWeights = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var pred = new int[data.Count];
        double lossSum = 0, weightSum = 0;
        const int chunk = 256;
        for (int start = 0; start < data.Count; start += chunk)
        {
            var idx = Enumerable.Range(start, Math.Min(chunk, data.Count - start)).ToArray();
            var probs = model.PredictProbabilities(data.Batch(idx, padId));
            for (int i = 0; i < idx.Length; i++)
            {
                var p = probs[i];
                int arg = 0;
                for (int c = 1; c < p.Length; c++) if (p[c] > p[arg]) arg = c;
                pred[idx[i]] = arg;
                int y = data.Labels[idx[i]];
                double w = classWeights is null ? 1 : double.CreateChecked(classWeights[y]);
                lossSum += -w * Math.Log(Math.Max(p[y], 1e-300));
                weightSum += w;
            }
        }
        return (pred, weightSum > 0 ? lossSum / weightSum : double.NaN);
    }
}
