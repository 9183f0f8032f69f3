// A deep (optionally bidirectional) recurrent network: PyTorch's nn.RNN / nn.LSTM / nn.GRU with
// batch_first=True, the same parameter names, shapes, order and initialisation, so state dicts move both ways.
// Letters: B batch, T steps, I input size, H hidden size, L layers, D directions.
using System.Numerics;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>
/// A stack of <see cref="NumLayers"/> recurrent layers (<see cref="RecurrentMode"/>), each uni- or
/// bidirectional, with dropout between layers in training mode. Parameters per layer k and direction:
/// <c>weight_ih_l{k}[_reverse]</c> [G·H, I_k], <c>weight_hh_l{k}</c> [G·H, H], <c>bias_ih_l{k}</c>,
/// <c>bias_hh_l{k}</c> [G·H], all initialised U(−1/√H, 1/√H) in this order (PyTorch's).
/// </summary>
public class RecurrentStack<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly RecurrentWeights<T>[][] _weights;   // [layer][direction]
    private readonly Rng _dropoutRng;

    /// <param name="mode">The cell.</param>
    /// <param name="inputSize">I, features per time step.</param>
    /// <param name="hiddenSize">H, hidden units per direction.</param>
    /// <param name="rng">Initialisation source; a fork of it (taken after initialisation) drives dropout.</param>
    /// <param name="numLayers">L, stacked layers.</param>
    /// <param name="bidirectional">Run a second direction over reversed time and concatenate (D = 2).</param>
    /// <param name="dropout">Dropout probability on the outputs of every layer but the last (training only).</param>
    /// <param name="bias">Whether the layers have bias_ih / bias_hh.</param>
    /// <param name="forgetBias">LSTM only: added to the forget-gate slice of every bias_ih after the
    /// uniform initialisation (Keras' unit_forget_bias uses 1); 0 keeps PyTorch's initialisation.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or dropout is outside [0, 1].</exception>
    /// <exception cref="ArgumentException">forgetBias is set for a non-LSTM stack or one without bias.</exception>
    public RecurrentStack(RecurrentMode mode, int inputSize, int hiddenSize, Rng rng, int numLayers = 1,
        bool bidirectional = false, double dropout = 0, bool bias = true, double forgetBias = 0)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _ = mode.GateCount();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numLayers);
        if (!(dropout >= 0 && dropout <= 1)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"{mode.DisplayName()}: dropout must be in [0, 1].");
        if (forgetBias != 0 && mode != RecurrentMode.Lstm) throw new ArgumentException($"{mode.DisplayName()}: forgetBias applies to the LSTM only.");
        if (forgetBias != 0 && !bias) throw new ArgumentException($"{mode.DisplayName()}: forgetBias needs bias = true.");
        Mode = mode; InputSize = inputSize; HiddenSize = hiddenSize; NumLayers = numLayers;
        Bidirectional = bidirectional; Dropout = dropout; HasBias = bias; ForgetBias = forgetBias;

        int D = NumDirections, G = mode.GateCount() * hiddenSize;
        T bound = T.One / T.Sqrt(T.CreateChecked(hiddenSize));
        _weights = new RecurrentWeights<T>[numLayers][];
        for (int k = 0; k < numLayers; k++)
        {
            _weights[k] = new RecurrentWeights<T>[D];
            int layerInput = k == 0 ? inputSize : hiddenSize * D;
            for (int d = 0; d < D; d++)
            {
                string suffix = $"_l{k}{(d == 1 ? "_reverse" : "")}";
                var wIh = RegisterParameter("weight_ih" + suffix, Tensor<T>.Uniform(rng, -bound, bound, G, layerInput));
                var wHh = RegisterParameter("weight_hh" + suffix, Tensor<T>.Uniform(rng, -bound, bound, G, hiddenSize));
                Tensor<T>? bIh = null, bHh = null;
                if (bias)
                {
                    bIh = RegisterParameter("bias_ih" + suffix, Tensor<T>.Uniform(rng, -bound, bound, G));
                    bHh = RegisterParameter("bias_hh" + suffix, Tensor<T>.Uniform(rng, -bound, bound, G));
                    if (forgetBias != 0)
                    {
                        T fb = T.CreateChecked(forgetBias);
                        foreach (ref T v in bIh.Data.Slice(hiddenSize, hiddenSize)) v += fb;   // gates i, f, g, o: f is slice 1
                    }
                }
                _weights[k][d] = new RecurrentWeights<T>(wIh, wHh, bIh, bHh);
            }
        }
        _dropoutRng = rng.Fork();
    }

    /// <summary>The cell.</summary>
    public RecurrentMode Mode { get; }
    /// <summary>I, features per time step.</summary>
    public int InputSize { get; }
    /// <summary>H, hidden units per direction.</summary>
    public int HiddenSize { get; }
    /// <summary>L, stacked layers.</summary>
    public int NumLayers { get; }
    /// <summary>Whether each layer also runs over reversed time.</summary>
    public bool Bidirectional { get; }
    /// <summary>D = 2 when bidirectional, else 1.</summary>
    public int NumDirections => Bidirectional ? 2 : 1;
    /// <summary>Dropout probability between layers (training only).</summary>
    public double Dropout { get; }
    /// <summary>Whether the layers have biases.</summary>
    public bool HasBias { get; }
    /// <summary>The value added to the LSTM forget-gate bias at initialisation.</summary>
    public double ForgetBias { get; }
    /// <summary>Features of each output step: D·H.</summary>
    public int OutputSize => NumDirections * HiddenSize;
    /// <summary>The generator of the between-layer dropout masks (for checkpoints that resume exactly).</summary>
    public Rng DropoutRng => _dropoutRng;

    /// <summary>The parameters of layer <paramref name="layer"/>, direction <paramref name="direction"/> (1 = reverse).</summary>
    public RecurrentWeights<T> Weights(int layer, int direction = 0) => _weights[layer][direction];

    private string OpName => Mode.DisplayName();

    /// <summary>
    /// Runs the stack over a batch-first input.
    /// </summary>
    /// <param name="x">[B, T, I] input.</param>
    /// <param name="h0">[L·D, B, H] initial hidden states, or null for zeros.</param>
    /// <param name="c0">[L·D, B, H] initial cell states (LSTM only), or null for zeros.</param>
    /// <param name="lengths">Valid steps per row (0…T), or null when all rows have T steps. Outputs past a
    /// row's length are zero and its final state is the state at its last valid step (like a packed sequence).</param>
    /// <returns>Output [B, T, D·H], HN [L·D, B, H], CN [L·D, B, H] (LSTM) or null.</returns>
    /// <exception cref="ArgumentException">A shape does not fit; the message names the module and the shapes.</exception>
    public RecurrentResult<T> Forward(Tensor<T> x, Tensor<T>? h0 = null, Tensor<T>? c0 = null, int[]? lengths = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Dim(2) != InputSize)
            throw new ArgumentException($"{OpName}: input {Tensor<T>.FormatShape(x.Shape)} does not fit input size {InputSize} (expected [B, T, {InputSize}]).");
        int B = x.Dim(0), T_ = x.Dim(1), S = NumLayers * NumDirections;
        CheckState("h0", h0, S, B);
        if (c0 is not null && Mode != RecurrentMode.Lstm) throw new ArgumentException($"{OpName}: c0 is only used by the LSTM.");
        CheckState("c0", c0, S, B);
        Op.PrepareLengths(OpName, lengths, T_, B);   // validate before any work

        return RunLayers(Op.SwapBatchTime(x), null, B, T_, h0, c0, lengths);        // [T, B, I] time-major
    }

    /// <summary>
    /// Runs the stack over a one-hot input given as token ids, <c>x[b, t] = onehot(ids[b·T + t], InputSize)</c>,
    /// without building x: the first layer gathers rows of its W_ihᵀ (see <see cref="Op.RecurrentLayerOneHot{T}"/>).
    /// Same results as <c>Forward(Op.OneHot(ids, InputSize, [B, T]), …)</c>.
    /// </summary>
    /// <param name="ids">[B, T] token ids, batch-major, each in 0…InputSize−1.</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="h0">[L·D, B, H] initial hidden states, or null for zeros.</param>
    /// <param name="c0">[L·D, B, H] initial cell states (LSTM only), or null for zeros.</param>
    /// <param name="lengths">Valid steps per row (0…T), or null when all rows have T steps.</param>
    /// <returns>Output [B, T, D·H], HN [L·D, B, H], CN [L·D, B, H] (LSTM) or null.</returns>
    /// <exception cref="ArgumentException">ids do not form [B, T], an id is outside 0…InputSize−1, or a state does not fit.</exception>
    public RecurrentResult<T> ForwardOneHot(int[] ids, int batch, int steps, Tensor<T>? h0 = null, Tensor<T>? c0 = null, int[]? lengths = null)
    {
        var tokens = CheckedTimeMajor(ids, batch, steps, h0, c0);
        Op.PrepareLengths(OpName, lengths, steps, batch);
        return RunLayers(null, tokens, batch, steps, h0, c0, lengths);
    }

    /// <summary>
    /// A language model's loss over this stack in one op, when the stack runs pipelined (≥ 2 layers, one direction):
    /// <see cref="ForwardOneHot"/>, then <paramref name="head"/> and the mean cross-entropy against
    /// <paramref name="targets"/> [B, T] (batch-major), the head running inside the pipeline. Same values and gradients
    /// as the separate ops. Null when the stack does not run pipelined (use the separate ops then).
    /// </summary>
    internal (Tensor<T> Loss, Tensor<T> HN, Tensor<T>? CN)? ForwardOneHotLoss(int[] ids, int batch, int steps, Tensor<T>? h0, Tensor<T>? c0,
        Linear<T> head, int[] targets)
    {
        if (!RunsPipelined(lengths: null)) return null;
        var tokens = CheckedTimeMajor(ids, batch, steps, h0, c0);
        return Op.RecurrentStackLanguageModelLoss(Mode, tokens, steps, batch, PipelineLayers(), h0, c0,
            Training ? Dropout : 0, Training && Dropout > 0 ? _dropoutRng : null, head.Weight, head.Bias, targets);
    }

    /// <summary>[B, T] batch-major ids as [T, B] time-major, after checking the ids' count and the states' shapes.</summary>
    private int[] CheckedTimeMajor(int[] ids, int batch, int steps, Tensor<T>? h0, Tensor<T>? c0)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (batch < 1 || steps < 1 || ids.Length != (long)batch * steps)
            throw new ArgumentException($"{OpName}: {ids.Length} token ids do not form [B={batch}, T={steps}].");
        int S = NumLayers * NumDirections;
        CheckState("h0", h0, S, batch);
        if (c0 is not null && Mode != RecurrentMode.Lstm) throw new ArgumentException($"{OpName}: c0 is only used by the LSTM.");
        CheckState("c0", c0, S, batch);
        var tokens = new int[ids.Length];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < steps; t++) tokens[t * batch + b] = ids[b * steps + t];
        return tokens;
    }

    // Layer by layer; the first reads either the dense time-major input or the one-hot token ids.
    private RecurrentResult<T> RunLayers(Tensor<T>? input, int[]? tokens, int B, int T_, Tensor<T>? h0, Tensor<T>? c0, int[]? lengths)
    {
        // A deep unidirectional stack without lengths runs as one pipelined op (the same numbers, fewer tensors,
        // layers on different threads); bidirectional layers and variable lengths go layer by layer.
        if (RunsPipelined(lengths))
        {
            return Op.RecurrentStackPipelined(Mode, input, tokens, T_, B, PipelineLayers(), h0, c0,
                Training ? Dropout : 0, Training && Dropout > 0 ? _dropoutRng : null);
        }
        var hs = new List<Tensor<T>>(NumLayers);
        var cs = new List<Tensor<T>>(NumLayers);
        for (int k = 0; k < NumLayers; k++)
        {
            bool last = k == NumLayers - 1;
            var r = k == 0 && tokens is not null
                ? Op.RecurrentLayerOneHot(Mode, tokens, T_, B, _weights[k], h0, c0, 0, lengths, batchFirstOutput: last)
                : Op.RecurrentLayer(Mode, input!, _weights[k], h0, c0, k * NumDirections, lengths, batchFirstOutput: last);
            input = r.Output;                                                        // [T, B, D·H]; the last layer [B, T, D·H]
            if (k < NumLayers - 1 && Dropout > 0 && Training) input = Op.Dropout(input, Dropout, _dropoutRng);
            hs.Add(r.HN);
            if (r.CN is not null) cs.Add(r.CN);
        }
        var output = input!;                                                         // [B, T, D·H]
        var hN = hs.Count == 1 ? hs[0] : Op.ConcatFirstDim(hs);                     // [L·D, B, H]
        var cN = cs.Count == 0 ? null : cs.Count == 1 ? cs[0] : Op.ConcatFirstDim(cs);
        return new RecurrentResult<T>(output, hN, cN);
    }

    /// <summary>Whether a forward pass runs as one pipelined op: a deep unidirectional stack without lengths.</summary>
    private bool RunsPipelined(int[]? lengths) => NumLayers >= 2 && !Bidirectional && lengths is null && UsePipeline;

    /// <summary>Each layer's (only, forward-direction) weights, bottom up, as the pipelined ops take them.</summary>
    private RecurrentWeights<T>[] PipelineLayers()
    {
        var layers = new RecurrentWeights<T>[NumLayers];
        for (int k = 0; k < NumLayers; k++) layers[k] = _weights[k][0];
        return layers;
    }

    /// <summary>Run deep unidirectional stacks as one pipelined op (default); false = layer by layer (tests compare the two).</summary>
    internal static bool UsePipeline { get; set; } = true;

    private void CheckState(string name, Tensor<T>? state, int slices, int batch)
    {
        if (state is null) return;
        if (state.Rank != 3 || state.Dim(0) != slices || state.Dim(1) != batch || state.Dim(2) != HiddenSize)
            throw new ArgumentException($"{OpName}: {name} {Tensor<T>.FormatShape(state.Shape)} does not match expected [{slices}, {batch}, {HiddenSize}] ([layers·directions, B, H]).");
    }

    /// <summary>A zeroed state for step-by-step inference on <paramref name="batch"/> rows.</summary>
    /// <exception cref="InvalidOperationException">The stack is bidirectional (it cannot run step by step).</exception>
    public RecurrentState<T> CreateState(int batch)
    {
        if (Bidirectional) throw new InvalidOperationException($"{OpName}: a bidirectional stack needs the whole sequence and cannot run step by step.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        return new RecurrentState<T>(Mode, NumLayers, batch, HiddenSize);
    }

    /// <summary>
    /// One time step of all layers for inference (generation, streaming): no graph, no dropout, no
    /// allocation. Updates <paramref name="state"/> in place and returns the top layer's new hidden
    /// state [B, H] (a view into the state, valid until the next step).
    /// </summary>
    /// <param name="x">[B, I] input of this step.</param>
    /// <param name="state">The running state from <see cref="CreateState"/>.</param>
    /// <exception cref="ArgumentException">x or the state does not fit the stack.</exception>
    public ReadOnlySpan<T> Step(ReadOnlySpan<T> x, RecurrentState<T> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (Bidirectional) throw new InvalidOperationException($"{OpName}: a bidirectional stack cannot run step by step.");
        if (state.Mode != Mode || state.Layers != NumLayers || state.Hidden != HiddenSize)
            throw new ArgumentException($"{OpName}: the state was made for a different stack ({state.Mode.DisplayName()}, {state.Layers} layers, H={state.Hidden}).");
        int B = state.Batch, H = HiddenSize, BH = B * H;
        if (x.Length != B * InputSize)
            throw new ArgumentException($"{OpName}.Step: input has {x.Length} values, expected [{B}, {InputSize}] = {B * InputSize}.");
        for (int k = 0; k < NumLayers; k++)
        {
            var w = _weights[k][0];
            ReadOnlySpan<T> input = k == 0 ? x : state.HAll.AsSpan((k - 1) * BH, BH);
            int inSize = k == 0 ? InputSize : H;
            var h = state.HAll.AsSpan(k * BH, BH);
            RecurrentStep<T>.Run(Mode, B, inSize, H, input, w, h, state.CAll is null ? default : state.CAll.AsSpan(k * BH, BH), state.Scratch);
        }
        return state.HAll.AsSpan((NumLayers - 1) * BH, BH);
    }
}
