// A unidirectional stack of L recurrent layers (dropout between them) run as a pipeline over time: the layers
// go to different threads, and layer l works on a range of steps as soon as layer l−1 has finished it
// (forward), or layer l+1 has finished it (backward, in reverse time). Letters: T steps, B batch, H hidden,
// G gates·H, L layers, P threads (parts), C step ranges ("chunks").
//
// Why: splitting each layer's time loop over batch rows halves the rows of every per-step GEMM while each
// thread still streams the whole W_hh (1 MB at H=256) every step; two whole layers on two threads keep all
// B rows per GEMM and run each core at its one-thread rate. The between-layer work moves into the pipeline
// too: layer l's thread applies the dropout to the states below and projects them (forward), and computes
// the gradient of the layer below's output, dGates·W_ih with the dropout mask (backward), one chunk at a
// time. Those intermediates live in pooled buffers instead of autograd tensors and their gradients.
// Balance (two layers, two threads): the lower layer's thread also projects every other chunk for the layer
// above (forward), in row blocks that the upper layer's thread joins instead of waiting; the upper layer's thread, once its loop is done, shares the lower layer's output-gradient
// chunks; and the weight-gradient GEMMs (dW_hh, dense dW_ih) run in P row blocks that whichever thread is
// free claims, so both threads finish together.
//
// Exactness: every element goes through the same operations as in the layer-by-layer path (Op.RecurrentLayer
// + Op.Dropout): GEMMs over a chunk's rows compute each row as the whole GEMM does, the masks are a function
// of the flat index, and gradients that started at zero there are formed as 0 + v here. So results do not
// depend on P or C, and equal the layer-by-layer path bit for bit (tests compare them).
using System.Numerics;
using Recurrent.Kernels;
using Recurrent.Nn;

namespace Recurrent.Ops;

internal sealed class RecurrentPipeline<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _layers, _steps, _batch, _hidden, _chunks, _parts;
    private readonly int[] _bounds;                     // [C+1] first step of each range, then T
    private readonly RecurrentDirection<T>[] _runs;     // [L]
    private readonly DropoutMask<T>?[] _masks;          // [L−1] between layer l and l+1 (null = no dropout)
    private readonly T[]?[] _inputs;                    // [L] layer l ≥ 1: its input [T, B, H] (the layer below's states after dropout)
    private readonly T[]?[] _outputGrads;               // [L] layer l < L−1: d its output [T, B, H] in step order
    private readonly int[] _forwardDone;                // [L] steps whose states are final
    private readonly int[] _backwardDone;               // [L] first step whose gate gradients are final (T: none yet)
    private readonly int[][] _stage;                    // [L][C] input stage of layer l, chunk c: 0 free, 1 claimed, 2 done
    private readonly int[][] _stageNext, _stageLeft;    // [L][C] a stage's next block to claim; its blocks not yet done
    private readonly int[][] _fill;                     // [L][C] d output of layer l, chunk c (backward): 0 free, 1 claimed, 2 done
    private readonly int[] _layerReady;                 // [L] 1 when layer l's gate gradients are final (weight-gradient blocks may run)
    private (int Layer, bool Recurrent, int G0, int G1)[] _tasks = [];   // weight-gradient GEMMs in row blocks, claimed by free threads
    private int _nextTask;
    private volatile bool _failed;                      // a part threw: the others stop waiting
    private PipelineHead<T>? _head;                     // a language model's output layer and loss over the top layer, or null
    private readonly int[] _headForward, _headBackward; // [C] head range c: 0 free, 1 claimed, 2 done
    private int _headBackwardDone;                      // head ranges whose backward is done
    private T _headRowScale;                            // d loss / rows: the cross-entropy's upstream factor per row

    /// <summary>Step ranges per pass before the ends are halved (8; an A/B switch for the benchmarks: other counts keep
    /// equal ranges). Read when a pipeline is built.</summary>
    internal static int RangeCount = 8;

    /// <summary>A stage of layer l ≥ 1 runs as blocks of <see cref="RecurrentDirection{T}.RangeGemmRows"/> rows (dropout of
    /// the rows below, then their projection) that both threads claim: a thread that would wait for a stage the other one
    /// is running takes its remaining blocks. The lower layer's thread is the forward's critical path (its loop plus every
    /// other stage) while the upper one waits 2–3 ms per pass; sharing moved ~1 ms of stage work per pass (forward
    /// median −0.4 to −1.8 ms in four `lmstep --ab` sittings, docs/benchmarks.md). Same bits: each block does the
    /// operations the whole stage does on its rows. An A/B switch for the benchmarks.</summary>
    internal static bool ShareStages = true;

    /// <param name="runs">One forward-direction run per layer (no lengths).</param>
    /// <param name="masks">[L−1] dropout masks between layers (null entries = none).</param>
    /// <param name="steps">T.</param>
    /// <param name="batch">B.</param>
    /// <param name="hidden">H.</param>
    /// <param name="parts">Threads (1 = the layers one after another).</param>
    public RecurrentPipeline(RecurrentDirection<T>[] runs, DropoutMask<T>?[] masks, int steps, int batch, int hidden, int parts)
    {
        _runs = runs; _masks = masks; _layers = runs.Length;
        _steps = steps; _batch = batch; _hidden = hidden;
        _parts = Math.Clamp(parts, 1, _layers);
        // Ranges of ~T/8 steps: the layer above waits for one range to start and the last one to finish, while
        // the GEMMs over a range keep enough rows (B·T/8) to run at full speed.
        _chunks = _parts == 1 ? 1 : Math.Min(steps, RangeCount);
        var bounds = new List<int>();
        for (int c = 0; c <= _chunks; c++) bounds.Add((int)((long)steps * c / _chunks));
        // The first and the last range are halved (from 32 steps on, so that a half keeps ≥ 4 steps): the layer above
        // idles while the layer below runs the first range (forward; the layer below, backward), and the other thread
        // idles while the last one runs, so shorter ends shorten both waits.
        if (_chunks == 8 && steps >= 32)
        {
            bounds.Insert(_chunks, (bounds[_chunks - 1] + bounds[_chunks]) / 2);
            bounds.Insert(1, bounds[1] / 2);
        }
        _bounds = bounds.ToArray();
        _chunks = _bounds.Length - 1;
        _inputs = new T[]?[_layers];
        _outputGrads = new T[]?[_layers];
        _forwardDone = new int[_layers];
        _backwardDone = new int[_layers];
        _stage = new int[_layers][];
        _fill = new int[_layers][];
        _layerReady = new int[_layers];
        _stageNext = new int[_layers][];
        _stageLeft = new int[_layers][];
        for (int l = 0; l < _layers; l++)
        {
            _stage[l] = new int[_chunks]; _fill[l] = new int[_chunks];
            _stageNext[l] = new int[_chunks]; _stageLeft[l] = new int[_chunks];
        }
        _headForward = new int[_chunks];
        _headBackward = new int[_chunks];
    }

    /// <summary>Runs <paramref name="head"/> (the output layer and loss) over the top layer's states, range by range,
    /// inside the passes: then <see cref="Forward"/> writes no y and <see cref="Backward"/> takes no dY.</summary>
    public void SetHead(PipelineHead<T> head) => _head = head;

    private (int S0, int S1) Chunk(int c) => (_bounds[c], _bounds[c + 1]);

    // ----- forward -----

    private T[]? _x;                   // layer 0's dense input [T, B, I], or null
    private int[]? _tokens;            // layer 0's one-hot ids [T, B], or null
    private T[] _h0 = [], _c0 = [];    // [L, B, H] or empty
    private T[] _y = [], _hN = [], _cN = [];

    /// <summary>Runs all layers: y [B, T, H] batch-first (the top layer's output), hN and cN [L, B, H] (cN empty
    /// for non-LSTM). Keeps the buffers for <see cref="Backward"/> (call <see cref="Release"/> when none comes).</summary>
    public void Forward(T[]? x, int[]? tokens, T[]? h0, T[]? c0, T[] y, T[] hN, T[]? cN)
    {
        _x = x; _tokens = tokens; _h0 = h0 ?? []; _c0 = c0 ?? []; _y = y; _hN = hN; _cN = cN ?? [];
        int TBH = _steps * _batch * _hidden;
        for (int l = 1; l < _layers; l++) _inputs[l] = RecurrentBuffers<T>.Rent(TBH, clear: false);
        // Every layer's input stage is set up before any thread starts: another thread may project its chunks (HelpAbove).
        for (int l = 0; l < _layers; l++) _runs[l].BeginInput(l == 0 ? _x : _inputs[l], l == 0 ? _tokens : null);
        _head?.BeginForward();
        for (int l = 0; l < _layers; l++)
            for (int c = 0; c < _chunks; c++) { _stageNext[l][c] = 0; _stageLeft[l][c] = StageBlocks(c); }
        RunParts(backward: false);
    }

    private void ForwardLayer(int l)
    {
        var run = _runs[l];
        int BH = _batch * _hidden;
        long t0 = PipelineTrace.Now();
        run.BeginRecurrence(Slice(_h0, l, BH), Slice(_c0, l, BH));
        PipelineTrace.Mark(PipelinePhase.BeginEnd, ref t0);
        for (int c = 0; c < _chunks; c++)
        {
            var (s0, s1) = Chunk(c);
            if (l == 0) { t0 = PipelineTrace.Now(); run.ProjectInput(s0, s1); PipelineTrace.Mark(PipelinePhase.Stage, ref t0); }
            else EnsureStage(l, c);
            t0 = PipelineTrace.Now();
            long tr = t0;
            run.RecurSteps(s0, s1);
            if (c == 0) PipelineTrace.Mark(PipelinePhase.RecurFirst, ref tr);
            PipelineTrace.Mark(PipelinePhase.Recur, ref t0);
            Volatile.Write(ref _forwardDone[l], s1);
            // The layer above spends a stage and a loop per chunk, this layer only a loop: it takes every other stage.
            if (_parts > 1 && l + 1 < _layers && (c & 1) == 1) TryStage(l + 1, c);
        }
        t0 = PipelineTrace.Now();
        run.EndInput();                                                           // every chunk was projected: the loop waited for each
        bool top = l == _layers - 1;
        run.EndRecurrence(top && _head is null ? _y : default, 0, _hidden, yBatchFirst: true, _hN.AsSpan(l * BH, BH),
            _cN.Length == 0 ? default : _cN.AsSpan(l * BH, BH), keepForBackward: true);
        PipelineTrace.Mark(PipelinePhase.BeginEnd, ref t0);
    }

    /// <summary>Runs the input stage of layer l, chunk c (dropout of the states below, then the projection), unless
    /// another thread has claimed it; then waits until it is done.</summary>
    private void EnsureStage(int l, int c)
    {
        if (Interlocked.CompareExchange(ref _stage[l][c], 1, 0) == 0)
        {
            RunStage(l, c);
            Volatile.Write(ref _stage[l][c], 2);
            return;
        }
        long t0 = PipelineTrace.Now();
        var spin = new SpinWait();
        bool helped = false;
        while (Volatile.Read(ref _stage[l][c]) != 2)
        {
            // The other thread runs this stage: once its input is final, take blocks of it that are still free.
            if (!helped && ShareStages && Volatile.Read(ref _stageLeft[l][c]) > 0 && Volatile.Read(ref _forwardDone[l - 1]) >= Chunk(c).S1)
            {
                PipelineTrace.Mark(PipelinePhase.WaitForward, ref t0);
                RunStageBlocks(l, c);
                PipelineTrace.Mark(PipelinePhase.Stage, ref t0);
                helped = true;
            }
            Wait(ref spin);
        }
        PipelineTrace.Mark(PipelinePhase.WaitForward, ref t0);
    }

    private void RunStage(int l, int c)
    {
        var (s0, s1) = Chunk(c);
        long t0 = PipelineTrace.Now();
        var spin = new SpinWait();
        while (Volatile.Read(ref _forwardDone[l - 1]) < s1) Wait(ref spin);
        PipelineTrace.Mark(PipelinePhase.WaitForward, ref t0);
        int BH = _batch * _hidden, n = (s1 - s0) * BH;
        if (ShareStages && PartGemm.InPart)
        {
            RunStageBlocks(l, c);
            while (Volatile.Read(ref _stageLeft[l][c]) > 0) Wait(ref spin);                // a block the other thread took
            PipelineTrace.Mark(PipelinePhase.Stage, ref t0);
            return;
        }
        var below = _runs[l - 1].States.AsSpan((s0 + 1) * BH, n);                     // h of steps s0..s1−1 [rows, H]
        var input = _inputs[l].AsSpan(s0 * BH, n);
        if (_masks[l - 1] is { } mask) mask.Apply(below, input, (long)s0 * BH, fromZero: false);
        else below.CopyTo(input);
        long tg = PipelineTrace.Now();
        _runs[l].ProjectInput(s0, s1);
        PipelineTrace.Mark(PipelinePhase.StageGemm, ref tg);
        PipelineTrace.Mark(PipelinePhase.Stage, ref t0);
    }

    private int StageBlockRows(int c) => RecurrentDirection<T>.RangeGemmRows > 0 ? RecurrentDirection<T>.RangeGemmRows : (Chunk(c).S1 - Chunk(c).S0) * _batch;

    private int StageBlocks(int c)
    {
        int rows = (Chunk(c).S1 - Chunk(c).S0) * _batch, block = StageBlockRows(c);
        return (rows + block - 1) / block;
    }

    /// <summary>Claims and runs blocks of rows of stage (l, c) until none is left (its input must be final): the dropout of
    /// the block's rows below, then their projection. The same operations per element as the whole stage.</summary>
    private void RunStageBlocks(int l, int c)
    {
        var (s0, s1) = Chunk(c);
        int H = _hidden, r0 = s0 * _batch, rows = (s1 - s0) * _batch, block = StageBlockRows(c), blocks = StageBlocks(c);
        int b;
        while ((b = Interlocked.Increment(ref _stageNext[l][c]) - 1) < blocks)
        {
            int i = b * block, m = Math.Min(block, rows - i);
            var below = _runs[l - 1].States.AsSpan((r0 + _batch + i) * H, m * H);          // h after steps of rows r0+i.. [m, H]
            var input = _inputs[l].AsSpan((r0 + i) * H, m * H);
            if (_masks[l - 1] is { } mask) mask.Apply(below, input, (long)(r0 + i) * H, fromZero: false);
            else below.CopyTo(input);
            long tg = PipelineTrace.Now();
            _runs[l].ProjectInputRows(r0 + i, m);
            PipelineTrace.Mark(PipelinePhase.StageGemm, ref tg);
            Interlocked.Decrement(ref _stageLeft[l][c]);
        }
    }

    /// <summary>A thread whose layers are done projects the remaining chunks of the layer above, from the last
    /// one down (the owner of that layer takes them from the first one up).</summary>
    private void HelpAbove(int l)
    {
        if (l + 1 >= _layers) return;
        for (int c = _chunks - 1; c >= 0 && !_failed; c--) TryStage(l + 1, c);
    }

    /// <summary>Runs the head over every range not yet claimed, in time order, each once the top layer has run it.</summary>
    private void HelpHead()
    {
        if (_head is null) return;
        for (int c = 0; c < _chunks && !_failed; c++)
        {
            if (Interlocked.CompareExchange(ref _headForward[c], 1, 0) != 0) continue;
            var (s0, s1) = Chunk(c);
            long t0 = PipelineTrace.Now();
            var spin = new SpinWait();
            while (Volatile.Read(ref _forwardDone[_layers - 1]) < s1) Wait(ref spin);
            PipelineTrace.Mark(PipelinePhase.WaitForward, ref t0);
            _head.ForwardRange(s0, s1, _runs[_layers - 1].States);
            PipelineTrace.Mark(PipelinePhase.Head, ref t0);
            Volatile.Write(ref _headForward[c], 2);
        }
    }

    private void TryStage(int l, int c)
    {
        if (Interlocked.CompareExchange(ref _stage[l][c], 1, 0) != 0) return;
        RunStage(l, c);
        Volatile.Write(ref _stage[l][c], 2);
    }

    // ----- backward -----

    private T[]? _dY;                          // [B, T, H] gradient of the top output, or null
    private T[] _dhN = [], _dcN = [];
    private T[] _dX = [], _dh0 = [], _dc0 = [];
    private RecurrentGradients<T>[] _grads = [];

    /// <summary>Back-propagates through all layers (accumulating into every non-empty destination) and releases the buffers.</summary>
    /// <remarks>With a head (<see cref="SetHead"/>) dY must be null; headRowScale is d loss / rows (the cross-entropy's
    /// factor per row) and headGradients the head's weight and bias gradients (null = not wanted).</remarks>
    public void Backward(T[]? dY, T[]? dhN, T[]? dcN, T[]? dX, T[]? dh0, T[]? dc0, RecurrentGradients<T>[] grads,
        T headRowScale = default, (T[]? Weight, T[]? Bias) headGradients = default)
    {
        if (_head is not null)
        {
            if (dY is not null) throw new InvalidOperationException("RecurrentPipeline: with a head, the top layer's output gradient comes from the head.");
            dY = _head.BeginBackward();                                                // [T, B, H] step order, filled range by range
            _headRowScale = headRowScale;
            _headBackwardDone = 0;
            _headGradients = headGradients;
        }
        _dY = dY; _dhN = dhN ?? []; _dcN = dcN ?? []; _dX = dX ?? []; _dh0 = dh0 ?? []; _dc0 = dc0 ?? []; _grads = grads;
        int TBH = _steps * _batch * _hidden;
        for (int l = 0; l < _layers - 1; l++) _outputGrads[l] = RecurrentBuffers<T>.Rent(TBH, clear: false);
        for (int l = 0; l < _layers; l++) _backwardDone[l] = _steps;
        // Weight gradients (dW_hh, and dW_ih of dense inputs) in P row blocks each, top layer first: any thread that has
        // finished its layers takes the next block, so the threads finish together.
        var tasks = new List<(int, bool, int, int)>();
        if (_head is not null) tasks.Add((HeadTask, false, 0, 0));                      // first: its inputs are final first
        for (int l = _layers - 1; l >= 0; l--)
        {
            int G = _runs[l].Gates;
            // The last layer's blocks shrink (G/2, G/4, …, two of ≥ 128 rows at the end, when P = 2): the thread that
            // claims the last block finishes at most that block after the other, instead of up to a G/P block.
            var bounds = l == 0 && _parts > 1 && GuidedTail ? TailBounds(G) : EvenBounds(G, _parts);
            for (int p = 0; p + 1 < bounds.Count; p++)
            {
                int g0 = bounds[p], g1 = bounds[p + 1];
                if (_grads[l].WeightHh.Length > 0) tasks.Add((l, true, g0, g1));
                if (_grads[l].WeightIh is not null && (l > 0 || _tokens is null)) tasks.Add((l, false, g0, g1));
            }
        }
        _tasks = tasks.ToArray();
        _nextTask = 0;
        try { RunParts(backward: true); }
        finally { Release(); }
    }

    private (T[]? Weight, T[]? Bias) _headGradients;
    /// <summary>False: the last layer's weight gradients run in P equal row blocks like the others (A/B switch).</summary>
    internal static bool GuidedTail = true;

    private static List<int> EvenBounds(int G, int parts)
    {
        var b = new List<int>();
        for (int p = 0; p <= parts; p++) b.Add((int)((long)G * p / parts));
        return b;
    }

    /// <summary>Row bounds of halving blocks G/2, G/4, … down to two last blocks of at least 128 rows (below 512 rows:
    /// P equal blocks). Each block packs all of B again, so blocks stay large enough for that to be small.</summary>
    private List<int> TailBounds(int G)
    {
        const int min = 128;
        if (G < 4 * min) return EvenBounds(G, _parts);
        var b = new List<int> { 0 };
        int left = G;
        while (left / 2 >= 2 * min) { b.Add(b[^1] + left / 2); left -= left / 2; }
        if (left >= 2 * min) b.Add(b[^1] + left / 2);
        b.Add(G);
        return b;
    }

    private const int HeadTask = -1;                   // the layer index of the head's weight-gradient task

    private void BackwardLayer(int l)
    {
        var run = _runs[l];
        int BH = _batch * _hidden;
        bool top = l == _layers - 1;
        long t0 = PipelineTrace.Now();
        run.BeginBackward(top ? _dY : _outputGrads[l], 0, _hidden, yBatchFirst: top && _head is null, Slice(_dhN, l, BH), Slice(_dcN, l, BH),
            wantDh0: _dh0.Length > 0);
        PipelineTrace.Mark(PipelinePhase.BeginEnd, ref t0);
        for (int c = _chunks - 1; c >= 0; c--)
        {
            var (s0, s1) = Chunk(c);
            if (!top) EnsureFill(l, c);
            else if (_head is not null) EnsureHeadBackward(c);
            t0 = PipelineTrace.Now();
            run.BackSteps(s0, s1);
            PipelineTrace.Mark(PipelinePhase.BackSteps, ref t0);
            Volatile.Write(ref _backwardDone[l], s0);
        }
        // Our gate gradients are final: help the layer below with its output gradient (its owner takes the chunks in
        // the same order, so the two threads share them).
        if (_parts > 1 && l > 0)
            for (int c = _chunks - 1; c >= 0 && !_failed; c--) TryFill(l - 1, c);
        var g = _grads[l];
        t0 = PipelineTrace.Now();
        run.EndBackward(l == 0 ? _dX : default, SliceMutable(_dh0, l, BH), SliceMutable(_dc0, l, BH),
            g.WeightIh, g.WeightHh, g.BiasIh, g.BiasHh, release: false, weightGemms: false);   // the layer below may still read our gate gradients
        PipelineTrace.Mark(PipelinePhase.BeginEnd, ref t0);
        Volatile.Write(ref _layerReady[l], 1);
    }

    /// <summary>The head's backward over range c (dlogits, then the top layer's dY of those steps), unless another
    /// thread has claimed it; then waits until it is done.</summary>
    private void EnsureHeadBackward(int c)
    {
        if (TryHeadBackward(c)) return;
        long t0 = PipelineTrace.Now();
        var spin = new SpinWait();
        while (Volatile.Read(ref _headBackward[c]) != 2) Wait(ref spin);
        PipelineTrace.Mark(PipelinePhase.WaitBackward, ref t0);
    }

    private bool TryHeadBackward(int c)
    {
        if (Interlocked.CompareExchange(ref _headBackward[c], 1, 0) != 0) return false;
        var (s0, s1) = Chunk(c);
        long t0 = PipelineTrace.Now();
        _head!.BackwardRange(s0, s1, _headRowScale);
        PipelineTrace.Mark(PipelinePhase.Head, ref t0);
        Volatile.Write(ref _headBackward[c], 2);
        Interlocked.Increment(ref _headBackwardDone);
        return true;
    }

    private void EnsureFill(int l, int c)
    {
        if (TryFill(l, c)) return;
        long t0 = PipelineTrace.Now();
        var spin = new SpinWait();
        while (Volatile.Read(ref _fill[l][c]) != 2) Wait(ref spin);
        PipelineTrace.Mark(PipelinePhase.WaitBackward, ref t0);
    }

    private bool TryFill(int l, int c)
    {
        if (Interlocked.CompareExchange(ref _fill[l][c], 1, 0) != 0) return false;
        var (s0, s1) = Chunk(c);
        FillOutputGradient(l, s0, s1);
        Volatile.Write(ref _fill[l][c], 2);
        return true;
    }

    /// <summary>Claims and runs weight-gradient blocks until none is left (each waits until its layer's gate gradients are final).</summary>
    private void RunWeightTasks()
    {
        int i;
        while ((i = Interlocked.Increment(ref _nextTask) - 1) < _tasks.Length)
        {
            var (l, recurrent, g0, g1) = _tasks[i];
            long t0 = PipelineTrace.Now();
            var spin = new SpinWait();
            if (l == HeadTask)
            {
                // Every head range must have run backward; their owners may still be at it.
                for (int c = _chunks - 1; c >= 0; c--) TryHeadBackward(c);
                while (Volatile.Read(ref _headBackwardDone) < _chunks) Wait(ref spin);
                PipelineTrace.Mark(PipelinePhase.WaitWeights, ref t0);
                _head!.WeightGradients(_headGradients.Weight, _headGradients.Bias);
                PipelineTrace.Mark(PipelinePhase.Weights, ref t0);
                continue;
            }
            while (Volatile.Read(ref _layerReady[l]) == 0) Wait(ref spin);
            PipelineTrace.Mark(PipelinePhase.WaitWeights, ref t0);
            _runs[l].WeightGradientRows(recurrent, g0, g1, recurrent ? _grads[l].WeightHh : _grads[l].WeightIh);
            PipelineTrace.Mark(PipelinePhase.Weights, ref t0);
        }
    }

    /// <summary>d (output of layer l) for steps [s0, s1) = dropout backward of dGates(l+1)·W_ih(l+1), once layer l+1 has run them.</summary>
    private void FillOutputGradient(int l, int s0, int s1)
    {
        long t0 = PipelineTrace.Now();
        var spin = new SpinWait();
        while (Volatile.Read(ref _backwardDone[l + 1]) > s0) Wait(ref spin);
        PipelineTrace.Mark(PipelinePhase.WaitBackward, ref t0);
        int BH = _batch * _hidden, n = (s1 - s0) * BH;
        var d = _outputGrads[l].AsSpan(s0 * BH, n);
        long tg = PipelineTrace.Now();
        d.Clear();                                                                   // the layer-by-layer path accumulates into a zeroed gradient
        _runs[l + 1].InputGradientRows(s0, s1, d);
        PipelineTrace.Mark(PipelinePhase.FillGemm, ref tg);
        if (_masks[l] is { } mask) mask.Apply(d, d, (long)s0 * BH, fromZero: true);
        PipelineTrace.Mark(PipelinePhase.Fill, ref t0);
    }

    // ----- threads -----

    private long _passStart;                   // Stopwatch timestamp of the pass (PipelineTrace only)

    private void RunParts(bool backward)
    {
        if (PipelineTrace.On) _passStart = System.Diagnostics.Stopwatch.GetTimestamp();
        var body = new Part(this, backward);
        if (_parts == 1 || !Parallelism.RunTeam(_parts, ref body)) body.Run(0, 1);
    }

    private readonly struct Part(RecurrentPipeline<T> owner, bool backward) : IParallelBody
    {
        public void Run(int part, int parts) => owner.RunPart(part, parts, backward);
    }

    // Part p owns layers p, p+P, …: forward in increasing order, backward in decreasing order. A layer waits only
    // for its neighbour on the side the data comes from, whose owner never waits on it, so there is no cycle.
    private void RunPart(int part, int parts, bool backward)
    {
        bool wasInPart = PartGemm.InPart;
        PartGemm.InPart = parts > 1;                                                   // the workers are ours: GEMMs stay on this thread
        if (PipelineTrace.On) PipelineTrace.BeginPart(part, backward);
        try
        {
            if (!backward)
            {
                int last = part;
                for (int l = part; l < _layers; l += parts) { ForwardLayer(l); last = l; }
                if (parts > 1) HelpAbove(last);
                HelpHead();
            }
            else
            {
                int first = part + (_layers - 1 - part) / parts * parts;                // this part's top layer
                // A part below the top layer would first wait for it: it runs head ranges meanwhile (from the last one
                // down, as the top layer's owner needs them).
                if (_head is not null && first != _layers - 1)
                    for (int c = _chunks - 1; c >= 0 && !_failed; c--) TryHeadBackward(c);
                for (int l = first; l >= 0; l -= parts) BackwardLayer(l);
                RunWeightTasks();
            }
        }
        catch
        {
            _failed = true;
            throw;
        }
        finally
        {
            PartGemm.InPart = wasInPart;
            long start = _passStart;
            PipelineTrace.Mark(PipelinePhase.Finished, ref start);
            PipelineTrace.EndPart();
        }
    }

    private void Wait(ref SpinWait spin)
    {
        if (_failed) throw new OperationCanceledException("RecurrentPipeline: another part failed.");
        spin.SpinOnce(sleep1Threshold: -1);
    }

    /// <summary>Returns every pooled buffer (after backward, or when no backward will come).</summary>
    public void Release()
    {
        _head?.Release();
        foreach (var run in _runs) run.ReleaseBackward();
        for (int l = 0; l < _layers; l++)
        {
            RecurrentBuffers<T>.Return(_inputs[l]);
            RecurrentBuffers<T>.Return(_outputGrads[l]);
            _inputs[l] = _outputGrads[l] = null;
        }
    }

    private static ReadOnlySpan<T> Slice(T[] a, int l, int n) => a.Length == 0 ? default : a.AsSpan(l * n, n);
    private static Span<T> SliceMutable(T[] a, int l, int n) => a.Length == 0 ? default : a.AsSpan(l * n, n);
}

/// <summary>Where one layer's parameter gradients go (null or empty = not wanted).</summary>
internal readonly record struct RecurrentGradients<T>(T[]? WeightIh, T[] WeightHh, T[] BiasIh, T[] BiasHh)
    where T : unmanaged, IFloatingPointIeee754<T>;
