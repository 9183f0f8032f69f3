// Optimizers by the names the CLI uses, with each one's customary default learning rate.
using System.Numerics;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Training;

/// <summary>Creates optimizers from a name: sgd, adam, adamw, rmsprop, adagrad.</summary>
public static class OptimizerFactory
{
    /// <summary>The accepted names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sgd", "adam", "adamw", "rmsprop", "adagrad"];

    /// <summary>The learning rate used when none is given: 1 for SGD (the book's char-LM setting), 2e-3 for Adam(W)
    /// (the quality protocol), 1e-3 for RMSprop, 0.05 for Adagrad.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static double DefaultLearningRate(string name) => Normalise(name) switch
    {
        "sgd" => 1.0,
        "adam" or "adamw" => 2e-3,
        "rmsprop" => 1e-3,
        "adagrad" => 0.05,
        _ => throw Unknown(name),
    };

    /// <summary>An optimizer over <paramref name="parameters"/>.</summary>
    /// <param name="name">sgd, adam, adamw, rmsprop or adagrad (case-insensitive)</param>
    /// <param name="parameters">the parameters to update</param>
    /// <param name="lr">learning rate</param>
    /// <param name="momentum">SGD / RMSprop momentum (0 = none)</param>
    /// <param name="weightDecay">L2 penalty (decoupled for AdamW; 0 means AdamW's own default 0.01 is NOT applied)</param>
    /// <exception cref="ArgumentException">Unknown name, a hyperparameter out of range, or momentum for an optimizer without it.</exception>
    public static IOptimizer Create<T>(string name, IEnumerable<Tensor<T>> parameters, double lr, double momentum = 0, double weightDecay = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string n = Normalise(name);
        if (!(lr > 0) || double.IsInfinity(lr)) throw new ArgumentException($"--lr must be a finite number > 0 (got {lr}).");
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentException($"--momentum must be in [0, 1) (got {momentum}).");
        if (!(weightDecay >= 0) || double.IsInfinity(weightDecay)) throw new ArgumentException($"--weight-decay must be a finite number ≥ 0 (got {weightDecay}).");
        if (momentum != 0 && n is not ("sgd" or "rmsprop"))
            throw new ArgumentException($"--momentum applies to sgd and rmsprop, not {n}.");
        return n switch
        {
            "sgd" => new Sgd<T>(parameters, lr, momentum: momentum, weightDecay: weightDecay),
            "adam" => new Adam<T>(parameters, lr, weightDecay: weightDecay),
            "adamw" => new AdamW<T>(parameters, lr, weightDecay: weightDecay),
            "rmsprop" => new RmsProp<T>(parameters, lr, momentum: momentum, weightDecay: weightDecay),
            "adagrad" => new Adagrad<T>(parameters, lr, weightDecay: weightDecay),
            _ => throw Unknown(name),
        };
    }

    private static string Normalise(string name) => (name ?? "").Trim().ToLowerInvariant();

    private static ArgumentException Unknown(string name)
        => new($"unknown --optimizer '{name}' (expected {string.Join(", ", Names)}).");
}
