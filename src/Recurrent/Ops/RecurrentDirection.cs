// The time loop of one direction of one recurrent layer, forward and backward, over spans.
// Letters: T = time steps, B = batch rows, I = input features, H = hidden units, G = gates·H.
// Everything runs time-major ([T, B, ·]) so each step reads and writes contiguous [B, ·] blocks.
// Not an op by itself: Op.RecurrentLayer and Op.RecurrentCell wrap it and record the graph.
//
// Speed plan (DESIGN.md §Speed): the input projection of all steps is ONE GEMM before the loop; each
// step does one GEMM on the fused recurrent weight plus one fused gate kernel; backward does per step
// only the gate kernel and dh_prev = dGates·W_hh, and the weight/bias/input gradients are each ONE GEMM
// over all T·B rows after the loop. Buffers are allocated once per call, never per step.
//
// Variable lengths: row b is active at step s while s < length[b]; a finished row keeps its state and
// outputs zero. The reverse direction runs over gathered reversed time, step s reading time
// length[b] − 1 − s, which reproduces PyTorch's packed-sequence results.
using System.Numerics;
using Recurrent.Kernels;
using Recurrent.Nn;

namespace Recurrent.Ops;

internal sealed class RecurrentDirection<T> where T : unmanaged, IFloatingPointIeee754<T>
{
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
    private bool _saved;                       // the buffers above hold a forward pass not yet released

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
        int T_ = _steps, B = _batch, I = _inputSize, H = _hidden, G = _gates, BH = B * H, TB = T_ * B;
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
        Gemm.Multiply(false, true, TB, G, I, _x, _wIh, _acts, accumulate: false);
        var bias = FoldedBias();
        if (bias is not null) { Elementwise.AddRowToEach<T>(_acts, bias); RecurrentBuffers<T>.Return(bias); }

        _hs = RecurrentBuffers<T>.Rent((T_ + 1) * BH, clear: false);               // [T+1, B, H]
        if (!h0.IsEmpty) h0[..BH].CopyTo(_hs); else _hs.AsSpan(0, BH).Clear();
        if (_mode == RecurrentMode.Lstm)
        {
            _cs = RecurrentBuffers<T>.Rent((T_ + 1) * BH, clear: false);           // [T+1, B, H]
            if (!c0.IsEmpty) c0[..BH].CopyTo(_cs); else _cs.AsSpan(0, BH).Clear();
        }
        T[]? hg = null;                                                              // [B, G] GRU scratch
        if (_mode == RecurrentMode.Gru) { _hn = RecurrentBuffers<T>.Rent(TB * H, clear: false); hg = RecurrentBuffers<T>.Rent(B * G, clear: false); }
        ReadOnlySpan<T> bhn = _mode == RecurrentMode.Gru && _bHh is not null ? _bHh.AsSpan(2 * H, H) : default;

        var recurrent = RecurrentWeightOperand<T>.ForForward(_wHh, G, H);           // W_hh packed once for all steps
        for (int s = 0; s < T_; s++)
        {
            var active = ActiveAt(s);
            var hPrev = _hs.AsSpan(s * BH, BH);
            var h = _hs.AsSpan((s + 1) * BH, BH);
            var gates = _acts.AsSpan(s * B * G, B * G);                             // [B, G]
            switch (_mode)
            {
                case RecurrentMode.Lstm:
                    recurrent.MultiplyInto(B, hPrev, gates, accumulate: true);         // += h_prev·W_hhᵀ
                    LstmKernel.Forward(B, H, gates, hPrev, _cs.AsSpan(s * BH, BH), active, gates, h, _cs.AsSpan((s + 1) * BH, BH));
                    break;
                case RecurrentMode.Gru:
                    recurrent.MultiplyInto(B, hPrev, hg, accumulate: false);           // h_prev·W_hhᵀ, bias apart
                    GruKernel.Forward(B, H, gates, hg, bhn, hPrev, active, gates, _hn.AsSpan(s * BH, BH), h);
                    break;
                default:
                    recurrent.MultiplyInto(B, hPrev, gates, accumulate: true);
                    RnnKernel.Forward(B, H, _mode == RecurrentMode.RnnRelu, gates, hPrev, active, h);
                    break;
            }
        }
        recurrent.Release();
        RecurrentBuffers<T>.Return(hg);

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
    /// Back-propagates through the direction. Every destination accumulates (+=) and may be empty to skip.
    /// <paramref name="dY"/> is the gradient of the layer output [T, B, yStride] (empty = zero),
    /// <paramref name="dhN"/>/<paramref name="dcN"/> of the final states [B, H] (empty = zero).
    /// </summary>
    public void Backward(ReadOnlySpan<T> dY, int yOffset, int yStride, bool yBatchFirst, ReadOnlySpan<T> dhN, ReadOnlySpan<T> dcN,
        Span<T> dX, Span<T> dh0, Span<T> dc0, Span<T> dWih, Span<T> dWhh, Span<T> dbIh, Span<T> dbHh)
    {
        int T_ = _steps, B = _batch, I = _inputSize, H = _hidden, G = _gates, BH = B * H, TB = T_ * B;
        if (!_saved)
            throw new InvalidOperationException($"{_mode.DisplayName()} layer: backward ran twice through one forward pass; its saved activations were released after the first (run the forward pass again).");
        bool padded = _lengths is not null;

        // Output gradient in step order, contiguous per direction.                  // [T, B, H]
        T[]? dYd = null;
        if (!dY.IsEmpty)
        {
            dYd = RecurrentBuffers<T>.Rent(TB * H, clear: padded);
            for (int s = 0; s < T_; s++)
                for (int b = 0; b < B; b++)
                {
                    int t = SourceTime(s, b);
                    if (t >= 0) dY.Slice(OutputRow(t, b, yBatchFirst) * yStride + yOffset, H).CopyTo(dYd.AsSpan((s * B + b) * H, H));
                }
        }
        var dh = RecurrentBuffers<T>.Rent(BH, clear: dhN.IsEmpty);                   // [B, H] carried dh
        if (!dhN.IsEmpty) dhN[..BH].CopyTo(dh);
        T[]? dc = null;
        if (_mode == RecurrentMode.Lstm)
        {
            dc = RecurrentBuffers<T>.Rent(BH, clear: dcN.IsEmpty);
            if (!dcN.IsEmpty) dcN[..BH].CopyTo(dc);
        }
        var dG = RecurrentBuffers<T>.Rent(TB * G, clear: false);                     // [T, B, G] d input projection
        var dGh = _mode == RecurrentMode.Gru ? RecurrentBuffers<T>.Rent(TB * G, clear: false) : dG; // [T, B, G] d hidden projection
        var recurrent = RecurrentWeightOperand<T>.ForBackward(_wHh, G, H);          // W_hh packed once for all steps

        for (int s = T_ - 1; s >= 0; s--)
        {
            var active = ActiveAt(s);
            ReadOnlySpan<T> dy = dYd is null ? default : dYd.AsSpan(s * BH, BH);
            var acts = _acts.AsSpan(s * B * G, B * G);
            var dGs = dG.AsSpan(s * B * G, B * G);
            switch (_mode)
            {
                case RecurrentMode.Lstm:
                    LstmKernel.Backward(B, H, acts, _cs.AsSpan(s * BH, BH), _cs.AsSpan((s + 1) * BH, BH), active, dy, dh, dc, dGs);
                    break;
                case RecurrentMode.Gru:
                    GruKernel.Backward(B, H, acts, _hn.AsSpan(s * BH, BH), _hs.AsSpan(s * BH, BH), active, dy, dh, dGs, dGh.AsSpan(s * B * G, B * G));
                    break;
                default:
                    RnnKernel.Backward(B, H, _mode == RecurrentMode.RnnRelu, _hs.AsSpan((s + 1) * BH, BH), active, dy, dh, dGs);
                    break;
            }
            // dh_prev += dGates·W_hh (skipped at the first step when nobody wants d h0).
            if (s > 0 || !dh0.IsEmpty)
                recurrent.MultiplyInto(B, dGh.AsSpan(s * B * G, B * G), dh, accumulate: true);
        }
        recurrent.Release();
        if (!dh0.IsEmpty) Elementwise.AddInPlace(dh0[..BH], dh);
        if (dc is not null && !dc0.IsEmpty) Elementwise.AddInPlace(dc0[..BH], dc);

        // Weight, bias and input gradients: one GEMM each over all T·B rows.
        if (!dWhh.IsEmpty) Gemm.Multiply(true, false, G, H, TB, dGh, _hs.AsSpan(0, TB * H), dWhh, accumulate: true);   // dGhᵀ·H_prev
        if (!dWih.IsEmpty) Gemm.Multiply(true, false, G, I, TB, dG, _x, dWih, accumulate: true);                     // dGᵀ·X
        if (!dbIh.IsEmpty) Elementwise.SumRowsInto<T>(dG, dbIh[..G]);
        if (!dbHh.IsEmpty) Elementwise.SumRowsInto<T>(dGh, dbHh[..G]);
        if (!dX.IsEmpty)
        {
            if (!_reverse) Gemm.Multiply(false, false, TB, I, G, dG, _wIh, dX, accumulate: true);                    // dG·W_ih
            else
            {
                var dXs = RecurrentBuffers<T>.Rent(TB * I, clear: false);            // [T, B, I] in step order
                Gemm.Multiply(false, false, TB, I, G, dG, _wIh, dXs, accumulate: false);
                for (int s = 0; s < T_; s++)
                    for (int b = 0; b < B; b++)
                    {
                        int t = SourceTime(s, b);
                        if (t >= 0) Elementwise.AddInPlace(dX.Slice((t * B + b) * I, I), dXs.AsSpan((s * B + b) * I, I));
                    }
                RecurrentBuffers<T>.Return(dXs);
            }
        }
        RecurrentBuffers<T>.Return(dYd);
        RecurrentBuffers<T>.Return(dh);
        RecurrentBuffers<T>.Return(dc);
        RecurrentBuffers<T>.Return(dG);
        if (!ReferenceEquals(dGh, dG)) RecurrentBuffers<T>.Return(dGh);
        Release();
    }
}
