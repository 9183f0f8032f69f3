// A language model's output layer and loss run inside a RecurrentPipeline, one step range at a time: logits =
// h·Wᵀ + b over the top layer's states, the mean cross-entropy against the targets, and backward the logits'
// gradient, the top layer's output gradient dY = dlogits·W and (once every range is done) dW, db.
// Letters: T steps, B batch, H hidden, V classes (vocabulary); "step order" = rows t·B + b as the recurrence
// stores them, "batch order" = rows b·T + t as the model's [B, T, ·] output and the targets are laid out.
//
// Why: run as separate ops (Linear, then CrossEntropy) these are serial phases of a training step (~4–6 ms of
// ~90 at two threads), and the top layer's output is copied to batch order and its gradient back to step order
// on the pipeline's critical path. Inside the pipeline the ranges run on whichever thread is idle (the lower
// layer's thread waits for the top layer at the end of the forward and at the start of the backward).
//
// Exactness: each element goes through exactly the operations of Op.Linear + Op.CrossEntropy (mean, no ignored
// rows): the GEMMs over a range's rows compute each row as the whole GEMM does, the loss sums the per-row losses
// in batch order, and dW = dlogitsᵀ·y runs as one GEMM over the rows in batch order as Linear's backward does.
// So a training step gives the same bits as model.Forward + Op.CrossEntropy (tests compare them).
using System.Numerics;
using Recurrent.Kernels;

namespace Recurrent.Ops;

internal sealed class PipelineHead<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _steps, _batch, _hidden, _classes;
    private readonly T[] _weight;               // [V, H]
    private readonly T[]? _bias;                // [V] or null
    private readonly int[] _targets;            // [B·T] batch order, each in 0..V−1
    private T[]? _yBatch;                       // [B·T, H] the top layer's output in batch order (dW's right operand)
    private T[]? _prob;                         // [T·B, V] step order: the logits, then their softmax in place
    private T[]? _perRow;                       // [B·T] batch order: −log p(target)
    private T[]? _dLogitsStep;                  // [T·B, V] step order (dY's left operand)
    private T[]? _dLogitsBatch;                 // [B·T, V] batch order (dW's left operand, db's rows)
    private T[]? _dYStep;                       // [T·B, H] step order: the top layer's output gradient

    /// <param name="steps">T.</param>
    /// <param name="batch">B.</param>
    /// <param name="hidden">H.</param>
    /// <param name="classes">V.</param>
    /// <param name="weight">[V, H] head weight (kept by reference).</param>
    /// <param name="bias">[V] head bias, or null.</param>
    /// <param name="targets">[B·T] next-token ids in batch order, validated by the caller.</param>
    public PipelineHead(int steps, int batch, int hidden, int classes, T[] weight, T[]? bias, int[] targets)
    {
        _steps = steps; _batch = batch; _hidden = hidden; _classes = classes;
        _weight = weight; _bias = bias; _targets = targets;
    }

    /// <summary>Rents the forward buffers (before the first <see cref="ForwardRange"/>).</summary>
    public void BeginForward()
    {
        int TB = _steps * _batch;
        _yBatch = RecurrentBuffers<T>.Rent(TB * _hidden, clear: false);
        _prob = RecurrentBuffers<T>.Rent(TB * _classes, clear: false);
        _perRow = RecurrentBuffers<T>.Rent(TB, clear: false);
    }

    /// <summary>Logits, softmax and per-row losses of steps [s0, s1), from the top layer's states <paramref name="states"/>
    /// [T+1, B, H] (slot s+1 = h after step s).</summary>
    public void ForwardRange(int s0, int s1, ReadOnlySpan<T> states)
    {
        int B = _batch, H = _hidden, V = _classes, T_ = _steps, rows = (s1 - s0) * B, r0 = s0 * B;
        var h = states.Slice((s0 + 1) * B * H, rows * H);                              // [rows, H] step order
        for (int t = s0; t < s1; t++)                                                  // the output in batch order, for dW
            for (int b = 0; b < B; b++)
                h.Slice(((t - s0) * B + b) * H, H).CopyTo(_yBatch.AsSpan((b * T_ + t) * H, H));
        var logits = _prob.AsSpan(r0 * V, rows * V);                                   // [rows, V]
        PartGemm.Multiply(false, true, rows, V, H, h, _weight, logits, accumulate: false, serial: true);   // as Op.Linear
        if (_bias is not null) Elementwise.AddRowToEach<T>(logits, _bias);
        Span<T> logp = V <= 256 ? stackalloc T[V] : new T[V];
        for (int r = 0; r < rows; r++)                                                 // as Op.CrossEntropy, weight 1 per row
        {
            var row = logits.Slice(r * V, V);
            Op.SoftmaxRow<T>(row, logp, log: true);
            for (int j = 0; j < V; j++) row[j] = T.Exp(logp[j]);
            int i = BatchRow(r0 + r);
            _perRow![i] = -T.One * logp[_targets[i]];
        }
    }

    /// <summary>The mean loss: the per-row losses summed in batch order, over the number of rows (as Op.CrossEntropy).</summary>
    public (T Total, T Count) LossSums()
    {
        T total = T.Zero, count = T.Zero;
        for (int i = 0; i < _steps * _batch; i++) { total += _perRow![i]; count += T.One; }
        return (total, count);
    }

    /// <summary>Rents the backward buffers; the returned [T·B, H] step-order buffer receives the top layer's output
    /// gradient range by range (<see cref="BackwardRange"/>).</summary>
    public T[] BeginBackward()
    {
        int TB = _steps * _batch;
        _dLogitsStep = RecurrentBuffers<T>.Rent(TB * _classes, clear: false);
        _dLogitsBatch = RecurrentBuffers<T>.Rent(TB * _classes, clear: false);
        _dYStep = RecurrentBuffers<T>.Rent(TB * _hidden, clear: false);
        return _dYStep;
    }

    /// <summary>dlogits of steps [s0, s1) for the upstream factor <paramref name="rowScale"/> (d loss / count), then
    /// the top layer's output gradient of those steps, dY = dlogits·W.</summary>
    public void BackwardRange(int s0, int s1, T rowScale)
    {
        int B = _batch, H = _hidden, V = _classes, rows = (s1 - s0) * B, r0 = s0 * B;
        for (int r = r0; r < r0 + rows; r++)
        {
            int i = BatchRow(r);
            var p = _prob.AsSpan(r * V, V);
            var g = _dLogitsStep.AsSpan(r * V, V);
            for (int j = 0; j < V; j++) g[j] = T.Zero + rowScale * p[j];                // Op.CrossEntropy adds into a zeroed gradient
            g[_targets[i]] -= rowScale;
            g.CopyTo(_dLogitsBatch.AsSpan(i * V, V));
        }
        var dY = _dYStep.AsSpan(r0 * H, rows * H);
        dY.Clear();                                                                    // Op.Linear adds into a zeroed gradient
        PartGemm.Multiply(false, false, rows, H, V, _dLogitsStep.AsSpan(r0 * V, rows * V), _weight, dY, accumulate: true, serial: true);
    }

    /// <summary>dW += dlogitsᵀ·y and db += Σ_rows dlogits over all rows in batch order (after every <see cref="BackwardRange"/>).</summary>
    public void WeightGradients(T[]? dWeight, T[]? dBias)
    {
        int TB = _steps * _batch;
        if (dWeight is not null) PartGemm.Multiply(true, false, _classes, _hidden, TB, _dLogitsBatch, _yBatch, dWeight, accumulate: true, serial: true);
        if (dBias is not null) Elementwise.SumRowsInto<T>(_dLogitsBatch, dBias);
    }

    /// <summary>Returns every buffer to the pool.</summary>
    public void Release()
    {
        RecurrentBuffers<T>.Return(_yBatch);
        RecurrentBuffers<T>.Return(_prob);
        RecurrentBuffers<T>.Return(_perRow);
        RecurrentBuffers<T>.Return(_dLogitsStep);
        RecurrentBuffers<T>.Return(_dLogitsBatch);
        RecurrentBuffers<T>.Return(_dYStep);
        _yBatch = _prob = _perRow = _dLogitsStep = _dLogitsBatch = _dYStep = null;
    }

    /// <summary>Batch-order row of step-order row r = t·B + b.</summary>
    private int BatchRow(int r) => r % _batch * _steps + r / _batch;
}
