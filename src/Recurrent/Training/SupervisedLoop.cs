// The epoch loop shared by the supervised trainers (forecasting, classification): shuffled minibatches of
// example indices, Adam, gradient-norm clipping, a divergence check, an optional moving average of the
// weights, the weights of the best epoch kept, and early stopping. What differs between the tasks — how a
// minibatch becomes a loss and how an epoch is scored — comes in as two delegates.
using System.Diagnostics;
using System.Numerics;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Training;

/// <summary>The scalar training loss of the minibatch made of the examples at <paramref name="indices"/>.</summary>
public delegate Tensor<T> MinibatchLoss<T>(ReadOnlySpan<int> indices) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>How one epoch scored: the validation loss and score to report (NaN without validation data) and
/// the ranking key, compared as (<paramref name="Primary"/>, <paramref name="Secondary"/>) — higher is better;
/// an epoch is kept only when its key is strictly better than the best so far.</summary>
public readonly record struct EpochScore(double ValidationLoss, double ValidationScore, double Primary, double Secondary = 0);

/// <summary>Runs <see cref="TrainingOptions"/> over a model and a set of examples.</summary>
public static class SupervisedLoop
{
    /// <summary>Trains <paramref name="model"/> in place for <c>options.Epochs</c> epochs (fewer with early
    /// stopping) and leaves it holding the weights of the best-scored epoch, in evaluation mode — also when
    /// cancelled or when an exception ends the run.</summary>
    /// <param name="model">the model (its parameters are what Adam updates)</param>
    /// <param name="examples">number of training examples (at least one)</param>
    /// <param name="options">loop settings</param>
    /// <param name="rng">the run's random source (the shuffle of every epoch)</param>
    /// <param name="loss">the loss of one minibatch</param>
    /// <param name="score">scores the epoch from the mean training loss, with the weights that would be kept
    /// (the averaged ones when averaging is on)</param>
    /// <param name="onEpoch">called after every epoch</param>
    /// <param name="onStep">called after every minibatch with (step, total steps, loss)</param>
    /// <param name="cancellation">checked between minibatches</param>
    /// <returns>one report per epoch run</returns>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite (the message names epoch and batch).</exception>
    public static List<EpochReport> Run<T>(Module<T> model, int examples, TrainingOptions options, Rng rng,
        MinibatchLoss<T> loss, Func<double, EpochScore> score, Action<EpochReport>? onEpoch = null,
        Action<long, long, double>? onStep = null, CancellationToken cancellation = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 1);
        var parameters = model.Parameters().ToList();
        var adam = new Adam<T>(parameters, options.LearningRate, weightDecay: options.WeightDecay);
        int batches = (examples + options.BatchSize - 1) / options.BatchSize;
        long totalSteps = (long)batches * options.Epochs, step = 0;
        var order = Enumerable.Range(0, examples).ToArray();
        var history = new List<EpochReport>();
        ParameterSnapshot<T>? best = null;
        (double Primary, double Secondary) bestKey = (double.NegativeInfinity, double.NegativeInfinity);
        int sinceBest = 0;
        var average = options.AverageDecay > 0 ? new ParameterAverage<T>(model, options.AverageDecay) : null;
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
                    var indices = order.AsSpan(b * options.BatchSize, Math.Min(options.BatchSize, examples - b * options.BatchSize));
                    adam.ZeroGrad();
                    var batchLoss = loss(indices);
                    batchLoss.Backward();
                    normSum += options.ClipNorm > 0 ? GradClip.ClipGradNorm(parameters, options.ClipNorm) : 0;
                    adam.Step();
                    average?.Update(model);
                    double l = double.CreateChecked(batchLoss.Item());
                    if (!double.IsFinite(l))
                        throw new InvalidOperationException($"training diverged: loss is {l} at epoch {epoch}, batch {b + 1}; lower --lr or --clip.");
                    lossSum += l;
                    onStep?.Invoke(++step, totalSteps, l);
                }
                // With averaging, the averaged weights are the candidate model; training continues from the raw ones.
                ParameterSnapshot<T>? raw = null;
                if (average is not null) { raw = new ParameterSnapshot<T>(model); average.CopyTo(model); }
                var s = score(lossSum / batches);
                bool isBest = s.Primary > bestKey.Primary || (s.Primary == bestKey.Primary && s.Secondary > bestKey.Secondary);
                if (isBest) { bestKey = (s.Primary, s.Secondary); best = new ParameterSnapshot<T>(model); sinceBest = 0; }
                else sinceBest++;
                raw?.Restore(model);
                var report = new EpochReport(epoch, options.Epochs, lossSum / batches, s.ValidationLoss, s.ValidationScore,
                    normSum / batches, clock.Elapsed.TotalSeconds, isBest);
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
}
