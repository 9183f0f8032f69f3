// Text generation from a language model, one token at a time (d2l's predict_ch8): warm up the state on
// the prefix, then repeatedly turn the last logits into the next token and feed it back.
// Unidirectional models run through the allocation-free RecurrentStack.Step; a bidirectional model has
// no step-wise form, so it runs Forward on one-step windows with the state carried — exactly what the
// book does, and why its bidirectional LSTM generates nonsense (the backward direction sees one token).
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Kernels;
using Recurrent.Models;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Generation;

/// <summary>Feeds tokens to a <see cref="LanguageModel{T}"/> one at a time and exposes the logits of the
/// next token. Batch size 1; no graph is recorded and dropout is off.</summary>
public sealed class LanguageModelStepper<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly LanguageModel<T> _model;
    private readonly RecurrentState<T>? _state;      // unidirectional: [L, 1, H]
    private LanguageModelState<T>? _tensorState;     // bidirectional: carried HN/CN [L·D, 1, H]
    private readonly T[] _input;                      // [1, I] one-hot or embedding row
    private readonly T[] _logits;                     // [1, V]
    private bool _hasLogits;

    /// <summary>Prepares a zero state for <paramref name="model"/>.</summary>
    public LanguageModelStepper(LanguageModel<T> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _input = new T[model.Config.InputSize];
        _logits = new T[model.VocabSize];
        if (!model.Rnn.Bidirectional) _state = model.Rnn.CreateState(1);
    }

    /// <summary>Logits [V] for the token after the last one fed.</summary>
    /// <exception cref="InvalidOperationException">No token has been fed yet.</exception>
    public ReadOnlySpan<T> Logits => _hasLogits ? _logits : throw new InvalidOperationException("LanguageModelStepper: feed at least one token first.");

    /// <summary>Back to the zero state.</summary>
    public void Reset()
    {
        _state?.Reset();
        _tensorState = null;
        _hasLogits = false;
    }

    /// <summary>Feeds one token and computes the logits of the next.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside 0..V−1.</exception>
    public ReadOnlySpan<T> Feed(int token)
    {
        int V = _model.VocabSize;
        if ((uint)token >= (uint)V) throw new ArgumentOutOfRangeException(nameof(token), token, $"token id outside 0..{V - 1}.");
        if (_state is null)
        {
            using var _ = GradMode.Disable();
            bool training = _model.Training;
            _model.Eval();
            try
            {
                var (logits, state) = _model.Forward([token], 1, 1, _tensorState);
                _tensorState = state;
                logits.Data.CopyTo(_logits);
            }
            finally { _model.Train(training); }
        }
        else
        {
            if (_model.Embedding is { } emb) emb.Weight.Data.Slice(token * _input.Length, _input.Length).CopyTo(_input);
            else { Array.Clear(_input); _input[token] = T.One; }
            var h = _model.Rnn.Step(_input, _state);                        // [1, H]
            // logits = h·Wᵀ + b    W [V, H]
            var head = _model.Head;
            Gemm.Multiply(false, true, 1, V, head.InFeatures, h, head.Weight.Data, _logits, accumulate: false);
            if (head.Bias is { } b) Elementwise.AddInPlace<T>(_logits, b.Data);
        }
        _hasLogits = true;
        return _logits;
    }
}

/// <summary>Prefix warm-up plus greedy or sampled continuation.</summary>
public static class TextGenerator
{
    /// <summary>Feeds <paramref name="prefix"/> and then generates <paramref name="length"/> tokens, each
    /// chosen from the logits by <paramref name="options"/> and fed back.</summary>
    /// <returns>The generated token ids (the prefix is not repeated).</returns>
    /// <exception cref="ArgumentException">The prefix is empty, the length negative, or an option out of range.</exception>
    public static int[] Generate<T>(LanguageModel<T> model, IReadOnlyList<int> prefix, int length, SamplingOptions options, Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        if (prefix.Count == 0) throw new ArgumentException("the prefix is empty; give at least one token to start from.");
        if (length < 0) throw new ArgumentException($"--length must be ≥ 0 (got {length}).");
        options.Validate();
        var stepper = new LanguageModelStepper<T>(model);
        foreach (int id in prefix) stepper.Feed(id);                         // warm-up: only the state matters
        var output = new int[length];
        for (int i = 0; i < length; i++)
        {
            int next = TokenSampler.Sample(stepper.Logits, options, rng);
            output[i] = next;
            if (i + 1 < length) stepper.Feed(next);
        }
        return output;
    }
}
