// The time loop of one direction of one recurrent layer, forward and backward, over spans.
// Letters: T = time steps, B = batch rows, I = input features, H = hidden units, G = gates·H.
// Everything runs time-major ([T, B, ·]) so each step reads and writes contiguous [B, ·] blocks.
// Not an op by itself: Op.RecurrentLayer and Op.RecurrentCell wrap it and record the graph.
//
// Speed plan (DESIGN.md §Speed): the input projection of all steps is ONE GEMM before the loop; each
// step does one GEMM on the fused recurrent weight plus one fused gate kernel; backward does per step
// only the gate kernel and dh_prev = dGates·W_hh, and the weight/bias/input gradients are each ONE GEMM
// over all T·B rows after the loop. Buffers are allocated once per call, never per step. With more than
// one thread the time loop runs blocks of batch rows in parallel (see RunTimeLoop). A one-hot input given
// as token ids (ForwardOneHot) gathers rows of W_ihᵀ instead of multiplying by a mostly-zero X.
//
// Variable lengths: row b is active at step s while s < length[b]; a finished row keeps its state and
// outputs zero. The reverse direction runs over gathered reversed time, step s reading time
// length[b] − 1 − s, which reproduces PyTorch's packed-sequence results.
using System.Numerics;
using System.Numerics.Tensors;
using Recurrent.Kernels;
using Recurrent.Nn;

namespace Recurrent.Ops;

internal sealed class RecurrentDirection<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The LSTM backward steps write the gate gradients over the saved activations of their step (float32 fast
    /// kernel only; each unit's four activations are read before its four gradients are written, and nothing reads a
    /// step's activations after its backward step). The separate [T, B, G] gradient buffer was fresh memory: every line
    /// the gate kernel wrote was a read-for-ownership miss, 128 KB per step at B=32 H=256, on top of the 128 KB of
    /// activations it reads. Same values; on by default, a switch for the benchmarks' in-process A/B (read per pass).</summary>
    internal static bool GradientsOverActivations = true;

    /// <summary>Rows per GEMM call of a pipeline stage or fill (0 = the whole range in one call): a range's GEMM runs as
    /// blocks of this many rows, a stage adding the bias to each block right after it. An 8-step range at B=32 is 256 rows:
    /// its stage writes 1 MB of gates, which streams through the 512 KB L2 and evicts the 256 KB of input rows that every
    /// 16-column panel re-reads; in 128-row blocks the stage GEMMs of a train lm step took ~9% less thread time in
    /// place (`lmstep --ab rows128`), and 64-row blocks are as fast and let both threads share a stage
    /// (RecurrentPipeline.ShareStages; docs/benchmarks.md). Same bits (each row's arithmetic does not depend on the rows
    /// beside it; the bias is the same one addition per element). A switch for the benchmarks' A/B and the tests.</summary>
    internal static int RangeGemmRows = 64;

    private readonly RecurrentMode _mode;
    private readonly int _steps, _batch, _inputSize, _hidden, _gates;
    private readonly bool _reverse;
    private readonly int[]? _lengths;          // [B] or null = all rows run all T steps
    private readonly bool[]? _active;          // [T, B] or null = all active
    private readonly T[] _wIh, _wHh;           // [G, I], [G, H]
    private readonly T[]? _bIh, _bHh;          // [G]

    // Saved by Forward for Backward.
    private T[] _x = [];                       // [T, B, I] input in this direction's step order
    private T[] _acts = [];                    // [T, B, G] activated gates (RNN: pre-activations, unused)
    private T[] _hs = [];                      // [T+1, B, H] states; _hs[0] = h0
    private T[]? _cs;                          // [T+1, B, H] LSTM cell states
    private T[]? _hn;                          // [T, B, H] GRU: W_hn·h + b_hn
    private bool _xOwned;                      // _x is a pooled gathered copy (reverse), not the caller's input
    private int[]? _tokens;                    // [T, B] one-hot input as ids in step order (−1 = finished row), or null
    private bool _saved;                       // the buffers above hold a forward pass not yet released

    // Per-call workspaces of the row-parallel time loops (set by Forward/Backward, read by ForwardRows/BackwardRows).
    private RecurrentWeightOperand<T>? _recurrent;  // packed W_hh for this pass
    private T[]? _hg;                          // [B, G] GRU: this step's hidden projection
    private T[]? _dYd;                         // [T, B, H] output gradient in step order, or null
    private T[]? _dh, _dc;                     // [B, H] carried state gradients
    private T[]? _dG, _dGh;                    // [T, B, G] gate gradients (input side; hidden side for the GRU)
    private bool _wantDh0;                     // d h0 is requested: run dh_prev·W_hh at the first step too
    private T[]? _wT;                          // [I, G] W_ihᵀ (one-hot forward) or dW_ihᵀ (one-hot backward)
    private T[]? _bias;                        // [G] folded bias (one-hot forward) or Σ_rows of a gate gradient (backward)
    private T[]? _sumSource;                   // [T·B, G] the gate gradient whose rows Pass.SumRows adds up
    private T[]? _dWih;                        // [G, I] the weight_ih gradient that Pass.ScatterInput accumulates into
    private bool _dYOwned;                     // _dYd is a rented gathered copy (else it is the caller's dY itself)

    public RecurrentDirection(RecurrentMode mode, int steps, int batch, int inputSize, int hidden, bool reverse,
        int[]? lengths, bool[]? active, T[] wIh, T[] wHh, T[]? bIh, T[]? bHh)
    {
        _mode = mode; _steps = steps; _batch = batch; _inputSize = inputSize; _hidden = hidden;
        _gates = mode.GateCount() * hidden;
        _reverse = reverse; _lengths = lengths; _active = active;
        _wIh = wIh; _wHh = wHh; _bIh = bIh; _bHh = bHh;
    }

    /// <summary>Time index read at step s by row b, or −1 when the row has finished.</summary>
    private int SourceTime(int s, int b)
    {
        int len = _lengths?[b] ?? _steps;
        if (s >= len) return -1;
        return _reverse ? len - 1 - s : s;
    }

    /// <summary>Row of the layer output holding (time t, batch row b): [T, B, ·] or batch-first [B, T, ·].</summary>
    private int OutputRow(int t, int b, bool batchFirst) => batchFirst ? b * _steps + t : t * _batch + b;

    private ReadOnlySpan<bool> ActiveAt(int s) => _active is null ? default : _active.AsSpan(s * _batch, _batch);

    /// <summary>
    /// Runs the direction. <paramref name="x"/> is the layer input [T, B, I] in time order (kept, not
    /// copied, for the forward direction: the caller must not modify it before Backward).
    /// Writes this direction's outputs into columns [yOffset, yOffset+H) of <paramref name="y"/>
    /// [T, B, yStride] (or [B, T, yStride] when yBatchFirst), which must be zero-filled (finished rows stay
    /// zero); y may be empty.
    /// </summary>
    public void Forward(T[] x, ReadOnlySpan<T> h0, ReadOnlySpan<T> c0, Span<T> y, int yOffset, int yStride, bool yBatchFirst,
        Span<T> hN, Span<T> cN, bool keepForBackward)
    {
        int T_ = _steps, B = _batch, I = _inputSize, G = _gates, TB = T_ * B;
        bool padded = _lengths is not null;

        // x in step order: the reverse direction gathers rows so that step s holds time len−1−s.
        if (_reverse)
        {
            _x = RecurrentBuffers<T>.Rent(TB * I, clear: padded);                 // finished rows stay zero
            _xOwned = true;
            for (int s = 0; s < T_; s++)
                for (int b = 0; b < B; b++)
                {
                    int t = SourceTime(s, b);
                    if (t >= 0) x.AsSpan((t * B + b) * I, I).CopyTo(_x.AsSpan((s * B + b) * I, I));
                }
        }
        else { _x = x; _xOwned = false; }

        // Input projection for all steps as one GEMM: acts = X·W_ihᵀ + bias.       // [T·B, G]
        _acts = RecurrentBuffers<T>.Rent(TB * G, clear: false);
        PartGemm.Multiply(false, true, TB, G, I, _x, _wIh, _acts, accumulate: false);
        var bias = FoldedBias();
        if (bias is not null) { Elementwise.AddRowToEach<T>(_acts, bias); RecurrentBuffers<T>.Return(bias); }

        Recur(h0, c0, y, yOffset, yStride, yBatchFirst, hN, cN, keepForBackward);
    }

    /// <summary>
    /// As <see cref="Forward"/> for a one-hot input given by token ids: <c>x[t, b] = onehot(tokens[t·B + b], I)</c>
    /// ([T, B] time-major, ids validated by the caller). The input projection of a one-hot row is a row of
    /// W_ihᵀ, so it is gathered instead of multiplied (exactly the same values: the GEMM adds only zeros to it),
    /// and Backward scatters the gate gradients into dW_ih. The ids have no gradient.
    /// </summary>
    public void ForwardOneHot(int[] tokens, ReadOnlySpan<T> h0, ReadOnlySpan<T> c0, Span<T> y, int yOffset, int yStride, bool yBatchFirst,
        Span<T> hN, Span<T> cN, bool keepForBackward)
    {
        int T_ = _steps, B = _batch, I = _inputSize, G = _gates, TB = T_ * B;
        // Ids in step order (the reverse direction reads time len−1−s at step s); −1 = finished row (zero input).
        _tokens = new int[TB];
        for (int s = 0; s < T_; s++)
            for (int b = 0; b < B; b++)
            {
                int t = _reverse ? SourceTime(s, b) : s;                              // the forward direction keeps finished rows' ids: their gates are masked
                _tokens[s * B + b] = t >= 0 ? tokens[t * B + b] : -1;
            }

        _wT = RecurrentBuffers<T>.Rent(I * G, clear: false);                        // [I, G] = W_ihᵀ: row v is token v's projection
        Transpose(_wIh, G, I, _wT);
        _bias = FoldedBias();                                                        // [G] or null
        _acts = RecurrentBuffers<T>.Rent(TB * G, clear: false);                     // [T·B, G]
        RunParts(Pass.GatherInput, (long)TB * G);
        RecurrentBuffers<T>.Return(_bias);
        RecurrentBuffers<T>.Return(_wT);
        _bias = _wT = null;

        Recur(h0, c0, y, yOffset, yStride, yBatchFirst, hN, cN, keepForBackward);
    }

    /// <summary>The recurrence over the projected inputs in <see cref="_acts"/>, then the outputs.</summary>
    private void Recur(ReadOnlySpan<T> h0, ReadOnlySpan<T> c0, Span<T> y, int yOffset, int yStride, bool yBatchFirst,
        Span<T> hN, Span<T> cN, bool keepForBackward)
    {
        BeginRecurrence(h0, c0);
        RunTimeLoop(backward: false);
        EndRecurrence(y, yOffset, yStride, yBatchFirst, hN, cN, keepForBackward);
    }

    /// <summary>Rents the state buffers, copies h0 (c0) into slot 0 and packs W_hh for the forward steps.</summary>
    internal void BeginRecurrence(ReadOnlySpan<T> h0, ReadOnlySpan<T> c0)
    {
        int T_ = _steps, B = _batch, H = _hidden, G = _gates, BH = B * H, TB = T_ * B;
        _hs = RecurrentBuffers<T>.Rent((T_ + 1) * BH, clear: false);               // [T+1, B, H]
        if (!h0.IsEmpty) h0[..BH].CopyTo(_hs); else _hs.AsSpan(0, BH).Clear();
        if (_mode == RecurrentMode.Lstm)
        {
            _cs = RecurrentBuffers<T>.Rent((T_ + 1) * BH, clear: false);           // [T+1, B, H]
            if (!c0.IsEmpty) c0[..BH].CopyTo(_cs); else _cs.AsSpan(0, BH).Clear();
        }
        if (_mode == RecurrentMode.Gru) { _hn = RecurrentBuffers<T>.Rent(TB * H, clear: false); _hg = RecurrentBuffers<T>.Rent(B * G, clear: false); }

        _recurrent = RecurrentWeightOperand<T>.ForForward(_wHh, G, H);             // W_hh packed once for all steps
    }

    /// <summary>Releases the packed W_hh, writes the outputs (y, hN, cN) and keeps or releases the saved buffers.</summary>
    internal void EndRecurrence(Span<T> y, int yOffset, int yStride, bool yBatchFirst, Span<T> hN, Span<T> cN, bool keepForBackward)
    {
        int T_ = _steps, B = _batch, H = _hidden, BH = B * H;
        _recurrent!.Release();
        _recurrent = null;
        RecurrentBuffers<T>.Return(_hg);
        _hg = null;

        if (!y.IsEmpty)
            for (int s = 0; s < T_; s++)
                for (int b = 0; b < B; b++)
                {
                    int t = SourceTime(s, b);
                    if (t >= 0) _hs.AsSpan(((s + 1) * B + b) * H, H).CopyTo(y.Slice(OutputRow(t, b, yBatchFirst) * yStride + yOffset, H));
                }
        _hs.AsSpan(T_ * BH, BH).CopyTo(hN);
        if (_cs is not null && !cN.IsEmpty) _cs.AsSpan(T_ * BH, BH).CopyTo(cN);
        _saved = true;
        if (!keepForBackward) Release();
    }

    // ----- the same passes in step ranges, for a pipelined stack (RecurrentPipeline) -----
    //
    // A forward-direction layer without lengths can run its input projection and its time loop a range of
    // steps at a time, and its backward loop likewise, so that the layer above (below) can start on the first
    // steps while this one is still running. Every element goes through exactly the operations of the whole
    // pass (a GEMM over fewer rows computes each row the same way), so the results are bit-identical.

    /// <summary>G = gates·H, the rows of W_ih and W_hh.</summary>
    internal int Gates => _gates;

    /// <summary>The states [T+1, B, H] of the last forward pass (slot s+1 = h after step s), valid until released.</summary>
    internal T[] States => _hs;

    /// <summary>Starts a forward pass whose input projection runs per step range (<see cref="ProjectInput"/>): a dense
    /// input <paramref name="x"/> [T, B, I] (kept by reference; it may be filled range by range before each
    /// <see cref="ProjectInput"/>) or one-hot token ids [T, B]. Forward direction without lengths only.</summary>
    internal void BeginInput(T[]? x, int[]? tokens)
    {
        if (_reverse || _lengths is not null) throw new InvalidOperationException("RecurrentDirection: step ranges need a forward direction without lengths.");
        int TB = _steps * _batch, I = _inputSize, G = _gates;
        if (tokens is not null)
        {
            _tokens = (int[])tokens.Clone();                                           // [T, B] step order = time order
            _wT = RecurrentBuffers<T>.Rent(I * G, clear: false);                        // [I, G] = W_ihᵀ
            Transpose(_wIh, G, I, _wT);
        }
        else { _x = x!; _xOwned = false; }
        _bias = FoldedBias();                                                        // [G] or null
        _acts = RecurrentBuffers<T>.Rent(TB * G, clear: false);                     // [T·B, G]
    }

    /// <summary>The input projection of steps [s0, s1): acts = x·W_ihᵀ + bias (a GEMM over those rows) or the gathered
    /// rows of W_ihᵀ (+ bias).</summary>
    internal void ProjectInput(int s0, int s1)
    {
        int B = _batch, r0 = s0 * B, rows = (s1 - s0) * B;
        if (_tokens is not null) { GatherRows(r0, r0 + rows); return; }
        if (PartGemm.InPart)
        {
            int block = RangeGemmRows > 0 ? RangeGemmRows : rows;
            for (int i = 0; i < rows; i += block) ProjectInputRows(r0 + i, Math.Min(block, rows - i));
            return;
        }
        int I = _inputSize, G = _gates;
        var acts = _acts.AsSpan(r0 * G, rows * G);
        PartGemm.Multiply(false, true, rows, G, I, _x.AsSpan(r0 * I, rows * I), _wIh, acts, accumulate: false);   // one range: a GEMM split across threads
        if (_bias is not null) Elementwise.AddRowToEach<T>(acts, _bias);
    }

    /// <summary>The input projection of the dense input rows [r0, r0 + rows) (row = step·B + b) on the calling thread, inside a
    /// pipeline part: acts = x·W_ihᵀ, then the bias, while the block's gates are still in L2. Each row's values do not depend
    /// on the block it is computed in.</summary>
    internal void ProjectInputRows(int r0, int rows)
    {
        int I = _inputSize, G = _gates;
        var c = _acts.AsSpan(r0 * G, rows * G);
        InputOperand(forward: true).MultiplyInto(rows, _x.AsSpan(r0 * I, rows * I), c, accumulate: false);
        if (_bias is not null) Elementwise.AddRowToEach<T>(c, _bias);
    }

    /// <summary>Ends the input stage (returns its work buffers).</summary>
    internal void EndInput()
    {
        RecurrentBuffers<T>.Return(_bias);
        RecurrentBuffers<T>.Return(_wT);
        _bias = _wT = null;
        ReleaseInputOperand();
    }

    /// <summary>Forward steps [s0, s1) for all rows (after <see cref="BeginRecurrence"/> and their input projection).</summary>
    internal void RecurSteps(int s0, int s1) => ForwardRows(0, _batch, s0, s1);

    /// <summary>Backward steps s1−1 down to s0 for all rows (after <see cref="BeginBackward"/>; dY of those steps must be final).</summary>
    internal void BackSteps(int s0, int s1) => BackwardRows(0, _batch, s0, s1);

    /// <summary><c>dX[rows of steps s0..s1) += dGates·W_ih</c>: the input gradient of those steps, once they have run backward.
    /// <paramref name="dX"/> holds exactly those rows [(s1−s0)·B, I].</summary>
    internal void InputGradientRows(int s0, int s1, Span<T> dX)
    {
        int B = _batch, I = _inputSize, G = _gates, rows = (s1 - s0) * B;
        if (PartGemm.InPart)
        {
            var op = InputOperand(forward: false);
            int block = RangeGemmRows > 0 ? RangeGemmRows : rows;
            for (int i = 0; i < rows; i += block)
            {
                int n = Math.Min(block, rows - i);
                op.MultiplyInto(n, _dG.AsSpan((s0 * B + i) * G, n * G), dX.Slice(i * I, n * I), accumulate: true);
            }
        }
        else PartGemm.Multiply(false, false, rows, I, G, _dG.AsSpan(s0 * B * G, rows * G), _wIh, dX[..(rows * I)], accumulate: true);
    }

    // W_ihᵀ (forward) or W_ih (backward) packed once per pass for the step-range GEMMs above when they run inside a
    // pipeline's part (one thread each): a plain GEMM packs its B operand (1 MB at H=256) on every call, i.e. once
    // per range (8–10 per pass) on the pipeline's busy threads. Outside a part (one range, the whole pass) the plain
    // GEMM stays: it packs once anyway and may split across the workers.
    // StepGemm over the packed operand is bit-identical to Gemm.Multiply over the unpacked one (same depth blocks,
    // same per-element order, same store or add), so nothing changes but the packing.
    private RecurrentWeightOperand<T>? _inputOperand;
    private bool _inputOperandForward;
    private readonly object _inputOperandLock = new();

    /// <summary>W_ih packed once per pass, on first use (the two threads of a pipeline may ask at the same time).</summary>
    private RecurrentWeightOperand<T> InputOperand(bool forward)
    {
        var op = Volatile.Read(ref _inputOperand);
        if (op is null)
            lock (_inputOperandLock)
            {
                if (_inputOperand is null)
                {
                    _inputOperandForward = forward;
                    Volatile.Write(ref _inputOperand, forward ? RecurrentWeightOperand<T>.ForForward(_wIh, _gates, _inputSize)
                                                              : RecurrentWeightOperand<T>.ForBackward(_wIh, _gates, _inputSize));
                }
                op = _inputOperand;
            }
        if (_inputOperandForward != forward)
            throw new InvalidOperationException("RecurrentDirection: the packed W_ih of the other pass was not released.");
        return op!;
    }

    private void ReleaseInputOperand()
    {
        _inputOperand?.Release();
        _inputOperand = null;
    }

    // ----- the time loops, split over batch rows -----
    //
    // Rows of a minibatch never interact inside the recurrence, so each part runs a fixed block of rows
    // through ALL T steps with no synchronisation between steps (only the read-only packed W_hh is shared),
    // like FusedCharLm. Every element goes through the same operations whichever part owns its row (the
    // step GEMM accumulates each element alone in k order, the gate kernels are per element), so results do
    // not depend on the thread count. Splitting the columns of each step's GEMM instead would need two
    // barriers per step, and one late thread on a shared machine would stall the other at every step.

    private void RunTimeLoop(bool backward)
    {
        int parts = Math.Min(Parallelism.Threads, _batch);
        // A block of rows must be worth a wake-up: below ~1M multiply-adds per step and part, stay on one thread.
        if ((long)_batch * _gates * _hidden < Op.RecurrentParallelMinWork * parts) parts = 1;
        var body = new TimeLoop(this, backward);
        if (parts == 1) body.Run(0, 1);
        else Parallelism.Run(parts, ref body);
    }

    private readonly struct TimeLoop(RecurrentDirection<T> owner, bool backward) : IParallelBody
    {
        public void Run(int part, int parts)
        {
            int b0 = (int)((long)owner._batch * part / parts), b1 = (int)((long)owner._batch * (part + 1) / parts);
            if (b1 <= b0) return;
            if (backward) owner.BackwardRows(b0, b1 - b0);
            else owner.ForwardRows(b0, b1 - b0);
        }
    }

    /// <summary>Rows [b0, b0+rows) of the [B] active mask at step s (empty = all active).</summary>
    private ReadOnlySpan<bool> ActiveRows(int s, int b0, int rows) => _active is null ? default : _active.AsSpan(s * _batch + b0, rows);

    /// <summary>Forward through steps [s0, s1) (all T by default) for batch rows [b0, b0+rows).</summary>
    private void ForwardRows(int b0, int rows, int s0 = 0, int s1 = -1)
    {
        if (s1 < 0) s1 = _steps;
        int T_ = _steps, B = _batch, H = _hidden, G = _gates, BH = B * H, rH = rows * H, rG = rows * G;
        var recurrent = _recurrent!;
        ReadOnlySpan<T> bhn = _mode == RecurrentMode.Gru && _bHh is not null ? _bHh.AsSpan(2 * H, H) : default;
        var hg = _hg is null ? default : _hg.AsSpan(b0 * G, rG);                           // [rows, G] GRU scratch
        for (int s = s0; s < s1; s++)
        {
            var active = ActiveRows(s, b0, rows);
            int hOff = s * BH + b0 * H;                                                 // these rows of slot s = h_{s-1}
            var hPrev = _hs.AsSpan(hOff, rH);
            var h = _hs.AsSpan(hOff + BH, rH);
            var gates = _acts.AsSpan((s * B + b0) * G, rG);                             // [rows, G]
            switch (_mode)
            {
                case RecurrentMode.Lstm:
                    recurrent.MultiplyInto(rows, hPrev, gates, accumulate: true);      // += h_prev·W_hhᵀ
                    LstmKernel.Forward(rows, H, gates, hPrev, _cs.AsSpan(hOff, rH), active, gates, h, _cs.AsSpan(hOff + BH, rH));
                    break;
                case RecurrentMode.Gru:
                    recurrent.MultiplyInto(rows, hPrev, hg, accumulate: false);        // h_prev·W_hhᵀ, bias apart
                    GruKernel.Forward(rows, H, gates, hg, bhn, hPrev, active, gates, _hn.AsSpan(hOff, rH), h);
                    break;
                default:
                    recurrent.MultiplyInto(rows, hPrev, gates, accumulate: true);
                    RnnKernel.Forward(rows, H, _mode == RecurrentMode.RnnRelu, gates, hPrev, active, h);
                    break;
            }
        }
    }

    /// <summary>Backward through steps s1−1 down to s0 (all T by default) for batch rows [b0, b0+rows): gate gradients
    /// and the carried dh (dc).</summary>
    private void BackwardRows(int b0, int rows, int s0 = 0, int s1 = -1)
    {
        if (s1 < 0) s1 = _steps;
        int T_ = _steps, B = _batch, H = _hidden, G = _gates, BH = B * H, rH = rows * H, rG = rows * G;
        var recurrent = _recurrent!;
        var dh = _dh.AsSpan(b0 * H, rH);                                                // [rows, H] carried
        var dc = _dc is null ? default : _dc.AsSpan(b0 * H, rH);
        for (int s = s1 - 1; s >= s0; s--)
        {
            var active = ActiveRows(s, b0, rows);
            int hOff = s * BH + b0 * H;
            ReadOnlySpan<T> dy = _dYd is null ? default : _dYd.AsSpan(hOff, rH);
            var acts = _acts.AsSpan((s * B + b0) * G, rG);
            var dGs = _dG.AsSpan((s * B + b0) * G, rG);
            var dGh = _dGh.AsSpan((s * B + b0) * G, rG);
            switch (_mode)
            {
                case RecurrentMode.Lstm:
                    LstmKernel.Backward(rows, H, acts, _cs.AsSpan(hOff, rH), _cs.AsSpan(hOff + BH, rH), active, dy, dh, dc, dGs);
                    break;
                case RecurrentMode.Gru:
                    GruKernel.Backward(rows, H, acts, _hn.AsSpan(hOff, rH), _hs.AsSpan(hOff, rH), active, dy, dh, dGs, dGh);
                    break;
                default:
                    RnnKernel.Backward(rows, H, _mode == RecurrentMode.RnnRelu, _hs.AsSpan(hOff + BH, rH), active, dy, dh, dGs);
                    break;
            }
            // dh_prev += dGates·W_hh (skipped at the first step when nobody wants d h0).
            if (s > 0 || _wantDh0) recurrent.MultiplyInto(rows, dGh, dh, accumulate: true);
        }
    }

    /// <summary>Returns the saved buffers to the pool (after backward, or when no backward will come).</summary>
    public void Release()
    {
        if (!_saved) return;
        _saved = false;
        if (_xOwned) RecurrentBuffers<T>.Return(_x);
        RecurrentBuffers<T>.Return(_acts);
        RecurrentBuffers<T>.Return(_hs);
        RecurrentBuffers<T>.Return(_cs);
        RecurrentBuffers<T>.Return(_hn);
        _x = _acts = _hs = [];
        _cs = _hn = null;
        _tokens = null;
    }

    // b_ih + b_hh (LSTM, RNN); for the GRU only the r and z slices of b_hh fold in, b_hn stays inside r⊙(·).
    private T[]? FoldedBias()
    {
        if (_bIh is null && _bHh is null) return null;
        var bias = RecurrentBuffers<T>.Rent(_gates, clear: true);
        if (_bIh is not null) _bIh.CopyTo(bias, 0);
        if (_bHh is not null)
        {
            int n = _mode == RecurrentMode.Gru ? 2 * _hidden : _gates;
            for (int j = 0; j < n; j++) bias[j] += _bHh[j];
        }
        return bias;
    }

    /// <summary>
    /// Back-propagates through the direction. Every destination accumulates (+=) and may be empty (dWih: null) to skip.
    /// <paramref name="dY"/> is the gradient of the layer output [T, B, yStride] (null = zero; read in place when it
    /// already is this direction's [T, B, H] in step order),
    /// <paramref name="dhN"/>/<paramref name="dcN"/> of the final states [B, H] (empty = zero).
    /// After <see cref="ForwardOneHot"/>, <paramref name="dX"/> must be empty (token ids have no gradient).
    /// </summary>
    public void Backward(T[]? dY, int yOffset, int yStride, bool yBatchFirst, ReadOnlySpan<T> dhN, ReadOnlySpan<T> dcN,
        Span<T> dX, Span<T> dh0, Span<T> dc0, T[]? dWih, Span<T> dWhh, Span<T> dbIh, Span<T> dbHh)
    {
        if (_tokens is not null && !dX.IsEmpty)
            throw new InvalidOperationException($"{_mode.DisplayName()} layer: a one-hot (token id) input has no gradient.");
        BeginBackward(dY, yOffset, yStride, yBatchFirst, dhN, dcN, wantDh0: !dh0.IsEmpty);
        RunTimeLoop(backward: true);
        EndBackward(dX, dh0, dc0, dWih, dWhh, dbIh, dbHh);
    }

    /// <summary>The first part of <see cref="Backward"/>: dY in step order, the carried dh (dc), the gate-gradient
    /// buffers and W_hh packed for the backward steps. A dY that already is [T, B, H] in step order is read in place,
    /// so it may still be filled (step range by step range) after this returns, before those steps run.</summary>
    internal void BeginBackward(T[]? dY, int yOffset, int yStride, bool yBatchFirst, ReadOnlySpan<T> dhN, ReadOnlySpan<T> dcN, bool wantDh0)
    {
        int T_ = _steps, B = _batch, H = _hidden, G = _gates, BH = B * H, TB = T_ * B;
        if (!_saved)
            throw new InvalidOperationException($"{_mode.DisplayName()} layer: backward ran twice through one forward pass; its saved activations were released after the first (run the forward pass again).");
        bool padded = _lengths is not null;

        // Output gradient in step order, contiguous per direction.                  // [T, B, H]
        if (dY is not null && !_reverse && !padded && !yBatchFirst && yStride == H)
        {
            _dYd = dY;                                                               // already [T, B, H] in step order
            _dYOwned = false;
        }
        else if (dY is not null)
        {
            _dYd = RecurrentBuffers<T>.Rent(TB * H, clear: padded);
            _dYOwned = true;
            for (int s = 0; s < T_; s++)
                for (int b = 0; b < B; b++)
                {
                    int t = SourceTime(s, b);
                    if (t >= 0) dY.AsSpan(OutputRow(t, b, yBatchFirst) * yStride + yOffset, H).CopyTo(_dYd.AsSpan((s * B + b) * H, H));
                }
        }
        _dh = RecurrentBuffers<T>.Rent(BH, clear: dhN.IsEmpty);                      // [B, H] carried dh
        if (!dhN.IsEmpty) dhN[..BH].CopyTo(_dh);
        if (_mode == RecurrentMode.Lstm)
        {
            _dc = RecurrentBuffers<T>.Rent(BH, clear: dcN.IsEmpty);                  // [B, H] carried dc
            if (!dcN.IsEmpty) dcN[..BH].CopyTo(_dc);
        }
        bool overActs = GradientsOverActivations && _mode == RecurrentMode.Lstm && typeof(T) == typeof(float) && FastActivation.IsAccelerated;
        _dG = overActs ? _acts : RecurrentBuffers<T>.Rent(TB * G, clear: false);      // [T, B, G] d input projection
        _dGh = _mode == RecurrentMode.Gru ? RecurrentBuffers<T>.Rent(TB * G, clear: false) : _dG; // [T, B, G] d hidden projection
        _wantDh0 = wantDh0;
        _recurrent = RecurrentWeightOperand<T>.ForBackward(_wHh, G, H);             // W_hh packed once for all steps
    }

    /// <summary>The last part of <see cref="Backward"/>: d h0 (c0), the weight, bias and input gradients (each
    /// destination accumulates; empty or null skips it), then every buffer goes back to the pool unless
    /// <paramref name="release"/> is false (the gate gradients are still read by the layer below: <see cref="ReleaseBackward"/> later).</summary>
    internal void EndBackward(Span<T> dX, Span<T> dh0, Span<T> dc0, T[]? dWih, Span<T> dWhh, Span<T> dbIh, Span<T> dbHh,
        bool release = true, bool weightGemms = true)
    {
        int T_ = _steps, B = _batch, I = _inputSize, H = _hidden, G = _gates, BH = B * H, TB = T_ * B;
        _recurrent!.Release();
        _recurrent = null;
        var dG = _dG!; var dGh = _dGh!;
        if (!dh0.IsEmpty) Elementwise.AddInPlace(dh0[..BH], _dh);
        if (_dc is not null && !dc0.IsEmpty) Elementwise.AddInPlace(dc0[..BH], _dc);

        // Weight, bias and input gradients: one GEMM each over all T·B rows.
        // (weightGemms false: the caller runs them itself, in row blocks, with WeightGradientRows.)
        if (!dWhh.IsEmpty && weightGemms) PartGemm.Multiply(true, false, G, H, TB, dGh, _hs.AsSpan(0, TB * H), dWhh, accumulate: true);   // dGhᵀ·H_prev
        if (dWih is not null && (weightGemms || _tokens is not null))
        {
            if (_tokens is null) PartGemm.Multiply(true, false, G, I, TB, dG, _x, dWih, accumulate: true);               // dGᵀ·X
            else
            {
                // One-hot X: dW_ihᵀ[v] = Σ of the gate-gradient rows whose token is v (scatter-add), split over gate columns.
                _wT = RecurrentBuffers<T>.Rent(I * G, clear: false);                 // [I, G], cleared per column block
                _dWih = dWih;
                RunParts(Pass.ScatterInput, (long)TB * G);
                RecurrentBuffers<T>.Return(_wT);
                _wT = _dWih = null;
            }
        }
        // Bias gradients: Σ over the T·B rows, split over gate columns. The LSTM and RNN give both biases the same
        // sum, computed once. (Identical to summing into each gradient when the gradients start at zero, as they do
        // after ZeroGrad; otherwise only the rounding order differs.)
        bool sameSum = ReferenceEquals(dG, dGh);
        if (!dbIh.IsEmpty || (sameSum && !dbHh.IsEmpty))
        {
            SumRows(dG);
            if (!dbIh.IsEmpty) Elementwise.AddInPlace(dbIh[..G], _bias!);
            if (sameSum && !dbHh.IsEmpty) Elementwise.AddInPlace(dbHh[..G], _bias!);
            RecurrentBuffers<T>.Return(_bias);
            _bias = null;
        }
        if (!sameSum && !dbHh.IsEmpty)
        {
            SumRows(dGh);
            Elementwise.AddInPlace(dbHh[..G], _bias!);
            RecurrentBuffers<T>.Return(_bias);
            _bias = null;
        }
        if (!dX.IsEmpty)
        {
            if (!_reverse) PartGemm.Multiply(false, false, TB, I, G, dG, _wIh, dX, accumulate: true);                    // dG·W_ih
            else
            {
                var dXs = RecurrentBuffers<T>.Rent(TB * I, clear: false);            // [T, B, I] in step order
                PartGemm.Multiply(false, false, TB, I, G, dG, _wIh, dXs, accumulate: false);
                for (int s = 0; s < T_; s++)
                    for (int b = 0; b < B; b++)
                    {
                        int t = SourceTime(s, b);
                        if (t >= 0) Elementwise.AddInPlace(dX.Slice((t * B + b) * I, I), dXs.AsSpan((s * B + b) * I, I));
                    }
                RecurrentBuffers<T>.Return(dXs);
            }
        }
        if (release) ReleaseBackward();
    }

    /// <summary>Rows [g0, g1) of a weight gradient (after the backward steps): <c>dW_hh[g0:g1] += dGhᵀ[g0:g1]·H_prev</c>
    /// (<paramref name="recurrent"/>) or <c>dW_ih[g0:g1] += dGᵀ[g0:g1]·X</c> (dense input). Each row is computed exactly as
    /// by the whole GEMM in <see cref="EndBackward"/>; <paramref name="dW"/> is the whole [G, H] or [G, I] gradient.</summary>
    internal void WeightGradientRows(bool recurrent, int g0, int g1, Span<T> dW)
    {
        int TB = _steps * _batch, G = _gates, n = recurrent ? _hidden : _inputSize;
        var dG = recurrent ? _dGh! : _dG!;
        ReadOnlySpan<T> b = recurrent ? _hs.AsSpan(0, TB * _hidden) : _x.AsSpan(0, TB * _inputSize);
        PartGemm.Multiply(true, false, g1 - g0, n, TB, dG.AsSpan(g0), G, b, n, dW[(g0 * n)..], n, accumulate: true);
    }

    /// <summary>Returns the buffers of the backward pass and the saved forward buffers to the pool.</summary>
    internal void ReleaseBackward()
    {
        if (_dYOwned) RecurrentBuffers<T>.Return(_dYd);
        _dYOwned = false;
        RecurrentBuffers<T>.Return(_dh);
        RecurrentBuffers<T>.Return(_dc);
        if (!ReferenceEquals(_dG, _acts)) RecurrentBuffers<T>.Return(_dG);         // else Release returns it as _acts
        if (!ReferenceEquals(_dGh, _dG)) RecurrentBuffers<T>.Return(_dGh);
        _dYd = _dh = _dc = _dG = _dGh = null;
        ReleaseInputOperand();
        Release();
    }

    /// <summary>Σ over the rows of <paramref name="matrix"/> [T·B, G] into a rented, zeroed <see cref="_bias"/> [G].</summary>
    private void SumRows(T[] matrix)
    {
        _bias = RecurrentBuffers<T>.Rent(_gates, clear: true);
        _sumSource = matrix;
        RunParts(Pass.SumRows, (long)_steps * _batch * _gates);
        _sumSource = null;
    }

    // ----- the passes over all T·B rows that are not GEMMs, split across threads -----
    //
    // Gathering the one-hot projection splits rows; the scatter into dW_ih and the bias sums split gate columns,
    // so every output element is still accumulated by one thread over the rows in order: the result does not
    // depend on the thread count.

    private enum Pass { GatherInput, ScatterInput, SumRows }

    private void RunParts(Pass pass, long elements)
    {
        int parts = elements >= Op.RecurrentPassParallelMinElements ? Math.Min(Parallelism.Threads, 16) : 1;
        var body = new PassLoop(this, pass);
        if (parts == 1) body.Run(0, 1);
        else Parallelism.Run(parts, ref body);
    }

    private readonly struct PassLoop(RecurrentDirection<T> owner, Pass pass) : IParallelBody
    {
        public void Run(int part, int parts) => owner.RunPass(pass, part, parts);
    }

    private void RunPass(Pass pass, int part, int parts)
    {
        int I = _inputSize, G = _gates, TB = _steps * _batch;
        if (pass == Pass.GatherInput)
        {
            // acts[r] = W_ihᵀ[token r] + bias (= x·W_ihᵀ + bias of the dense path, exactly); finished rows get the bias.
            GatherRows((int)((long)TB * part / parts), (int)((long)TB * (part + 1) / parts));
            return;
        }
        // Column block [c0, c1) of G, on whole vectors.
        int w = System.Numerics.Vector<T>.Count, blocks = (G + w - 1) / w;
        int c0 = (int)((long)blocks * part / parts) * w, c1 = Math.Min(G, (int)((long)blocks * (part + 1) / parts) * w);
        if (c0 >= c1) return;
        int cols = c1 - c0;
        if (pass == Pass.SumRows)
        {
            var db = _bias.AsSpan(c0, cols);
            for (int r = 0; r < TB; r++) TensorPrimitives.Add<T>(db, _sumSource.AsSpan(r * G + c0, cols), db);
            return;
        }
        // ScatterInput: dW_ihᵀ[v, c0:c1] = Σ_{r: token r = v} dG[r, c0:c1]; then dW_ih[g, v] += dW_ihᵀ[v, g]. Finished rows (−1) add nothing.
        var dG = _dG!;
        for (int v = 0; v < I; v++) _wT.AsSpan(v * G + c0, cols).Clear();
        for (int r = 0; r < TB; r++)
        {
            int v = _tokens![r];
            if (v < 0) continue;
            var dst = _wT.AsSpan(v * G + c0, cols);
            TensorPrimitives.Add<T>(dst, dG.AsSpan(r * G + c0, cols), dst);
        }
        var dW = _dWih!;
        for (int g = c0; g < c1; g++)
            for (int v = 0; v < I; v++) dW[g * I + v] += _wT![v * G + g];
    }

    /// <summary>acts[r] = W_ihᵀ[token r] + bias for rows [r0, r1) of the one-hot input.</summary>
    private void GatherRows(int r0, int r1)
    {
        int G = _gates;
        for (int r = r0; r < r1; r++)
        {
            var dst = _acts.AsSpan(r * G, G);
            int v = _tokens![r];
            if (v < 0) { if (_bias is null) dst.Clear(); else _bias.AsSpan().CopyTo(dst); }
            else if (_bias is null) _wT.AsSpan(v * G, G).CopyTo(dst);
            else TensorPrimitives.Add<T>(_wT.AsSpan(v * G, G), _bias, dst);
        }
    }

    /// <summary>dst [cols, rows] = srcᵀ for src [rows, cols].</summary>
    private static void Transpose(T[] src, int rows, int cols, T[] dst)
    {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) dst[j * rows + i] = src[i * cols + j];
    }
}
