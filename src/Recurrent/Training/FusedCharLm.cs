// The bench protocol's model as ONE allocation-free training/inference step: one-hot input of size V,
// one unidirectional recurrent layer (RNN tanh/relu, LSTM or GRU, with biases), a Linear head, mean
// cross-entropy, clipping to a total norm and plain SGD — what `recurrent bench` and torch_charlm.py time.
//
// It computes what the general autograd path computes (Op.OneHot → RecurrentStack.Forward → Op.Linear →
// Op.CrossEntropy → Backward → GradClip.ClipGradNorm → Sgd.Step, which is its reference twin in the tests),
// without the graph: every buffer is sized once from (V, H, B, T) and reused, so after the first step
// nothing is allocated. Differences from the general path, all exact rewrites of the same math:
//   * x·W_ihᵀ with a one-hot x is a row gather of W_ihᵀ, done inside the time loop just before the step's product
//     adds h·W_hhᵀ to it (cache-hot, per thread); dW_ih is a scatter-add of the gate gradients into V rows, and
//     db_ih = Σ of those V rows (= Σ over the N tokens, summed in another order);
//   * W_hh is packed once per step for the forward products and once for the backward ones;
//   * gradient clipping and the SGD update are one pass over each parameter.
// Letters: T steps, B batch rows, V vocabulary, H hidden units, G = gates·H, N = T·B tokens.
using System.Runtime.Intrinsics;
using Recurrent.Kernels;
using Recurrent.Nn;

namespace Recurrent.Training;

/// <summary>
/// Training and inference steps of a one-layer, one-hot-input recurrent language model
/// (<see cref="RecurrentStack{T}"/> with one unidirectional layer + <see cref="Linear{T}"/> head), with the
/// recurrent state carried between calls (truncated BPTT). Reads and updates the modules' parameters in place.
/// Allocates nothing after the first step (see docs/benchmarks.md). Not thread-safe; the kernels it calls use
/// <see cref="Parallelism.Threads"/> threads and give identical results for a given thread count.
/// </summary>
public sealed class FusedCharLm
{
    private readonly RecurrentMode _mode;
    private readonly int _v, _h, _g, _b, _t, _n;
    private readonly float[] _wIh, _wHh, _bIh, _bHh, _wOut, _bOut;   // the modules' parameters (shared)

    // Forward workspaces.
    private readonly int[] _tok, _tgt;          // [N] time-major inputs and targets
    private readonly float[] _wIhT;             // [V, G] W_ihᵀ: row v is the input projection of token v
    private readonly float[] _bias;             // [G] b_ih + b_hh (GRU: b_hn stays apart)
    private readonly float[] _acts;             // [N, G] gate pre-activations, then activations
    private readonly float[] _hs;               // [T+1, B, H] states; slot 0 = carried h0
    private readonly float[]? _cs;              // [T+1, B, H] LSTM cell states
    private readonly float[]? _hn;              // [N, H] GRU: W_hn·h + b_hn
    private readonly float[]? _hg;              // [B, G] GRU hidden projection of one step
    private readonly float[] _logits;           // [N, V] logits, then d loss / d logits
    private readonly PackedMatrix _whhT;        // op(B) = W_hhᵀ [H×G] for h·W_hhᵀ
    private readonly PackedMatrix _whh;         // op(B) = W_hh [G×H] for dG·W_hh
    private readonly PackedMatrix _woutT;       // op(B) = W_outᵀ [H×V] for the logits
    private readonly PackedMatrix _wout;        // op(B) = W_out [V×H] for dY = dlogits·W_out
    private readonly double[] _rowLoss;         // [N] per-token loss, summed in row order (thread-count independent)

    // Backward workspaces and gradients.
    private readonly float[] _dY;               // [N, H] d loss / d outputs
    private readonly float[] _dG;               // [N, G] d gate pre-activations (input side)
    private readonly float[] _dGh;              // [N, G] GRU hidden side (= _dG otherwise)
    private readonly float[] _dh, _dc;          // [B, H] carried
    private readonly float[] _gWihT;            // [V, G]
    private readonly float[] _gWih, _gWhh, _gBih, _gBhh, _gWout, _gBout;

    /// <summary>Binds the step to the parameters of <paramref name="rnn"/> and <paramref name="head"/> for
    /// minibatches of <paramref name="batch"/> rows × <paramref name="steps"/> time steps.</summary>
    /// <exception cref="ArgumentException">The stack is not one unidirectional layer with biases taking one-hot
    /// input of the head's output size, or the head does not read H features.</exception>
    public FusedCharLm(RecurrentStack<float> rnn, Linear<float> head, int batch, int steps)
    {
        ArgumentNullException.ThrowIfNull(rnn);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        if (rnn.NumLayers != 1 || rnn.Bidirectional || !rnn.HasBias)
            throw new ArgumentException($"FusedCharLm: needs one unidirectional layer with biases (got {rnn.NumLayers} layers, bidirectional {rnn.Bidirectional}, bias {rnn.HasBias}).");
        if (head.InFeatures != rnn.HiddenSize || head.Bias is null || head.OutFeatures != rnn.InputSize)
            throw new ArgumentException($"FusedCharLm: the head must map H={rnn.HiddenSize} to the one-hot size V={rnn.InputSize} with a bias (got {head.InFeatures}→{head.OutFeatures}).");
        _mode = rnn.Mode;
        _v = rnn.InputSize; _h = rnn.HiddenSize; _g = _mode.GateCount() * _h; _b = batch; _t = steps;
        _n = checked(batch * steps);
        var w = rnn.Weights(0);
        _wIh = w.WeightIh.Array; _wHh = w.WeightHh.Array; _bIh = w.BiasIh!.Array; _bHh = w.BiasHh!.Array;
        _wOut = head.Weight.Array; _bOut = head.Bias.Array;

        int N = _n, G = _g, H = _h, V = _v, BH = batch * H;
        _tok = new int[N]; _tgt = new int[N];
        _wIhT = new float[V * G];
        _bias = new float[G];
        _acts = new float[checked(N * G)];
        _hs = new float[checked((steps + 1) * BH)];
        if (_mode == RecurrentMode.Lstm) _cs = new float[_hs.Length];
        if (_mode == RecurrentMode.Gru) { _hn = new float[N * H]; _hg = new float[batch * G]; }
        _logits = new float[N * V];
        _whhT = new PackedMatrix(H, G);
        _whh = new PackedMatrix(G, H);
        _woutT = new PackedMatrix(H, V);
        _wout = new PackedMatrix(V, H);
        _rowLoss = new double[N];
        _dY = new float[N * H];
        _dG = new float[_acts.Length];
        _dGh = _mode == RecurrentMode.Gru ? new float[_acts.Length] : _dG;
        _dh = new float[BH]; _dc = new float[BH];
        _gWihT = new float[V * G];
        _gWih = new float[G * V]; _gWhh = new float[G * H]; _gBih = new float[G]; _gBhh = new float[G];
        _gWout = new float[V * H]; _gBout = new float[V];
    }

    /// <summary>B, rows per minibatch.</summary>
    public int Batch => _b;
    /// <summary>T, steps per minibatch.</summary>
    public int Steps => _t;

    /// <summary>The gradients of the last <see cref="TrainStep"/> before clipping, in the modules' parameter order
    /// (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, head weight, head bias). Views into workspaces.</summary>
    public IReadOnlyList<float[]> Gradients => [_gWih, _gWhh, _gBih, _gBhh, _gWout, _gBout];

    /// <summary>Zeroes the carried state (the start of an epoch).</summary>
    public void ResetState()
    {
        int BH = _b * _h;
        Array.Clear(_hs, 0, BH);
        if (_cs is not null) Array.Clear(_cs, 0, BH);
    }

    /// <summary>The carried hidden state [B, H] (after the last step).</summary>
    public ReadOnlySpan<float> HiddenState => _hs.AsSpan(0, _b * _h);

    /// <summary>
    /// One training step on a minibatch: forward from the carried state (detached), mean cross-entropy,
    /// backward through the T steps, <c>clip_grad_norm_(maxNorm)</c>, <c>p ← p − lr·g</c>; then carries the final
    /// state. Returns the loss (mean over B·T tokens) and the gradient norm before clipping.
    /// </summary>
    /// <param name="inputs">[B, T] token ids, batch-major (row b is stream b).</param>
    /// <param name="targets">[B, T] next-token ids.</param>
    /// <param name="learningRate">SGD step size.</param>
    /// <param name="maxNorm">Clipping threshold for the total L2 norm (+∞ = no clipping).</param>
    /// <exception cref="ArgumentException">A span is not B·T long or an id is outside 0..V−1.</exception>
    public (double Loss, double GradNorm) TrainStep(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, double learningRate, double maxNorm)
    {
        long t0 = PhaseTicks is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        LoadTokens(inputs, targets);
        Mark(FusedCharLmPhase.Load, ref t0);
        Forward(ref t0);
        double loss = LossAndLogitGradient(withGradient: true);
        Mark(FusedCharLmPhase.Head, ref t0);
        Backward(ref t0);
        double norm = ClipAndUpdate(learningRate, maxNorm);
        Mark(FusedCharLmPhase.ClipAndUpdate, ref t0);
        CarryState();
        Mark(FusedCharLmPhase.Carry, ref t0);
        return (loss, norm);
    }

    /// <summary>When set (benchmarks), each phase of a step adds its Stopwatch ticks here, indexed by
    /// <see cref="FusedCharLmPhase"/>; null (the default) costs one test per phase.</summary>
    internal long[]? PhaseTicks;

    private void Mark(FusedCharLmPhase phase, ref long t0)
    {
        if (PhaseTicks is null) return;
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        PhaseTicks[(int)phase] += now - t0;
        t0 = now;
    }

    /// <summary>One inference step: forward from the carried state, returns the mean cross-entropy, carries the state.</summary>
    /// <exception cref="ArgumentException">A span is not B·T long or an id is outside 0..V−1.</exception>
    public double InferStep(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets)
    {
        long t0 = PhaseTicks is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        LoadTokens(inputs, targets);
        Mark(FusedCharLmPhase.Load, ref t0);
        Forward(ref t0);
        double loss = LossAndLogitGradient(withGradient: false);
        Mark(FusedCharLmPhase.Head, ref t0);
        CarryState();
        Mark(FusedCharLmPhase.Carry, ref t0);
        return loss;
    }

    // ----- forward -----

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private void LoadTokens(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets)
    {
        if (inputs.Length != _n || targets.Length != _n)
            throw new ArgumentException($"FusedCharLm: inputs ({inputs.Length}) and targets ({targets.Length}) must both hold B·T = {_b}·{_t} = {_n} ids.");
        for (int b = 0; b < _b; b++)
            for (int t = 0; t < _t; t++)
            {
                int x = inputs[b * _t + t], y = targets[b * _t + t];
                if ((uint)x >= (uint)_v || (uint)y >= (uint)_v)
                    throw new ArgumentException($"FusedCharLm: token id {((uint)x >= (uint)_v ? x : y)} at row {b}, step {t} is outside 0..{_v - 1}.");
                _tok[t * _b + b] = x;                                                  // time-major
                _tgt[t * _b + b] = y;
            }
    }

    private void Forward(ref long t0)
    {
        int H = _h;
        if (PackInParallel && Parallelism.Threads > 1 && (long)_g * H >= ParallelMinWork / 4)
        {
            // W_hhᵀ in column-panel blocks beside the input projection's set-up, claimed dynamically (serial, these cost
            // 0.2–0.8 ms per step at H = 256–512, 3–4% of a two-thread inference step).
            var prep = new ForwardPrep(this, Parallelism.Threads);
            Parallelism.Run(prep.Parts, ref prep);
            Mark(FusedCharLmPhase.ForwardPack, ref t0);
        }
        else
        {
            InputProjectionSetup();
            Mark(FusedCharLmPhase.Gather, ref t0);
            _whhT.Pack(transposeB: true, _wHh, H);                                      // W_hhᵀ, once for T steps
            Mark(FusedCharLmPhase.ForwardPack, ref t0);
        }
        RunTimeLoop(backward: false);
        Mark(FusedCharLmPhase.ForwardLoop, ref t0);
    }

    /// <summary>Input projection of all steps: one-hot x·W_ihᵀ = row tok of W_ihᵀ, plus the folded biases.</summary>
    private void InputProjectionSetup()
    {
        int H = _h, G = _g;
        Transpose(_wIh, G, _v, _wIhT);                                                  // [G, V] → [V, G]
        _bIh.CopyTo(_bias, 0);
        int folded = _mode == RecurrentMode.Gru ? 2 * H : G;                            // GRU: b_hn inside r⊙(·)
        System.Numerics.Tensors.TensorPrimitives.Add(_bias.AsSpan(0, folded), _bHh.AsSpan(0, folded), _bias.AsSpan(0, folded));
    }

    internal static bool PackInParallel = true;

    /// <summary>Parts [0, packParts): panel blocks of W_hhᵀ (forward) or W_hh (backward); forward, part packParts is the
    /// input projection's set-up. Every panel is packed exactly as by one <see cref="PackedMatrix.Pack"/>.</summary>
    private readonly struct ForwardPrep(FusedCharLm owner, int packParts, bool backward = false) : IParallelBody
    {
        public int Parts => backward ? packParts : packParts + 1;

        public void Run(int part, int parts)
        {
            if (part == packParts) { owner.InputProjectionSetup(); return; }
            var m = backward ? owner._whh : owner._whhT;
            int panels = m.Panels;
            int p0 = (int)((long)panels * part / packParts), p1 = (int)((long)panels * (part + 1) / packParts);
            if (p1 > p0) m.PackPanels(transposeB: !backward, owner._wHh, owner._h, p0, p1);
        }
    }

    /// <summary>The head over all N outputs (<c>logits = Y·W_outᵀ + b</c>) and the mean cross-entropy; with
    /// <paramref name="withGradient"/> the logits are replaced by <c>(softmax − onehot(target)) / N</c>.</summary>
    private double LossAndLogitGradient(bool withGradient)
    {
        _woutT.Pack(transposeB: true, _wOut, _h);
        RunRows(withGradient ? RowWork.HeadWithGradient : RowWork.Head, (long)_h * _v);
        double total = 0;
        foreach (double l in _rowLoss) total += l;
        return total / _n;
    }

    /// <summary>Logits, loss and (optionally) d loss / d logits for rows [r0, r0+rows) of the N outputs.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private void HeadRows(int r0, int rows, bool withGradient)
    {
        int V = _v, H = _h, BH = _b * _h;
        var logits = _logits.AsSpan(r0 * V, rows * V);                                  // [rows, V]
        StepGemm.MultiplyPacked(rows, _hs.AsSpan(BH + r0 * H, rows * H), H, _woutT, logits, V, accumulate: false);
        float invN = 1f / _n;
        for (int r = r0; r < r0 + rows; r++)
        {
            var row = _logits.AsSpan(r * V, V);
            System.Numerics.Tensors.TensorPrimitives.Add(row, _bOut, row);
            float max = System.Numerics.Tensors.TensorPrimitives.Max(row);
            int t = _tgt[r];
            float target = row[t];
            float sum = ExpShiftedAndSum(row, max, store: withGradient);                // one exp per logit
            _rowLoss[r] = max + MathF.Log(sum) - target;                                // −log softmax[target]
            if (!withGradient) continue;
            float scale = invN / sum;
            for (int j = 0; j < V; j++) row[j] *= scale;
            row[t] -= invN;
        }
    }

    /// <summary>Σ_j e^(row[j] − max), with row[j] ← e^(row[j] − max) when <paramref name="store"/>: eight logits at a
    /// time with <see cref="FastActivation.Exp(System.Runtime.Intrinsics.Vector256{float})"/> (a scalar exp per logit
    /// cost ~15% of an RNN inference step), the tail with its scalar twin. Summed lane-wise, then the lanes in order.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static float ExpShiftedAndSum(Span<float> row, float max, bool store)
    {
        int j = 0;
        float sum = 0;
        if (FastActivation.IsAccelerated && row.Length >= 8)
        {
            var acc = System.Runtime.Intrinsics.Vector256<float>.Zero;
            var m = System.Runtime.Intrinsics.Vector256.Create(max);
            for (; j <= row.Length - 8; j += 8)
            {
                var e = FastActivation.Exp(System.Runtime.Intrinsics.Vector256.Create(row.Slice(j, 8)) - m);
                if (store) e.CopyTo(row.Slice(j, 8));
                acc += e;
            }
            for (int lane = 0; lane < 8; lane++) sum += acc.GetElement(lane);
        }
        for (; j < row.Length; j++)
        {
            float e = FastActivation.Exp(row[j] - max);
            if (store) row[j] = e;
            sum += e;
        }
        return sum;
    }

    // ----- work split over the N = T·B token rows (input gather, head, head backward) -----

    private enum RowWork { Head, HeadWithGradient, HeadBackward }

    private void RunRows(RowWork work, long workPerRow)
    {
        int parts = Math.Min(Parallelism.Threads, _n);
        if (_n * workPerRow < ParallelMinWork * parts) parts = 1;
        var body = new RowsLoop(this, work);
        if (parts == 1) body.Run(0, 1);
        else Parallelism.Run(parts, ref body);
    }

    private readonly struct RowsLoop(FusedCharLm owner, RowWork work) : IParallelBody
    {
        public void Run(int part, int parts)
        {
            int r0 = (int)((long)owner._n * part / parts), r1 = (int)((long)owner._n * (part + 1) / parts);
            if (r1 <= r0) return;
            int rows = r1 - r0;
            switch (work)
            {
                case RowWork.Head: owner.HeadRows(r0, rows, withGradient: false); break;
                case RowWork.HeadWithGradient: owner.HeadRows(r0, rows, withGradient: true); break;
                case RowWork.HeadBackward:                                              // dY = dlogits·W_out
                    int V = owner._v, H = owner._h;
                    StepGemm.MultiplyPacked(rows, owner._logits.AsSpan(r0 * V, rows * V), V, owner._wout, owner._dY.AsSpan(r0 * H, rows * H), H, accumulate: false);
                    break;
            }
        }
    }

    private void CarryState()
    {
        int BH = _b * _h;
        _hs.AsSpan(_t * BH, BH).CopyTo(_hs);
        _cs?.AsSpan(_t * BH, BH).CopyTo(_cs);
    }

    // ----- backward -----

    private void Backward(ref long t0)
    {
        int T = _t, B = _b, H = _h, G = _g, V = _v, BH = B * H, N = _n;
        var y = _hs.AsSpan(BH, N * H);                                                  // [N, H] outputs
        // Head: dW_out = dlogitsᵀ·Y, db_out = Σ rows, dY = dlogits·W_out.
        Gemm.Multiply<float>(true, false, V, H, N, _logits, y, _gWout, accumulate: false);
        Array.Clear(_gBout);
        Elementwise.SumRowsInto<float>(_logits, _gBout);
        _wout.Pack(transposeB: false, _wOut, H);
        RunRows(RowWork.HeadBackward, (long)H * V);
        Mark(FusedCharLmPhase.HeadBackward, ref t0);

        // Through time; the carried state is detached, so dh and dc start at zero.
        if (PackInParallel && Parallelism.Threads > 1 && (long)G * H >= ParallelMinWork / 4)
        {
            var prep = new ForwardPrep(this, Parallelism.Threads, backward: true);
            Parallelism.Run(prep.Parts, ref prep);
        }
        else _whh.Pack(transposeB: false, _wHh, H);
        Array.Clear(_dh); Array.Clear(_dc);
        Mark(FusedCharLmPhase.BackwardPack, ref t0);
        RunTimeLoop(backward: true);
        Mark(FusedCharLmPhase.BackwardLoop, ref t0);

        // Weight and bias gradients over all N rows.
        Gemm.Multiply<float>(true, false, G, H, N, _dGh, _hs.AsSpan(0, N * H), _gWhh, accumulate: false);      // dGhᵀ·H_prev
        Mark(FusedCharLmPhase.WeightGradient, ref t0);
        // One thread: split over gate columns across two threads it measured slower (a streaming pass, ~0.5 ms).
        InputGradientColumnsRun(0, G);
        Mark(FusedCharLmPhase.InputGradient, ref t0);
    }

    /// <summary>dW_ih, db_ih and db_hh for gate columns [g0, g1): the scatter-add of dG rows into the token rows of
    /// dW_ihᵀ (rows in order), db_ih as the sum of those V rows (in order; N/V times fewer adds than summing the N
    /// rows), db_hh = db_ih except for the GRU's hidden side (its own sum over the N rows of dGh), then this column
    /// block of the transpose.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private void InputGradientColumnsRun(int g0, int g1)
    {
        int G = _g, V = _v, N = _n, w = g1 - g0;
        for (int v = 0; v < V; v++) _gWihT.AsSpan(v * G + g0, w).Clear();
        for (int r = 0; r < N; r++)                                                     // dW_ihᵀ[tok] += dG row (one-hot X)
        {
            var dst = _gWihT.AsSpan(_tok[r] * G + g0, w);
            System.Numerics.Tensors.TensorPrimitives.Add(dst, _dG.AsSpan(r * G + g0, w), dst);
        }
        var bih = _gBih.AsSpan(g0, w);
        bih.Clear();
        for (int v = 0; v < V; v++) System.Numerics.Tensors.TensorPrimitives.Add(bih, _gWihT.AsSpan(v * G + g0, w), bih);
        var bhh = _gBhh.AsSpan(g0, w);
        if (ReferenceEquals(_dGh, _dG)) bih.CopyTo(bhh);
        else
        {
            bhh.Clear();
            for (int r = 0; r < N; r++) System.Numerics.Tensors.TensorPrimitives.Add(bhh, _dGh.AsSpan(r * G + g0, w), bhh);
        }
        for (int g = g0; g < g1; g++)                                                   // dW_ih [G, V] = (dW_ihᵀ)ᵀ, these rows
            for (int v = 0; v < V; v++) _gWih[g * V + v] = _gWihT[v * G + g];
    }

    // ----- the time loops, split over batch rows -----
    //
    // Rows of a minibatch never interact inside the recurrence, so each thread runs a fixed block of rows
    // through ALL T steps with no synchronisation between steps (only the read-only packed W_hh is shared).
    // Every element is computed by the same operations whichever thread owns its row (the GEMM micro-kernel
    // accumulates each element alone, the gate kernels are per element), so the result does not depend on the
    // thread count.

    /// <summary>Multiply-adds per step below which a block of rows is not given its own thread (tests lower it).</summary>
    internal static long ParallelMinWork = 1_000_000;

    private void RunTimeLoop(bool backward)
    {
        int threads = Parallelism.Threads;
        // A thread's share must be worth its synchronisation: below ~1 MFLOP per step and thread, stay on one thread.
        if (threads > 1 && (long)_b * _g * _h >= ParallelMinWork * 2 && ChooseSplit(threads) == TimeSplit.Units)
        {
            int parts = Math.Min(threads, UnitBlocks);
            _barrier.Reset(parts);
            var team = new UnitsLoop(this, backward);
            if (Parallelism.RunTeam(parts, ref team)) return;
            // The workers are busy (a nested call): the same results on this thread.
        }
        int rowParts = Math.Min(threads, _b);
        if ((long)_b * _g * _h < ParallelMinWork * rowParts) rowParts = 1;
        if (rowParts == 1)
        {
            if (backward) BackwardRows(0, _b);
            else ForwardRows(0, _b);
            return;
        }
        // Each part starts with its block of rows; an idle thread takes over half of a busier one's rows (RowStepScheduler).
        _rowSchedule.Reset(_b, _t, rowParts);
        var body = new TimeLoop(this, backward);
        Parallelism.Run(rowParts, ref body);
    }

    private readonly RowStepScheduler _rowSchedule = new();

    /// <summary>Rows handed over between threads in the time loops so far (benchmarks).</summary>
    internal int RowHandOvers => _rowSchedule.Steals;

    /// <summary>The time loops' scheduler (tests slow one part down through it).</summary>
    internal RowStepScheduler RowSchedule => _rowSchedule;

    private readonly struct TimeLoop(FusedCharLm owner, bool backward) : IParallelBody
    {
        public void Run(int part, int parts)
        {
            var steps = new TimeSteps(owner, backward);
            owner._rowSchedule.RunPart(part, ref steps);
        }
    }

    /// <summary>One step of the time loop for a range of rows; logical step i is time step T−1−i backward.</summary>
    private readonly struct TimeSteps(FusedCharLm owner, bool backward) : IRowStepBody
    {
        public void RunStep(int row0, int rows, int step)
        {
            if (backward) owner.BackwardStep(row0, rows, owner._t - 1 - step);
            else owner.ForwardStep(row0, rows, step);
        }
    }

    // ----- the time loops, split over hidden units -----
    //
    // Each thread owns a block of hidden units: its columns of every gate in the per-step product (only its panels of
    // the packed W_hh, half of it with two threads, so it can stay in that core's L2) and the gate kernel for those
    // units over ALL batch rows (M = B in the product instead of B / threads). The next step needs every unit of h,
    // so the threads meet at a spinning barrier once per step (backward: once per step, between the gate gradients,
    // which the product dG·W_hh needs in full, and that product, split by its output columns = units again).
    // Each element is computed by the same operations as in the serial loop, so results do not depend on the split.

    /// <summary>How the time loops are split across threads.</summary>
    internal enum TimeSplit
    {
        /// <summary>Blocks of batch rows, each through all T steps, no synchronisation between steps.</summary>
        Rows,
        /// <summary>Blocks of hidden units, all rows, one barrier per step.</summary>
        Units,
    }

    /// <summary>Forces a split (benchmarks and tests); null = <see cref="ChooseSplit"/>'s choice by shape.</summary>
    internal TimeSplit? ForcedSplit;

    private readonly SpinBarrier _barrier = new();

    /// <summary>Units are handed out in blocks of 16 (one packed panel of the AVX2 kernel, a multiple of the 8-wide gate
    /// kernels' vectors, so the split never changes which elements take the vector or the scalar path).</summary>
    private const int UnitBlock = 16;

    private int UnitBlocks => (_h + UnitBlock - 1) / UnitBlock;

    private TimeSplit ChooseSplit(int threads)
    {
        bool unitsPossible = StepGemm.SupportsColumns(_whhT) && FastActivation.IsAccelerated && UnitBlocks >= 2;
        if (!unitsPossible) return TimeSplit.Rows;
        if (ForcedSplit is { } forced) return forced;
        // Measured on the development VM (2 cores, AVX2, 512 KB L2; docs/benchmarks.md): the unit split was slower
        // than the row split for every cell and shape tried (rnn/lstm H=256, lstm H=512, T=1000 B=8) — each step
        // moves h (and dG) between the cores and waits at the barrier. Rows it is, unless a benchmark forces units.
        return TimeSplit.Rows;
    }

    private readonly struct UnitsLoop(FusedCharLm owner, bool backward) : IParallelBody
    {
        public void Run(int part, int parts)
        {
            int blocks = owner.UnitBlocks;
            int j0 = (int)((long)blocks * part / parts) * UnitBlock, j1 = Math.Min(owner._h, (int)((long)blocks * (part + 1) / parts) * UnitBlock);
            try
            {
                if (backward) owner.BackwardUnits(j0, j1);
                else owner.ForwardUnits(j0, j1);
            }
            catch
            {
                owner._barrier.Break();                                                   // the others must not wait for this part
                throw;
            }
        }
    }

    /// <summary>Forward through the T steps for hidden units [j0, j1) of all rows; one barrier per step.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // called once per loop: no time to tier up inside short benchmarks
    private void ForwardUnits(int j0, int j1)
    {
        int T = _t, B = _b, H = _h, G = _g, BH = B * H, BG = B * G;
        ReadOnlySpan<float> bhn = _mode == RecurrentMode.Gru ? _bHh.AsSpan(2 * H, H) : default;
        for (int s = 0; s < T; s++)
        {
            var hPrev = _hs.AsSpan(s * BH, BH);                                         // [B, H] h_{s-1}, all units
            var h = _hs.AsSpan((s + 1) * BH, BH);
            var gates = _acts.AsSpan(s * BG, BG);                                       // [B, G]
            int gateCount = G / H;
            for (int b = 0; b < B; b++)                                                 // this block's columns of W_ihᵀ[tok] + bias
            {
                int row = _tok[s * B + b] * G;
                for (int q = 0; q < gateCount; q++)
                {
                    int c0 = q * H + j0, w = j1 - j0;
                    System.Numerics.Tensors.TensorPrimitives.Add(_wIhT.AsSpan(row + c0, w), _bias.AsSpan(c0, w), gates.Slice(b * G + c0, w));
                }
            }
            switch (_mode)
            {
                case RecurrentMode.Lstm:
                    for (int q = 0; q < 4; q++)                                         // += h_prev·W_hhᵀ, this block's columns of i, f, g, o
                        StepGemm.MultiplyPackedColumns(B, hPrev, H, _whhT, q * H + j0, q * H + j1, gates, G, accumulate: true);
                    LstmKernel.ForwardUnits(B, H, j0, j1, gates, _cs.AsSpan(s * BH, BH), gates, h, _cs.AsSpan((s + 1) * BH, BH));
                    break;
                case RecurrentMode.Gru:
                    for (int q = 0; q < 3; q++)                                         // h_prev·W_hhᵀ of r, z, n, bias apart
                        StepGemm.MultiplyPackedColumns(B, hPrev, H, _whhT, q * H + j0, q * H + j1, _hg, G, accumulate: false);
                    GruKernel.ForwardUnits(B, H, j0, j1, gates, _hg, bhn, hPrev, gates, _hn.AsSpan(s * BH, BH), h);
                    break;
                default:
                    StepGemm.MultiplyPackedColumns(B, hPrev, H, _whhT, j0, j1, gates, G, accumulate: true);
                    RnnKernel.ForwardUnits<float>(B, H, j0, j1, _mode == RecurrentMode.RnnRelu, gates, h);
                    break;
            }
            _barrier.SignalAndWait();                                                   // h_s complete before step s+1 reads it
        }
    }

    /// <summary>Backward through the T steps for hidden units [j0, j1): their gate gradients, then their columns of
    /// dh_prev = dG·W_hh (which reads every unit's dG: one barrier per step between the two).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // called once per loop: no time to tier up inside short benchmarks
    private void BackwardUnits(int j0, int j1)
    {
        int T = _t, B = _b, H = _h, G = _g, BH = B * H, BG = B * G;
        for (int s = T - 1; s >= 0; s--)
        {
            int hOff = s * BH;
            ReadOnlySpan<float> dy = _dY.AsSpan(hOff, BH);                              // [B, H]
            var acts = _acts.AsSpan(s * BG, BG);
            var dGs = _dG.AsSpan(s * BG, BG);
            var dGh = _dGh.AsSpan(s * BG, BG);
            switch (_mode)
            {
                case RecurrentMode.Lstm:
                    LstmKernel.BackwardUnits(B, H, j0, j1, acts, _cs.AsSpan(hOff, BH), _cs.AsSpan(hOff + BH, BH), dy, _dh, _dc, dGs);
                    break;
                case RecurrentMode.Gru:
                    GruKernel.BackwardUnits<float>(B, H, j0, j1, acts, _hn.AsSpan(hOff, BH), _hs.AsSpan(hOff, BH), dy, _dh, dGs, dGh);
                    break;
                default:
                    RnnKernel.BackwardUnits<float>(B, H, j0, j1, _mode == RecurrentMode.RnnRelu, _hs.AsSpan(hOff + BH, BH), dy, _dh, dGs);
                    break;
            }
            if (s == 0) break;
            _barrier.SignalAndWait();                                                   // every unit's dG_s before dG_s·W_hh
            StepGemm.MultiplyPackedColumns(B, dGh, G, _whh, j0, j1, _dh, H, accumulate: true);   // dh_prev[:, j0:j1] += dG·W_hh[:, j0:j1]
        }
    }

    /// <summary>Forward through the T steps for rows [b0, b0+rows).</summary>
    private void ForwardRows(int b0, int rows)
    {
        for (int s = 0; s < _t; s++) ForwardStep(b0, rows, s);
    }

    /// <summary>Forward step s for rows [b0, b0+rows) (their step s−1 done).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private void ForwardStep(int b0, int rows, int s)
    {
        int B = _b, H = _h, G = _g, BH = B * H, rH = rows * H, rG = rows * G;
        int hOff = s * BH + b0 * H;                                                     // rows of h_{s-1} (slot s)
        var hPrev = _hs.AsSpan(hOff, rH);
        var h = _hs.AsSpan(hOff + BH, rH);
        var gates = _acts.AsSpan((s * B + b0) * G, rG);                                 // [rows, G]
        for (int b = 0; b < rows; b++)                                                  // one-hot x·W_ihᵀ + bias = a row of W_ihᵀ + bias
            System.Numerics.Tensors.TensorPrimitives.Add(_wIhT.AsSpan(_tok[s * B + b0 + b] * G, G), _bias, gates.Slice(b * G, G));
        switch (_mode)
        {
            case RecurrentMode.Lstm:
                StepGemm.MultiplyPacked(rows, hPrev, H, _whhT, gates, G, accumulate: true);  // += h_prev·W_hhᵀ
                LstmKernel.Forward(rows, H, gates, hPrev, _cs.AsSpan(hOff, rH), default, gates, h, _cs.AsSpan(hOff + BH, rH));
                break;
            case RecurrentMode.Gru:
                var hg = _hg.AsSpan(b0 * G, rG);                                        // [rows, G] scratch, h_prev·W_hhᵀ, bias apart
                StepGemm.MultiplyPacked(rows, hPrev, H, _whhT, hg, G, accumulate: false);
                GruKernel.Forward(rows, H, gates, hg, _bHh.AsSpan(2 * H, H), hPrev, default, gates, _hn.AsSpan(s * BH + b0 * H, rH), h);
                break;
            default:
                StepGemm.MultiplyPacked(rows, hPrev, H, _whhT, gates, G, accumulate: true);
                RnnKernel.Forward(rows, H, _mode == RecurrentMode.RnnRelu, gates, hPrev, default, h);
                break;
        }
    }

    /// <summary>Backward through the T steps for rows [b0, b0+rows): gate gradients and the carried dh (dc).</summary>
    private void BackwardRows(int b0, int rows)
    {
        for (int s = _t - 1; s >= 0; s--) BackwardStep(b0, rows, s);
    }

    /// <summary>Backward step s for rows [b0, b0+rows) (their step s+1 done): gate gradients, then dh (dc) carried to step s−1.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private void BackwardStep(int b0, int rows, int s)
    {
        int B = _b, H = _h, G = _g, BH = B * H, rH = rows * H, rG = rows * G;
        var dh = _dh.AsSpan(b0 * H, rH);
        var dc = _dc.AsSpan(b0 * H, rH);
        int hOff = s * BH + b0 * H;
        ReadOnlySpan<float> dy = _dY.AsSpan(hOff, rH);                                  // _dY is [T, B, H] too
        var acts = _acts.AsSpan((s * B + b0) * G, rG);
        var dGs = _dG.AsSpan((s * B + b0) * G, rG);
        var dGh = _dGh.AsSpan((s * B + b0) * G, rG);
        switch (_mode)
        {
            case RecurrentMode.Lstm:
                LstmKernel.Backward(rows, H, acts, _cs.AsSpan(hOff, rH), _cs.AsSpan(hOff + BH, rH), default, dy, dh, dc, dGs);
                break;
            case RecurrentMode.Gru:
                GruKernel.Backward(rows, H, acts, _hn.AsSpan(hOff, rH), _hs.AsSpan(hOff, rH), default, dy, dh, dGs, dGh);
                break;
            default:
                RnnKernel.Backward(rows, H, _mode == RecurrentMode.RnnRelu, _hs.AsSpan(hOff + BH, rH), default, dy, dh, dGs);
                break;
        }
        if (s > 0) StepGemm.MultiplyPacked(rows, dGh, G, _whh, dh, H, accumulate: true);   // dh_prev += dG·W_hh
    }

    /// <summary>clip_grad_norm_ then SGD, fused: the same float operations as GradClip.ClipGradNorm
    /// (<c>g ← g·coef</c> when coef &lt; 1) followed by Sgd.Step (<c>p ← p + (−lr)·g</c>).</summary>
    private double ClipAndUpdate(double learningRate, double maxNorm)
    {
        double sq = SumOfSquares(_gWih) + SumOfSquares(_gWhh) + SumOfSquares(_gBih) + SumOfSquares(_gBhh)
            + SumOfSquares(_gWout) + SumOfSquares(_gBout);
        double norm = Math.Sqrt(sq);
        double coef = double.IsPositiveInfinity(maxNorm) ? 1.0 : Math.Min(maxNorm / (norm + 1e-6), 1.0);
        if (double.IsNaN(norm)) coef = double.NaN;
        float c = (float)coef, negLr = -(float)learningRate;
        bool scale = coef != 1.0;
        Update(_wIh, _gWih, scale, c, negLr);
        Update(_wHh, _gWhh, scale, c, negLr);
        Update(_bIh, _gBih, scale, c, negLr);
        Update(_bHh, _gBhh, scale, c, negLr);
        Update(_wOut, _gWout, scale, c, negLr);
        Update(_bOut, _gBout, scale, c, negLr);
        return norm;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static void Update(float[] p, float[] g, bool scale, float c, float negLr)
    {
        var vc = new System.Numerics.Vector<float>(c); var vl = new System.Numerics.Vector<float>(negLr);
        int n = p.Length, j = 0, w = System.Numerics.Vector<float>.Count;
        for (; j <= n - w; j += w)
        {
            var gv = new System.Numerics.Vector<float>(g, j);
            if (scale) { gv *= vc; gv.CopyTo(g, j); }
            (new System.Numerics.Vector<float>(p, j) + vl * gv).CopyTo(p, j);
        }
        for (; j < n; j++)
        {
            if (scale) g[j] *= c;
            p[j] += negLr * g[j];
        }
    }

    /// <summary>Σ g² accumulated in double (as GradClip.ClipGradNorm), four double lanes at a time.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static double SumOfSquares(float[] g)
    {
        var acc = System.Runtime.Intrinsics.Vector256<double>.Zero;
        int j = 0;
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
            for (; j <= g.Length - 4; j += 4)
            {
                var d = System.Runtime.Intrinsics.Vector256.WidenLower(System.Runtime.Intrinsics.Vector256.Create(
                    System.Runtime.Intrinsics.Vector128.Create(g, j), default));
                acc += d * d;
            }
        double s = System.Runtime.Intrinsics.Vector256.Sum(acc);
        for (; j < g.Length; j++) s += (double)g[j] * g[j];
        return s;
    }

    /// <summary>dst [cols, rows] = srcᵀ for src [rows, cols].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static void Transpose(float[] src, int rows, int cols, float[] dst)
    {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) dst[j * rows + i] = src[i * cols + j];
    }
}
