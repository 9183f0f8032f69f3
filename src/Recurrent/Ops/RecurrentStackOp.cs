// A whole unidirectional recurrent stack (L ≥ 2 layers, dropout between them, no lengths) as ONE autograd op,
// run by RecurrentPipeline: same results as Op.RecurrentLayer per layer with Op.Dropout in between, without
// the intermediate tensors and their gradients, and with the layers on different threads.
// Letters: T steps, B batch, I input size, H hidden, L layers.
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Kernels;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary>
    /// Runs <paramref name="layers"/>.Count ≥ 2 unidirectional layers over a time-major dense input <paramref name="x"/>
    /// [T, B, I] or one-hot token ids <paramref name="tokens"/> [T, B] (exactly one of them), with inverted dropout of
    /// probability <paramref name="dropout"/> on the outputs of every layer but the last, one draw of
    /// <paramref name="dropoutRng"/> per layer boundary in layer order (as <c>Op.Dropout</c> draws).
    /// </summary>
    /// <returns>Output [B, T, H] batch-first, HN [L, B, H], CN [L, B, H] (LSTM) or null.</returns>
    /// <exception cref="ArgumentException">A shape does not fit or an id is outside 0…I−1; the message names the op.</exception>
    internal static RecurrentResult<T> RecurrentStackPipelined<T>(RecurrentMode mode, Tensor<T>? x, int[]? tokens, int steps, int batch,
        IReadOnlyList<RecurrentWeights<T>> layers, Tensor<T>? h0, Tensor<T>? c0, double dropout, Rng? dropoutRng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (op, pipeline, H) = StackPipeline(mode, x, tokens, steps, batch, layers, h0, c0, dropout, dropoutRng);
        int L = layers.Count;
        var y = new Tensor<T>(GC.AllocateUninitializedArray<T>(batch * steps * H), batch, steps, H);   // [B, T, H], fully written
        var hN = new Tensor<T>(L, batch, H);                                                            // [L, B, H]
        var cN = mode == RecurrentMode.Lstm ? new Tensor<T>(L, batch, H) : null;
        var inputs = GraphInputs(x, h0, c0, layers);
        bool record = Graph.ShouldRecord(inputs);
        pipeline.Forward(x?.Array, tokens, h0?.Array, c0?.Array, y.Array, hN.Array, cN?.Array);
        if (!record)
        {
            pipeline.Release();
            return new RecurrentResult<T>(y, hN, cN);
        }

        Graph.Record(op, inputs, () =>
        {
            var dY = y.Grad; var dhN = hN.Grad; var dcN = cN?.Grad;
            if (dY is null && dhN is null && dcN is null) { pipeline.Release(); return; }
            pipeline.Backward(dY?.Array, dhN?.Array, dcN?.Array,
                x is { RequiresGrad: true } ? GradArrayOrNull(x) : null,
                h0 is { RequiresGrad: true } ? GradArrayOrNull(h0) : null,
                c0 is { RequiresGrad: true } ? GradArrayOrNull(c0) : null, StackGradients(layers));
        }, cN is null ? [y, hN] : [y, hN, cN]);
        return new RecurrentResult<T>(y, hN, cN);
    }

    /// <summary>
    /// A language model's training loss in one op: the stack of <see cref="RecurrentStackPipelined{T}"/> over one-hot
    /// <paramref name="tokens"/> [T, B], then the output layer <c>logits = h·Wᵀ + b</c> and the mean cross-entropy against
    /// <paramref name="targets"/> [B, T] (batch order, as the logits [B, T, V] of the separate ops line up). The head
    /// runs inside the pipeline, range by range, on whichever thread is idle. Same values and gradients, bit for bit,
    /// as <c>Op.Linear</c> over the stack's output followed by <c>Op.CrossEntropy</c> (mean, no ignored rows).
    /// </summary>
    /// <returns>The loss (a scalar), HN [L, B, H], CN [L, B, H] (LSTM) or null.</returns>
    /// <exception cref="ArgumentException">A shape does not fit, or an id or a target is out of range; the message names the op.</exception>
    internal static (Tensor<T> Loss, Tensor<T> HN, Tensor<T>? CN) RecurrentStackLanguageModelLoss<T>(RecurrentMode mode, int[] tokens,
        int steps, int batch, IReadOnlyList<RecurrentWeights<T>> layers, Tensor<T>? h0, Tensor<T>? c0, double dropout, Rng? dropoutRng,
        Tensor<T> headWeight, Tensor<T>? headBias, int[] targets)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (op, pipeline, H) = StackPipeline(mode, null, tokens, steps, batch, layers, h0, c0, dropout, dropoutRng);
        int L = layers.Count;
        if (headWeight.Rank != 2 || headWeight.Dim(1) != H)
            throw new ArgumentException($"{op}: head weight {Tensor<T>.FormatShape(headWeight.Shape)} does not fit the hidden size {H} ([V, {H}]).");
        int V = headWeight.Dim(0);
        if (headBias is not null && (headBias.Rank != 1 || headBias.Length != V))
            throw new ArgumentException($"{op}: head bias {Tensor<T>.FormatShape(headBias.Shape)} does not match [{V}].");
        if (targets.Length != (long)batch * steps)
            throw new ArgumentException($"{op}: {targets.Length} targets for [B={batch}, T={steps}].");
        for (int i = 0; i < targets.Length; i++)
            if ((uint)targets[i] >= (uint)V)
                throw new ArgumentException($"{op}: target {targets[i]} at row {i / steps}, step {i % steps} is out of range for {V} classes (valid 0..{V - 1}).");

        var head = new PipelineHead<T>(steps, batch, H, V, headWeight.Array, headBias?.Array, (int[])targets.Clone());
        pipeline.SetHead(head);
        var hN = new Tensor<T>(L, batch, H);                                                            // [L, B, H]
        var cN = mode == RecurrentMode.Lstm ? new Tensor<T>(L, batch, H) : null;
        var inputs = GraphInputs(null, h0, c0, layers).Append(headWeight).Append(headBias).ToArray();
        bool record = Graph.ShouldRecord(inputs);
        pipeline.Forward(null, tokens, h0?.Array, c0?.Array, [], hN.Array, cN?.Array);
        var (total, count) = head.LossSums();
        var loss = new Tensor<T>(Array.Empty<int>());
        loss.Data[0] = total / count;                                                                   // as Op.CrossEntropy's mean
        if (!record)
        {
            pipeline.Release();
            return (loss, hN, cN);
        }

        Graph.Record(op + " + head + cross-entropy", inputs, () =>
        {
            if (loss.Grad is not { } dLoss) { pipeline.Release(); return; }
            T rowScale = dLoss.Data[0] / count * T.One;                                                 // Op.CrossEntropy: (dy / Σw)·w_i
            pipeline.Backward(null, hN.Grad?.Array, cN?.Grad?.Array, null,
                h0 is { RequiresGrad: true } ? GradArrayOrNull(h0) : null,
                c0 is { RequiresGrad: true } ? GradArrayOrNull(c0) : null, StackGradients(layers),
                rowScale, (GradArrayOrNull(headWeight), headBias is null ? null : GradArrayOrNull(headBias)));
        }, cN is null ? [loss, hN] : [loss, hN, cN]);
        return (loss, hN, cN);
    }

    /// <summary>Validates a pipelined stack's operands and builds its pipeline (dropout masks drawn in layer order).</summary>
    private static (string Op, RecurrentPipeline<T> Pipeline, int Hidden) StackPipeline<T>(RecurrentMode mode, Tensor<T>? x, int[]? tokens,
        int steps, int batch, IReadOnlyList<RecurrentWeights<T>> layers, Tensor<T>? h0, Tensor<T>? c0, double dropout, Rng? dropoutRng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string op = $"{mode.DisplayName()} stack";
        int L = layers.Count;
        if (L < 2) throw new ArgumentException($"{op}: the pipelined stack needs at least 2 layers, got {L}.");
        if ((x is null) == (tokens is null)) throw new ArgumentException($"{op}: give either a dense input or token ids.");
        int I = layers[0].WeightIh.Rank == 2 ? layers[0].WeightIh.Dim(1) : -1;
        int H = layers[0].WeightHh.Rank == 2 ? layers[0].WeightHh.Dim(1) : -1;
        if (x is not null && (x.Rank != 3 || x.Dim(0) != steps || x.Dim(1) != batch || x.Dim(2) != I))
            throw new ArgumentException($"{op}: input {Tensor<T>.FormatShape(x.Shape)} does not match [T={steps}, B={batch}, I={I}].");
        if (tokens is not null) ValidateTokens(op, tokens, steps, batch, I);
        for (int l = 0; l < L; l++) ValidateWeights(op, mode, layers[l], l == 0 ? I : H, H);
        ValidateState(op, "h0", h0, L, batch, H);
        if (c0 is not null && mode != RecurrentMode.Lstm) throw new ArgumentException($"{op}: c0 is only used by the LSTM.");
        ValidateState(op, "c0", c0, L, batch, H);
        if (!(dropout >= 0 && dropout <= 1)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"{op}: dropout must be in [0, 1].");

        // One draw per boundary, in layer order: the generator advances exactly as with Op.Dropout after each layer.
        var masks = new DropoutMask<T>?[L - 1];
        if (dropout > 0 && dropoutRng is not null)
            for (int l = 0; l < L - 1; l++) masks[l] = new DropoutMask<T>(dropoutRng.NextUInt64(), dropout);

        var runs = new RecurrentDirection<T>[L];
        for (int l = 0; l < L; l++)
        {
            var w = layers[l];
            runs[l] = new RecurrentDirection<T>(mode, steps, batch, l == 0 ? I : H, H, reverse: false, null, null,
                w.WeightIh.Array, w.WeightHh.Array, w.BiasIh?.Array, w.BiasHh?.Array);
        }
        // Whole layers per thread pay off when a step's GEMM is worth running on a core of its own.
        long stepWork = (long)batch * mode.GateCount() * H * H;
        int parts = stepWork >= RecurrentParallelMinWork ? Math.Min(Parallelism.Threads, L) : 1;
        return (op, new RecurrentPipeline<T>(runs, masks, steps, batch, H, parts), H);
    }

    /// <summary>Where each layer's parameter gradients go (allocated on first use).</summary>
    private static RecurrentGradients<T>[] StackGradients<T>(IReadOnlyList<RecurrentWeights<T>> layers) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var grads = new RecurrentGradients<T>[layers.Count];
        for (int l = 0; l < layers.Count; l++)
        {
            var w = layers[l];
            grads[l] = new RecurrentGradients<T>(GradArrayOrNull(w.WeightIh), GradArrayOrEmpty(w.WeightHh),
                GradArrayOrEmpty(w.BiasIh), GradArrayOrEmpty(w.BiasHh));
        }
        return grads;
    }

    private static T[] GradArrayOrEmpty<T>(Tensor<T>? t) where T : unmanaged, IFloatingPointIeee754<T>
        => t is { RequiresGrad: true } ? GradArrayOrNull(t)! : [];
}
