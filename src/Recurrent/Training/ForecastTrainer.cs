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
        return SupervisedLoop.Run(model, train.Count, options, rng,
            loss: indices =>
            {
                var (xs, ys) = train.Gather(indices);
                var x = ToTensor<T>(xs, indices.Length, train.Lookback, train.Features);     // [b, W, F]
                var y = ToTensor<T>(ys, indices.Length, train.Horizon);                      // [b, K]
                return Op.MseLoss(model.Forward(x), y);
            },
            score: trainLoss =>
            {
                double valLoss = validation is { Count: > 0 } ? Evaluate(model, validation) : double.NaN;
                return new EpochScore(valLoss, valLoss, -(double.IsNaN(valLoss) ? trainLoss : valLoss));
            },
            onEpoch, onStep, cancellation);
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
