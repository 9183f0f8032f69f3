// The forecasting loop: shuffled minibatches of windows, MSE on the scaled targets, Adam, clipping,
// and the weights of the best validation epoch kept.
using System.Diagnostics;
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Models;
using Recurrent.Ops;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Training;

/// <summary>Trains a <see cref="ForecastModel{T}"/> on <see cref="WindowSet"/>s.</summary>
public static class ForecastTrainer
{
    /// <summary>Trains in place and leaves the model holding the weights of the epoch with the lowest
    /// validation MSE (the last epoch when there is no validation set).</summary>
    /// <param name="model">the model (its Lookback, Features and Horizon must match the windows)</param>
    /// <param name="train">training windows (at least one)</param>
    /// <param name="validation">validation windows, or null/empty</param>
    /// <param name="options">loop settings</param>
    /// <param name="rng">the run's random source (shuffling)</param>
    /// <param name="onEpoch">called after every epoch</param>
    /// <param name="onStep">called after every minibatch with (step, total steps, loss)</param>
    /// <param name="cancellation">checked between minibatches</param>
    /// <returns>one report per epoch run</returns>
    /// <exception cref="ArgumentException">Shapes do not match or options are invalid.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (the model holds the best weights so far).</exception>
    public static List<EpochReport> Train<T>(ForecastModel<T> model, WindowSet train, WindowSet? validation, TrainingOptions options, Rng rng,
        Action<EpochReport>? onEpoch = null, Action<long, long, double>? onStep = null, CancellationToken cancellation = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        options.Validate();
        Check(model, train, "training");
        if (validation is { Count: > 0 }) Check(model, validation, "validation");
        if (train.Count == 0) throw new ArgumentException("no training windows.");
        var parameters = model.Parameters().ToList();
        var adam = new Adam<T>(parameters, options.LearningRate, weightDecay: options.WeightDecay);
        int batches = (train.Count + options.BatchSize - 1) / options.BatchSize;
        long totalSteps = (long)batches * options.Epochs, step = 0;
        var order = Enumerable.Range(0, train.Count).ToArray();
        var history = new List<EpochReport>();
        ParameterSnapshot<T>? best = null;
        double bestLoss = double.PositiveInfinity;
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
                    var idx = order.AsSpan(b * options.BatchSize, Math.Min(options.BatchSize, train.Count - b * options.BatchSize));
                    var (xs, ys) = train.Gather(idx);
                    var x = ToTensor<T>(xs, idx.Length, train.Lookback, train.Features);     // [b, W, F]
                    var y = ToTensor<T>(ys, idx.Length, train.Horizon);                      // [b, K]
                    adam.ZeroGrad();
                    var loss = Op.MseLoss(model.Forward(x), y);
                    loss.Backward();
                    normSum += options.ClipNorm > 0 ? GradClip.ClipGradNorm(parameters, options.ClipNorm) : 0;
                    adam.Step();
                    average?.Update(model);
                    double l = double.CreateChecked(loss.Item());
                    if (!double.IsFinite(l))
                        throw new InvalidOperationException($"training diverged: loss is {l} at epoch {epoch}, batch {b + 1}; lower --lr or --clip.");
                    lossSum += l;
                    onStep?.Invoke(++step, totalSteps, l);
                }
                // With averaging, the averaged weights are the candidate model; training continues from the raw ones.
                ParameterSnapshot<T>? raw = null;
                if (average is not null) { raw = new ParameterSnapshot<T>(model); average.CopyTo(model); }
                double valLoss = validation is { Count: > 0 } ? Evaluate(model, validation) : double.NaN;
                double score = double.IsNaN(valLoss) ? lossSum / batches : valLoss;
                bool isBest = score < bestLoss;
                if (isBest) { bestLoss = score; best = new ParameterSnapshot<T>(model); sinceBest = 0; }
                else sinceBest++;
                raw?.Restore(model);
                var report = new EpochReport(epoch, options.Epochs, lossSum / batches, valLoss, valLoss, normSum / batches, clock.Elapsed.TotalSeconds, isBest);
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

    /// <summary>Mean squared error (scaled units) of the model on a window set.</summary>
    public static double Evaluate<T>(ForecastModel<T> model, WindowSet windows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = model.Predict(windows.X, windows.Count);
        double s = 0;
        for (int i = 0; i < p.Length; i++) { double d = p[i] - windows.Y[i]; s += d * d; }
        return p.Length == 0 ? double.NaN : s / p.Length;
    }

    private static void Check<T>(ForecastModel<T> model, WindowSet w, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (w.Lookback != model.Lookback || w.Features != model.Features || w.Horizon != model.Horizon)
            throw new ArgumentException($"{what} windows are W={w.Lookback}, F={w.Features}, K={w.Horizon} but the model expects W={model.Lookback}, F={model.Features}, K={model.Horizon}.");
    }

    internal static Tensor<T> ToTensor<T>(float[] data, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var t = new Tensor<T>(shape);
        for (int i = 0; i < data.Length; i++) t.Data[i] = T.CreateChecked(data[i]);
        return t;
    }
}
