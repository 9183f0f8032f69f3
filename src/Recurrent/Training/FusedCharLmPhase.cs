// The phases of a FusedCharLm step, for the per-phase timing that benchmarks switch on (FusedCharLm.PhaseTicks).
namespace Recurrent.Training;

/// <summary>One phase of a <see cref="FusedCharLm"/> training or inference step, in execution order.</summary>
internal enum FusedCharLmPhase
{
    /// <summary>Validating and transposing the token ids to time-major.</summary>
    Load,
    /// <summary>W_ihᵀ and the folded biases (the one-hot gather itself runs inside the forward loop).</summary>
    Gather,
    /// <summary>Packing W_hhᵀ for the forward products.</summary>
    ForwardPack,
    /// <summary>The forward time loop.</summary>
    ForwardLoop,
    /// <summary>Head GEMM, softmax, loss (and d loss / d logits when training).</summary>
    Head,
    /// <summary>dW_out, db_out and dY = dlogits·W_out.</summary>
    HeadBackward,
    /// <summary>Packing W_hh for the backward products.</summary>
    BackwardPack,
    /// <summary>The backward time loop.</summary>
    BackwardLoop,
    /// <summary>dW_hh = dGᵀ·H_prev.</summary>
    WeightGradient,
    /// <summary>dW_ih (the scatter-add of the gate gradients and its transpose), db_ih and db_hh.</summary>
    InputGradient,
    /// <summary>Gradient norm, clipping and the SGD update.</summary>
    ClipAndUpdate,
    /// <summary>Copying the last state to slot 0.</summary>
    Carry,
}
