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
        var parameters = model.Parameters().ToList();
        var adam = new Adam<T>(parameters, options.LearningRate, weightDecay: options.WeightDecay);
        int batches = (train.Count + options.BatchSize - 1) / options.BatchSize;
        long totalSteps = (long)batches * options.Epochs, step = 0;
        var order = Enumerable.Range(0, train.Count).ToArray();
        var history = new List<EpochReport>();
        ParameterSnapshot<T>? best = null;
        (double Acc, double Loss) bestScore = (double.NegativeInfinity, double.PositiveInfinity);
        int sinceBest = 0;
        try
        {
            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                adam.LearningRate = options.LearningRateAt(epoch);
                model.Train();
                rng.Shuffle<int>(order);
                double lossSum = 0, normSum = 0;
                for (int b = 0; b < batches; b++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    var idx = order.AsSpan(b * options.BatchSize, Math.Min(options.BatchSize, train.Count - b * options.BatchSize));
                    var batch = train.Batch(idx, padId);
                    var targets = new int[idx.Length];
                    for (int i = 0; i < targets.Length; i++) targets[i] = train.Labels[idx[i]];
                    adam.ZeroGrad();
                    var loss = Op.CrossEntropy(model.Forward(batch), targets, classWeights: weights);
                    loss.Backward();
                    normSum += options.ClipNorm > 0 ? GradClip.ClipGradNorm(parameters, options.ClipNorm) : 0;
                    adam.Step();
                    double l = double.CreateChecked(loss.Item());
                    if (!double.IsFinite(l))
                        throw new InvalidOperationException($"training diverged: loss is {l} at epoch {epoch}, batch {b + 1}; lower --lr or --clip.");
                    lossSum += l;
                    onStep?.Invoke(++step, totalSteps, l);
                }
                double valLoss = double.NaN, valAcc = double.NaN;
                if (validation is { Count: > 0 })
                {
                    var (pred, lossV) = Predict(model, validation, padId, weights);
                    valLoss = lossV;
                    valAcc = ClassificationMetrics.Accuracy(validation.Labels, pred);
                }
                var score = double.IsNaN(valAcc) ? (0.0, lossSum / batches) : (valAcc, valLoss);
                bool isBest = score.Item1 > bestScore.Acc || (score.Item1 == bestScore.Acc && score.Item2 < bestScore.Loss);
                if (isBest) { bestScore = score; best = new ParameterSnapshot<T>(model); sinceBest = 0; }
                else sinceBest++;
                var report = new EpochReport(epoch, options.Epochs, lossSum / batches, valLoss, valAcc, normSum / batches, clock.Elapsed.TotalSeconds, isBest);
                history.Add(report);
                onEpoch?.Invoke(report);
                if (options.Patience > 0 && sinceBest >= options.Patience) break;
            }
        }
        finally
        {
            best?.Restore(model);
            model.Eval();
        }
        return history;
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
