// An optimizer's state as plain numbers, so a checkpoint writer can store it without knowing the optimizer.
namespace Recurrent.Optim;

/// <summary>
/// Optimizer state for an exact resume: the kind (e.g. "Adam"), the number of steps taken, scalars
/// (hyperparameters such as "lr", "beta1", and per-parameter step counts "3.step") and buffers
/// ("{parameter index}.{buffer}", e.g. "0.exp_avg", each as long as its parameter). Values are doubles,
/// which hold float32 and float64 state exactly.
/// </summary>
public sealed class OptimizerState
{
    /// <summary>The optimizer kind, checked on load.</summary>
    public required string Kind { get; init; }

    /// <summary>Number of <c>Step()</c> calls.</summary>
    public long StepCount { get; set; }

    /// <summary>Hyperparameters and per-parameter counters by name.</summary>
    public Dictionary<string, double> Scalars { get; init; } = [];

    /// <summary>Per-parameter buffers by "{index}.{name}".</summary>
    public Dictionary<string, double[]> Buffers { get; init; } = [];
}
