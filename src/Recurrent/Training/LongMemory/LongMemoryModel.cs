// The model of the long-memory tasks: a recurrent stack and a linear head, read at the last step
// (adding: one number) or at every step (copy: 10 class logits).
// Letters: B batch, S steps, I input size, H hidden size, C classes.
using System.Numerics;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Training.LongMemory;

/// <summary>A <see cref="RecurrentStack{T}"/> registered as <c>rnn</c> and a <see cref="Linear{T}"/> head as
/// <c>head</c> (so the state dict reads <c>rnn.weight_hh_l0</c>, <c>head.weight</c>, …).</summary>
public sealed class LongMemoryModel<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Builds the model; the stack is initialised first, then the head, both from <paramref name="rng"/>.</summary>
    /// <param name="task">The task (fixes the input size and the head).</param>
    /// <param name="mode">The recurrent cell.</param>
    /// <param name="hiddenSize">H.</param>
    /// <param name="rng">Initialisation source.</param>
    /// <param name="numLayers">Stacked recurrent layers.</param>
    /// <param name="forgetBias">LSTM only: added to the forget-gate bias (Keras' unit_forget_bias = 1).</param>
    /// <exception cref="ArgumentException">A size is not positive, or forgetBias is set for a cell that is not an LSTM.</exception>
    public LongMemoryModel(LongMemoryTask task, RecurrentMode mode, int hiddenSize, Rng rng, int numLayers = 1, double forgetBias = 0)
    {
        Task = task;
        Rnn = RegisterModule("rnn", new RecurrentStack<T>(mode, task.InputSize(), hiddenSize, rng, numLayers, forgetBias: forgetBias));
        Head = RegisterModule("head", new Linear<T>(hiddenSize, task.OutputSize(), rng));
    }

    /// <summary>The task this model's head is shaped for.</summary>
    public LongMemoryTask Task { get; }

    /// <summary>The recurrent stack.</summary>
    public RecurrentStack<T> Rnn { get; }

    /// <summary>The output layer.</summary>
    public Linear<T> Head { get; }

    /// <summary>Adding: x [B, S, 2] → prediction [B, 1] from the last step. Copy: x [B, S, 10] → logits [B, S, 10].</summary>
    public Tensor<T> Forward(Tensor<T> x)
    {
        var output = Rnn.Forward(x).Output;                                  // [B, S, H]
        return Task == LongMemoryTask.Adding
            ? Head.Forward(Op.SelectTime(output, -1))                       // [B, 1]
            : Head.Forward(output);                                          // [B, S, C]
    }

    /// <summary>The training loss of a batch: MSE (adding) or mean cross-entropy over all steps (copy).</summary>
    public Tensor<T> Loss(LongMemoryBatch<T> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var y = Forward(batch.X);
        return Task == LongMemoryTask.Adding ? Op.MseLoss(y, batch.Values!) : Op.CrossEntropy(y, batch.Classes!);
    }

    /// <summary>The loss at the last step only, from the top layer's output there (<paramref name="lastOutput"/>
    /// [B, H]): the whole adding loss, or the cross-entropy of the last recalled symbol (copy).
    /// This is the loss whose reach back in time <see cref="Diagnostics.GradientFlow"/> measures.</summary>
    public Tensor<T> LastStepLoss(Tensor<T> lastOutput, LongMemoryBatch<T> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var y = Head.Forward(lastOutput);                                    // [B, 1] or [B, C]
        if (Task == LongMemoryTask.Adding) return Op.MseLoss(y, batch.Values!);
        int B = batch.BatchSize, S = batch.Steps;
        var last = new int[B];
        for (int b = 0; b < B; b++) last[b] = batch.Classes![b * S + S - 1];
        return Op.CrossEntropy(y, last);
    }
}
