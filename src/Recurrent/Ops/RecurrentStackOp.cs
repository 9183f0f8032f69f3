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

        var y = new Tensor<T>(GC.AllocateUninitializedArray<T>(batch * steps * H), batch, steps, H);   // [B, T, H], fully written
        var hN = new Tensor<T>(L, batch, H);                                                            // [L, B, H]
        var cN = mode == RecurrentMode.Lstm ? new Tensor<T>(L, batch, H) : null;
        var inputs = GraphInputs(x, h0, c0, layers);
        bool record = Graph.ShouldRecord(inputs);

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
        var pipeline = new RecurrentPipeline<T>(runs, masks, steps, batch, H, parts);
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
            var grads = new RecurrentGradients<T>[L];
            for (int l = 0; l < L; l++)
            {
                var w = layers[l];
                grads[l] = new RecurrentGradients<T>(GradArrayOrNull(w.WeightIh), GradArrayOrEmpty(w.WeightHh),
                    GradArrayOrEmpty(w.BiasIh), GradArrayOrEmpty(w.BiasHh));
            }
            pipeline.Backward(dY?.Array, dhN?.Array, dcN?.Array,
                x is { RequiresGrad: true } ? GradArrayOrNull(x) : null,
                h0 is { RequiresGrad: true } ? GradArrayOrNull(h0) : null,
                c0 is { RequiresGrad: true } ? GradArrayOrNull(c0) : null, grads);
        }, cN is null ? [y, hN] : [y, hN, cN]);
        return new RecurrentResult<T>(y, hN, cN);
    }

    private static T[] GradArrayOrEmpty<T>(Tensor<T>? t) where T : unmanaged, IFloatingPointIeee754<T>
        => t is { RequiresGrad: true } ? GradArrayOrNull(t)! : [];
}
