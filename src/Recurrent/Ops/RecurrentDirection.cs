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

    private ReadOnlySpan<bool> ActiveAt(int s) => _active is null ? default : _active.AsSpan(s * _batch, _batch);

    /// <summary>
    /// Runs the direction. <paramref name="x"/> is the layer input [T, B, I] in time order (kept, not
    /// copied, for the forward direction: the caller must not modify it before Backward).
    /// Writes this direction's outputs into columns [yOffset, yOffset+H) of <paramref name="y"/>
    /// [T, B, yStride] (which must be zero-filled; finished rows stay zero); y may be empty.
    /// </summary>
    public void Forward(T[] x, ReadOnlySpan<T> h0, ReadOnlySpan<T> c0, Span<T> y, int yOffset, int yStride,
        Span<T> hN, Span<T> cN)
    {
        int T_ = _steps, B = _batch, I = _inputSize, H = _hidden, G = _gates, BH = B * H, TB = T_ * B;

        // x in step order: the reverse direction gathers rows so that step s holds time len−1−s.
        if (_reverse)
        {
            _x = new T[TB * I];
            for (int s = 0; s < T_; s++)
                for (int b = 0; b < B; b++)
                {
                    int t = SourceTime(s, b);
                    if (t >= 0) x.AsSpan((t * B + b) * I, I).CopyTo(_x.AsSpan((s * B + b) * I, I));
                }
        }
        else _x = x;

        // Input projection for all steps as one GEMM: acts = X·W_ihᵀ + bias.       // [T·B, G]
        _acts = new T[TB * G];
        Gemm.Multiply(false, true, TB, G, I, _x, _wIh, _acts, accumulate: false);
        var bias = FoldedBias();
        if (bias is not null) Elementwise.AddRowToEach<T>(_acts, bias);

        _hs = new T[(T_ + 1) * BH];
        if (!h0.IsEmpty) h0[..BH].CopyTo(_hs);
        if (_mode == RecurrentMode.Lstm)
        {
            _cs = new T[(T_ + 1) * BH];
            if (!c0.IsEmpty) c0[..BH].CopyTo(_cs);
        }
        T[]? hg = null;                                                              // [B, G] GRU scratch
        if (_mode == RecurrentMode.Gru) { _hn = new T[TB * H]; hg = new T[B * G]; }
        ReadOnlySpan<T> bhn = _mode == RecurrentMode.Gru && _bHh is not null ? _bHh.AsSpan(2 * H, H) : default;

        var recurrent = new RecurrentWeightOperand<T>(_wHh, G, H);
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

        if (!y.IsEmpty)
            for (int s = 0; s < T_; s++)
                for (int b = 0; b < B; b++)
                {
                    int t = SourceTime(s, b);
                    if (t >= 0) _hs.AsSpan(((s + 1) * B + b) * H, H).CopyTo(y.Slice((t * B + b) * yStride + yOffset, H));
                }
        _hs.AsSpan(T_ * BH, BH).CopyTo(hN);
        if (_cs is not null && !cN.IsEmpty) _cs.AsSpan(T_ * BH, BH).CopyTo(cN);
    }

    // b_ih + b_hh (LSTM, RNN); for the GRU only the r and z slices of b_hh fold in, b_hn stays inside r⊙(·).
    private T[]? FoldedBias()
    {
        if (_bIh is null && _bHh is null) return null;
        var bias = new T[_gates];
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
    public void Backward(ReadOnlySpan<T> dY, int yOffset, int yStride, ReadOnlySpan<T> dhN, ReadOnlySpan<T> dcN,
        Span<T> dX, Span<T> dh0, Span<T> dc0, Span<T> dWih, Span<T> dWhh, Span<T> dbIh, Span<T> dbHh)
    {
        int T_ = _steps, B = _batch, I = _inputSize, H = _hidden, G = _gates, BH = B * H, TB = T_ * B;

        // Output gradient in step order, contiguous per direction.                  // [T, B, H]
        T[]? dYd = null;
        if (!dY.IsEmpty)
        {
            dYd = new T[TB * H];
            for (int s = 0; s < T_; s++)
                for (int b = 0; b < B; b++)
                {
                    int t = SourceTime(s, b);
                    if (t >= 0) dY.Slice((t * B + b) * yStride + yOffset, H).CopyTo(dYd.AsSpan((s * B + b) * H, H));
                }
        }
        var dh = new T[BH];                                                          // [B, H] carried dh
        if (!dhN.IsEmpty) dhN[..BH].CopyTo(dh);
        T[]? dc = null;
        if (_mode == RecurrentMode.Lstm)
        {
            dc = new T[BH];
            if (!dcN.IsEmpty) dcN[..BH].CopyTo(dc);
        }
        var dG = new T[TB * G];                                                      // [T, B, G] d input projection
        var dGh = _mode == RecurrentMode.Gru ? new T[TB * G] : dG;                   // [T, B, G] d hidden projection

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
                Gemm.Multiply(false, false, B, H, G, dGh.AsSpan(s * B * G, B * G), _wHh, dh, accumulate: true);
        }
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
                var dXs = new T[TB * I];                                             // [T, B, I] in step order
                Gemm.Multiply(false, false, TB, I, G, dG, _wIh, dXs, accumulate: false);
                for (int s = 0; s < T_; s++)
                    for (int b = 0; b < B; b++)
                    {
                        int t = SourceTime(s, b);
                        if (t >= 0) Elementwise.AddInPlace(dX.Slice((t * B + b) * I, I), dXs.AsSpan((s * B + b) * I, I));
                    }
            }
        }
    }
}
