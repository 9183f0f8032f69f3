// One recurrent layer (all of its directions) as ONE autograd op: the time loop lives inside the
// forward/backward pair (docs/architecture.md, decisions). Time-major: x [T, B, I] → y [T, B, D·H].
// Letters: T steps, B batch, I input size, H hidden size, D directions (1 or 2), S state slices.
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary>Multiply-adds per time step (B·G·H) below which a recurrent layer's time loop is not split
    /// across threads: a block of rows must be worth a wake-up (tests lower it to exercise the split).</summary>
    internal static long RecurrentParallelMinWork = 1_000_000;

    /// <summary>Elements (T·B·G) below which a recurrent layer's row passes (one-hot gather, dW_ih scatter, bias
    /// sums) stay on one thread (tests lower it).</summary>
    internal static long RecurrentPassParallelMinElements = 1 << 16;

    /// <summary>
    /// Runs one recurrent layer over a time-major batch. Direction 0 runs forward in time; direction 1
    /// (when two weight sets are given) runs over reversed time, starting at each row's last valid step.
    /// </summary>
    /// <param name="mode">The cell.</param>
    /// <param name="x">[T, B, I] time-major input.</param>
    /// <param name="directions">One (unidirectional) or two (bidirectional) weight sets.</param>
    /// <param name="h0">Initial hidden states [S, B, H]; this layer reads slices
    /// <paramref name="stateOffset"/> … stateOffset+D−1. Null = zeros.</param>
    /// <param name="c0">Initial cell states like <paramref name="h0"/> (LSTM only). Null = zeros.</param>
    /// <param name="stateOffset">First slice of h0/c0 used by this layer (layer index · D in a stack).</param>
    /// <param name="lengths">Per-row valid lengths (each 0…T), or null when every row has T steps.
    /// Outputs past a row's length are zero and its final state is the state at its last valid step.</param>
    /// <param name="batchFirstOutput">Write the output batch-first [B, T, D·H] (saves a transpose after the last layer of a stack).</param>
    /// <returns>Output [T, B, D·H] time-major (or [B, T, D·H]), HN [D, B, H], CN [D, B, H] (LSTM) or null.</returns>
    /// <exception cref="ArgumentException">A shape does not fit; the message names the op and the shapes.</exception>
    public static RecurrentResult<T> RecurrentLayer<T>(RecurrentMode mode, Tensor<T> x, IReadOnlyList<RecurrentWeights<T>> directions,
        Tensor<T>? h0 = null, Tensor<T>? c0 = null, int stateOffset = 0, int[]? lengths = null, bool batchFirstOutput = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string op = $"RecurrentLayer({mode.DisplayName()})";
        if (x.Rank != 3) throw new ArgumentException($"{op}: input {Tensor<T>.FormatShape(x.Shape)} must be [T, B, I].");
        return RunLayer(op, mode, x, null, x.Dim(0), x.Dim(1), x.Dim(2), directions, h0, c0, stateOffset, lengths, batchFirstOutput);
    }

    /// <summary>
    /// <c>RecurrentLayer</c> on the one-hot input <c>x[t, b] = onehot(tokens[t·B + b], I)</c> (I = the width of W_ih), without building x:
    /// the input projection gathers rows of W_ihᵀ and the gradient of W_ih is a scatter-add. Same results as the
    /// dense call on <c>Op.OneHot</c> (up to the summation order of dW_ih). The ids get no gradient.
    /// </summary>
    /// <param name="mode">The cell.</param>
    /// <param name="tokens">[T, B] time-major token ids, each in 0…I−1 (read before this returns; not kept).</param>
    /// <param name="steps">T.</param>
    /// <param name="batch">B.</param>
    /// <param name="directions">One (unidirectional) or two (bidirectional) weight sets.</param>
    /// <param name="h0">Initial hidden states [S, B, H] (slices from <paramref name="stateOffset"/>), or null for zeros.</param>
    /// <param name="c0">Initial cell states like <paramref name="h0"/> (LSTM only), or null for zeros.</param>
    /// <param name="stateOffset">First slice of h0/c0 used by this layer.</param>
    /// <param name="lengths">Per-row valid lengths (each 0…T), or null when every row has T steps.</param>
    /// <param name="batchFirstOutput">Write the output batch-first [B, T, D·H].</param>
    /// <returns>Output [T, B, D·H] (or [B, T, D·H]), HN [D, B, H], CN [D, B, H] (LSTM) or null.</returns>
    /// <exception cref="ArgumentException">A shape does not fit or an id is outside 0…I−1; the message names the op.</exception>
    public static RecurrentResult<T> RecurrentLayerOneHot<T>(RecurrentMode mode, int[] tokens, int steps, int batch,
        IReadOnlyList<RecurrentWeights<T>> directions, Tensor<T>? h0 = null, Tensor<T>? c0 = null, int stateOffset = 0,
        int[]? lengths = null, bool batchFirstOutput = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string op = $"RecurrentLayer({mode.DisplayName()}, one-hot)";
        ArgumentNullException.ThrowIfNull(tokens);
        if (directions is null || directions.Count < 1 || directions[0].WeightIh.Rank != 2)
            throw new ArgumentException($"{op}: expected 1 or 2 directions with a [G, I] weight_ih.");
        int vocab = directions[0].WeightIh.Dim(1);
        ValidateTokens(op, tokens, steps, batch, vocab);
        return RunLayer(op, mode, null, tokens, steps, batch, vocab, directions, h0, c0, stateOffset, lengths, batchFirstOutput);
    }

    // The shared body: x (dense [T, B, I]) or tokens ([T, B] ids of a one-hot input), never both.
    private static RecurrentResult<T> RunLayer<T>(string op, RecurrentMode mode, Tensor<T>? x, int[]? tokens, int T_, int B, int I,
        IReadOnlyList<RecurrentWeights<T>> directions, Tensor<T>? h0, Tensor<T>? c0, int stateOffset, int[]? lengths, bool batchFirstOutput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (directions is null || directions.Count is < 1 or > 2)
            throw new ArgumentException($"{op}: expected 1 or 2 directions, got {directions?.Count ?? 0}.");
        int D = directions.Count;
        int H = directions[0].WeightHh.Rank == 2 ? directions[0].WeightHh.Dim(1) : -1;
        foreach (var w in directions) ValidateWeights(op, mode, w, I, H);
        ValidateState(op, "h0", h0, stateOffset + D, B, H);
        if (c0 is not null && mode != RecurrentMode.Lstm) throw new ArgumentException($"{op}: c0 is only used by the LSTM.");
        ValidateState(op, "c0", c0, stateOffset + D, B, H);
        var (lens, active) = PrepareLengths(op, lengths, T_, B);

        // [T, B, D·H] or [B, T, D·H]. Every element is written unless some rows finish early (their outputs stay zero),
        // so the array skips the GC's zero-fill then: megabytes per layer and step.
        int[] yShape = batchFirstOutput ? [B, T_, D * H] : [T_, B, D * H];
        var y = lens is null ? new Tensor<T>(GC.AllocateUninitializedArray<T>(B * T_ * D * H), yShape) : new Tensor<T>(yShape);
        var hN = new Tensor<T>(D, B, H);                                           // [D, B, H]
        var cN = mode == RecurrentMode.Lstm ? new Tensor<T>(D, B, H) : null;
        int BH = B * H;
        var inputs = GraphInputs(x, h0, c0, directions);
        bool record = Graph.ShouldRecord(inputs);
        var runs = new RecurrentDirection<T>[D];
        for (int d = 0; d < D; d++)
        {
            var w = directions[d];
            runs[d] = new RecurrentDirection<T>(mode, T_, B, I, H, reverse: d == 1, lens, active,
                w.WeightIh.Array, w.WeightHh.Array, w.BiasIh?.Array, w.BiasHh?.Array);
            int slice = (stateOffset + d) * BH;
            ReadOnlySpan<T> h0d = h0 is null ? default : h0.Data.Slice(slice, BH), c0d = c0 is null ? default : c0.Data.Slice(slice, BH);
            Span<T> hNd = hN.Data.Slice(d * BH, BH), cNd = cN is null ? default : cN.Data.Slice(d * BH, BH);
            if (x is not null) runs[d].Forward(x.Array, h0d, c0d, y.Data, d * H, D * H, batchFirstOutput, hNd, cNd, record);
            else runs[d].ForwardOneHot(tokens!, h0d, c0d, y.Data, d * H, D * H, batchFirstOutput, hNd, cNd, record);
        }

        if (record)
        {
            Graph.Record(op, inputs, () =>
            {
                var dY = y.Grad; var dhN = hN.Grad; var dcN = cN?.Grad;
                if (dY is null && dhN is null && dcN is null) { foreach (var r in runs) r.Release(); return; }
                for (int d = 0; d < D; d++)
                {
                    var w = directions[d];
                    int slice = (stateOffset + d) * BH;
                    runs[d].Backward(
                        dY?.Array, d * H, D * H, batchFirstOutput,
                        dhN is null ? default : dhN.Data.Slice(d * BH, BH),
                        dcN is null ? default : dcN.Data.Slice(d * BH, BH),
                        GradOrEmpty(x),
                        h0 is { RequiresGrad: true } ? h0.GradForAccumulation().Slice(slice, BH) : default,
                        c0 is { RequiresGrad: true } ? c0.GradForAccumulation().Slice(slice, BH) : default,
                        GradArrayOrNull(w.WeightIh), GradOrEmpty(w.WeightHh), GradOrEmpty(w.BiasIh), GradOrEmpty(w.BiasHh));
                }
            }, cN is null ? [y, hN] : [y, hN, cN]);
        }
        return new RecurrentResult<T>(y, hN, cN);
    }

    /// <summary>
    /// One step of a recurrent cell (PyTorch's nn.RNNCell / nn.LSTMCell / nn.GRUCell), as one op.
    /// </summary>
    /// <param name="mode">The cell.</param>
    /// <param name="x">[B, I] input.</param>
    /// <param name="weights">W_ih [G·H, I], W_hh [G·H, H], optional biases.</param>
    /// <param name="h">[B, H] state, or null for zeros.</param>
    /// <param name="c">[B, H] LSTM cell state, or null for zeros.</param>
    /// <returns>The new hidden state [B, H] and (LSTM) the new cell state [B, H].</returns>
    /// <exception cref="ArgumentException">A shape does not fit; the message names the op and the shapes.</exception>
    public static (Tensor<T> H, Tensor<T>? C) RecurrentCell<T>(RecurrentMode mode, Tensor<T> x, RecurrentWeights<T> weights,
        Tensor<T>? h = null, Tensor<T>? c = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string op = $"{mode.DisplayName()}Cell";
        if (x.Rank != 2) throw new ArgumentException($"{op}: input {Tensor<T>.FormatShape(x.Shape)} must be [B, I].");
        int B = x.Dim(0), I = x.Dim(1);
        int H = weights.WeightHh.Rank == 2 ? weights.WeightHh.Dim(1) : -1;
        ValidateWeights(op, mode, weights, I, H);
        if (h is not null && (h.Rank != 2 || h.Dim(0) != B || h.Dim(1) != H))
            throw new ArgumentException($"{op}: h {Tensor<T>.FormatShape(h.Shape)} does not match expected [{B}, {H}] for input {Tensor<T>.FormatShape(x.Shape)}.");
        if (c is not null && mode != RecurrentMode.Lstm) throw new ArgumentException($"{op}: c is only used by the LSTM.");
        if (c is not null && (c.Rank != 2 || c.Dim(0) != B || c.Dim(1) != H))
            throw new ArgumentException($"{op}: c {Tensor<T>.FormatShape(c.Shape)} does not match expected [{B}, {H}] for input {Tensor<T>.FormatShape(x.Shape)}.");

        var run = new RecurrentDirection<T>(mode, 1, B, I, H, reverse: false, null, null,
            weights.WeightIh.Array, weights.WeightHh.Array, weights.BiasIh?.Array, weights.BiasHh?.Array);
        Tensor<T>?[] inputs = [x, h, c, weights.WeightIh, weights.WeightHh, weights.BiasIh, weights.BiasHh];
        bool record = Graph.ShouldRecord(inputs);
        var hOut = new Tensor<T>(B, H);
        var cOut = mode == RecurrentMode.Lstm ? new Tensor<T>(B, H) : null;
        run.Forward(x.Array, h is null ? default : h.Data, c is null ? default : c.Data, default, 0, 0, false,
            hOut.Data, cOut is null ? default : cOut.Data, record);

        if (record)
        {
            Graph.Record(op, inputs, () =>
            {
                var dh = hOut.Grad; var dc = cOut?.Grad;
                if (dh is null && dc is null) { run.Release(); return; }
                run.Backward(null, 0, 0, false, dh is null ? default : dh.Data, dc is null ? default : dc.Data,
                    GradOrEmpty(x), GradOrEmpty(h), GradOrEmpty(c),
                    GradArrayOrNull(weights.WeightIh), GradOrEmpty(weights.WeightHh), GradOrEmpty(weights.BiasIh), GradOrEmpty(weights.BiasHh));
            }, cOut is null ? [hOut] : [hOut, cOut]);
        }
        return (hOut, cOut);
    }

    private static Span<T> GradOrEmpty<T>(Tensor<T>? t) where T : unmanaged, IFloatingPointIeee754<T>
        => t is { RequiresGrad: true } ? t.GradForAccumulation() : default;

    private static T[]? GradArrayOrNull<T>(Tensor<T> t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!t.RequiresGrad) return null;
        t.GradForAccumulation();                                           // allocates on first use
        return t.Grad!.Array;
    }

    /// <summary>Checks that <paramref name="tokens"/> form [T, B] and that every id is a valid one-hot index (0…vocab−1).</summary>
    private static void ValidateTokens(string op, int[] tokens, int steps, int batch, int vocab)
    {
        if (steps < 1 || batch < 1 || tokens.Length != (long)steps * batch)
            throw new ArgumentException($"{op}: {tokens.Length} token ids do not form [T={steps}, B={batch}].");
        for (int i = 0; i < tokens.Length; i++)
            if ((uint)tokens[i] >= (uint)vocab)
                throw new ArgumentException($"{op}: token id {tokens[i]} at step {i / batch}, row {i % batch} is outside 0..{vocab - 1} (the one-hot width).");
    }

    /// <summary>The autograd inputs of a recurrent op: x, h0, c0, then each weight set's four tensors (null = absent).</summary>
    private static Tensor<T>?[] GraphInputs<T>(Tensor<T>? x, Tensor<T>? h0, Tensor<T>? c0, IReadOnlyList<RecurrentWeights<T>> weights)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var inputs = new List<Tensor<T>?> { x, h0, c0 };
        foreach (var w in weights) inputs.AddRange([w.WeightIh, w.WeightHh, w.BiasIh, w.BiasHh]);
        return inputs.ToArray();
    }

    private static void ValidateWeights<T>(string op, RecurrentMode mode, RecurrentWeights<T> w, int inputSize, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int G = mode.GateCount() * hidden;
        if (hidden <= 0 || w.WeightHh.Rank != 2 || w.WeightHh.Dim(0) != G)
            throw new ArgumentException($"{op}: weight_hh {Tensor<T>.FormatShape(w.WeightHh.Shape)} must be [{mode.GateCount()}·H, H].");
        if (w.WeightIh.Rank != 2 || w.WeightIh.Dim(0) != G || w.WeightIh.Dim(1) != inputSize)
            throw new ArgumentException($"{op}: weight_ih {Tensor<T>.FormatShape(w.WeightIh.Shape)} does not fit input size {inputSize} and weight_hh {Tensor<T>.FormatShape(w.WeightHh.Shape)} (expected [{G}, {inputSize}]).");
        if (w.BiasIh is { } bi && (bi.Rank != 1 || bi.Length != G))
            throw new ArgumentException($"{op}: bias_ih {Tensor<T>.FormatShape(bi.Shape)} does not match expected [{G}].");
        if (w.BiasHh is { } bh && (bh.Rank != 1 || bh.Length != G))
            throw new ArgumentException($"{op}: bias_hh {Tensor<T>.FormatShape(bh.Shape)} does not match expected [{G}].");
    }

    private static void ValidateState<T>(string op, string name, Tensor<T>? state, int minSlices, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (state is null) return;
        if (state.Rank != 3 || state.Dim(0) < minSlices || state.Dim(1) != batch || state.Dim(2) != hidden)
            throw new ArgumentException($"{op}: {name} {Tensor<T>.FormatShape(state.Shape)} does not match expected [{minSlices}, {batch}, {hidden}].");
    }

    /// <summary>Validated lengths and the [T, B] active mask, or (null, null) when every row runs all T steps.</summary>
    internal static (int[]? Lengths, bool[]? Active) PrepareLengths(string op, int[]? lengths, int steps, int batch)
    {
        if (lengths is null) return (null, null);
        if (lengths.Length != batch) throw new ArgumentException($"{op}: {lengths.Length} lengths for a batch of {batch}.");
        bool full = true;
        for (int b = 0; b < batch; b++)
        {
            if (lengths[b] < 0 || lengths[b] > steps)
                throw new ArgumentException($"{op}: length {lengths[b]} of row {b} is outside 0…{steps} (the sequence length).");
            full &= lengths[b] == steps;
        }
        if (full) return (null, null);
        var active = new bool[steps * batch];
        for (int s = 0; s < steps; s++)
            for (int b = 0; b < batch; b++) active[s * batch + b] = s < lengths[b];
        return ((int[])lengths.Clone(), active);
    }
}
