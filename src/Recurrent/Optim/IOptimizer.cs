// The element-type-free face of an optimizer, so training loops, schedules and checkpoint writers need not be generic.
namespace Recurrent.Optim;

/// <summary>An optimizer over a fixed list of parameters (one PyTorch parameter group).</summary>
public interface IOptimizer
{
    /// <summary>The learning rate used by the next <see cref="Step"/> (schedules set it).</summary>
    double LearningRate { get; set; }

    /// <summary>How many times <see cref="Step"/> has run.</summary>
    long StepCount { get; }

    /// <summary>Updates every parameter that has a gradient; parameters whose <c>Grad</c> is null are skipped.</summary>
    void Step();

    /// <summary>Clears the gradients. With <paramref name="setToNone"/> (PyTorch's default) they become null, so a
    /// parameter that gets no gradient before the next step is skipped; otherwise they are zeroed in place.</summary>
    void ZeroGrad(bool setToNone = true);

    /// <summary>A copy of the full state (hyperparameters, step counts, buffers) for an exact resume.</summary>
    OptimizerState StateDict();

    /// <summary>Restores a state from <see cref="StateDict"/> of an optimizer of the same kind over parameters of the same shapes.</summary>
    /// <exception cref="InvalidDataException">The kind differs, or a buffer is missing, extra or of the wrong length; the message names it.</exception>
    void LoadStateDict(OptimizerState state);
}
