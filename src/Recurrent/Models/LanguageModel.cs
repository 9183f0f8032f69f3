// A token-level language model as in d2l's RNNModel and the torch_lm_quality protocol:
// one-hot (or embedding) input → recurrent stack → Linear head over D·H on every step.
// Letters: B batch, T steps, V vocabulary, E embedding size, H hidden, L layers, D directions.
using System.Numerics;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Models;

/// <summary>The architecture of a <see cref="LanguageModel{T}"/>; what config.json stores.</summary>
/// <param name="VocabSize">V: one-hot width and number of output logits.</param>
/// <param name="Mode">The recurrent cell.</param>
/// <param name="HiddenSize">H per direction.</param>
/// <param name="NumLayers">L stacked layers.</param>
/// <param name="Bidirectional">D = 2 (the book's cautionary example: it sees the future while training).</param>
/// <param name="Dropout">Between-layer dropout (PyTorch semantics: not after the last layer).</param>
/// <param name="EmbedDim">E; 0 = one-hot input as in the book.</param>
/// <param name="ForgetBias">LSTM only: added to the forget-gate bias at initialisation (Keras' unit_forget_bias = 1).</param>
public sealed record LanguageModelConfig(int VocabSize, RecurrentMode Mode, int HiddenSize, int NumLayers = 1,
    bool Bidirectional = false, double Dropout = 0, int EmbedDim = 0, double ForgetBias = 0)
{
    /// <summary>Features per step entering the recurrent stack: E, or V for one-hot.</summary>
    public int InputSize => EmbedDim > 0 ? EmbedDim : VocabSize;

    /// <summary>Checks every field; messages name the CLI option.</summary>
    /// <exception cref="ArgumentException">A size is not positive or dropout is outside [0, 1).</exception>
    public void Validate()
    {
        if (VocabSize < 2) throw new ArgumentException($"the vocabulary has {VocabSize} token(s); a language model needs at least 2.");
        if (HiddenSize < 1) throw new ArgumentException($"--hidden must be ≥ 1 (got {HiddenSize}).");
        if (NumLayers < 1) throw new ArgumentException($"--layers must be ≥ 1 (got {NumLayers}).");
        if (EmbedDim < 0) throw new ArgumentException($"--embed must be ≥ 1 (got {EmbedDim}).");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"--dropout must be in [0, 1) (got {Dropout}).");
        _ = Mode.GateCount();
        if (!double.IsFinite(ForgetBias)) throw new ArgumentException($"--forget-bias must be a finite number (got {ForgetBias}).");
        if (ForgetBias != 0 && Mode != RecurrentMode.Lstm) throw new ArgumentException("--forget-bias applies to --cell lstm only.");
    }
}

/// <summary>The recurrent state carried between windows: h (and c for the LSTM), each [L·D, B, H].</summary>
public sealed record LanguageModelState<T>(Tensor<T> H, Tensor<T>? C) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The same values cut off from the graph: back-propagation stops here (truncated BPTT).</summary>
    public LanguageModelState<T> Detach() => new(H.Detach(), C?.Detach());
}

/// <summary>
/// <c>logits[b, t] = head(rnn(x)[b, t])</c> with <c>x[b, t] = onehot(id[b, t])</c> or <c>embedding[id[b, t]]</c>.
/// Parameter names are PyTorch's for the same module tree: <c>embedding.weight</c> (optional),
/// <c>rnn.weight_ih_l0</c>…, <c>head.weight</c>, <c>head.bias</c>.
/// </summary>
public sealed class LanguageModel<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Builds and initialises (PyTorch defaults) from <paramref name="rng"/>: embedding, stack, head in that order.</summary>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    public LanguageModel(LanguageModelConfig config, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(rng);
        config.Validate();
        Config = config;
        if (config.EmbedDim > 0) Embedding = RegisterModule("embedding", new Embedding<T>(config.VocabSize, config.EmbedDim, rng));
        Rnn = RegisterModule("rnn", new RecurrentStack<T>(config.Mode, config.InputSize, config.HiddenSize, rng,
            config.NumLayers, config.Bidirectional, config.NumLayers > 1 ? config.Dropout : 0, forgetBias: config.ForgetBias));
        Head = RegisterModule("head", new Linear<T>(Rnn.OutputSize, config.VocabSize, rng));
    }

    /// <summary>The architecture.</summary>
    public LanguageModelConfig Config { get; }

    /// <summary>The input embedding, or null for one-hot input.</summary>
    public Embedding<T>? Embedding { get; }

    /// <summary>The recurrent stack.</summary>
    public RecurrentStack<T> Rnn { get; }

    /// <summary>The output layer [V, D·H].</summary>
    public Linear<T> Head { get; }

    /// <summary>V.</summary>
    public int VocabSize => Config.VocabSize;

    /// <summary>Runs a window of token ids.</summary>
    /// <param name="ids">[B, T] token ids, row-major (row b is one stream).</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="state">The carried state, or null for zeros.</param>
    /// <returns>Logits [B, T, V] (row order matches <paramref name="ids"/>, so targets [B, T] line up) and the final state.</returns>
    /// <exception cref="ArgumentException">ids does not hold B·T values, an id is outside 0..V−1, or the state does not fit.</exception>
    public (Tensor<T> Logits, LanguageModelState<T> State) Forward(int[] ids, int batch, int steps, LanguageModelState<T>? state = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (batch < 1 || steps < 1 || ids.Length != (long)batch * steps)
            throw new ArgumentException($"LanguageModel: {ids.Length} ids do not form [B={batch}, T={steps}].");
        // One-hot input goes in as ids: the first layer gathers rows of W_ihᵀ instead of multiplying by [B, T, V].
        var r = Embedding is null
            ? Rnn.ForwardOneHot(ids, batch, steps, state?.H, state?.C)       // Output [B, T, D·H]
            : Rnn.Forward(Embedding.Forward(ids, [batch, steps]), state?.H, state?.C);
        var logits = Head.Forward(r.Output);                                  // [B, T, V]
        return (logits, new LanguageModelState<T>(r.HN, r.CN));
    }

    /// <summary>
    /// The training loss of a window: the mean cross-entropy of <paramref name="targets"/> under the logits of
    /// <see cref="Forward"/>, i.e. <c>Op.CrossEntropy(Forward(ids, …).Logits, targets)</c>, with the same value and
    /// gradients. A one-hot deep stack computes the head and the loss inside its pipelined op instead of as separate
    /// ops (faster: they run range by range on whichever thread is idle, and no logits tensor is built).
    /// </summary>
    /// <param name="ids">[B, T] token ids, row-major.</param>
    /// <param name="targets">[B, T] next-token ids, row-major, each in 0..V−1.</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="state">The carried state, or null for zeros.</param>
    /// <returns>The loss (a scalar tensor) and the final state.</returns>
    /// <exception cref="ArgumentException">ids or targets do not hold B·T values, an id or target is outside 0..V−1, or the state does not fit.</exception>
    public (Tensor<T> Loss, LanguageModelState<T> State) ForwardLoss(int[] ids, int[] targets, int batch, int steps, LanguageModelState<T>? state = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (Embedding is null && FuseHead && Rnn.ForwardOneHotLoss(ids, batch, steps, state?.H, state?.C, Head, targets) is { } fused)
            return (fused.Loss, new LanguageModelState<T>(fused.HN, fused.CN));
        var (logits, next) = Forward(ids, batch, steps, state);
        return (Op.CrossEntropy(logits, targets), next);
    }

    /// <summary>Let <see cref="ForwardLoss"/> fuse the head and loss into a pipelined stack (default); false = separate ops
    /// (tests and benchmarks compare the two).</summary>
    internal static bool FuseHead { get; set; } = true;
}
