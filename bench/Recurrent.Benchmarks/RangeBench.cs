// `ranges` mode: the step-range GEMMs of the pipelined train lm step alone, on one thread (StepGemm over W_ih packed once),
// with the operands hot or cold, to tell how much of their in-place rate the operands' origin costs:
//   dotnet run -c Release --project bench/Recurrent.Benchmarks -- ranges [--hidden 256] [--batch 32] [--reps 200]
// stage: C [rows, G] = A [rows, H]·W_ihᵀ (stage+b: then the bias pass, as ProjectInput); fill: C [rows, H] = dG [rows, G]·W_ih. Rows = B·steps of a range
// (4, 8, 16 steps). Cold = the operand rotates through 64 MB of buffers, so each call finds it in memory; xcore = A
// was written by another thread (the other core) just before the call, as a fill's dG rows are by the layer above's loop;
// coldB = W_ih packed comes from memory; busy = the other core runs a recurrent step product meanwhile (as the other pipeline thread's loop does); padA = A's rows
// with a stride of k + 16 floats (--origins picks and orders the cells).
using System.Diagnostics;
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Benchmarks;

/// <summary>Per-call times of the stage and fill GEMMs by range size and operand origin.</summary>
public static class RangeBench
{
    private static string[] Origins = ["hot", "coldA", "coldB", "coldC", "xcoreA", "padA", "busy"];

    public static int Run(string[] args)
    {
        int H = 256, B = 32, reps = 200;
        for (int i = 0; i < args.Length; i++)
        {
            string next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"ranges: {args[i]} needs a value");
            switch (args[i])
            {
                case "--hidden": H = int.Parse(next()); break;
                case "--batch": B = int.Parse(next()); break;
                case "--reps": reps = int.Parse(next()); break;
                case "--origins": Origins = next().Split(','); break;
                default: Console.Error.WriteLine($"ranges: unknown argument '{args[i]}'"); return 2;
            }
        }
        int G = 4 * H;
        var rng = new Rng(5);
        var w = new float[G * H]; rng.FillUniform<float>(w, -0.06f, 0.06f);             // W_ih [G, H]
        var bias = new float[G]; rng.FillUniform<float>(bias, -0.06f, 0.06f);
        var forward = PackedMatrix.Create(transposeB: true, H, G, w);                   // op(B) = W_ihᵀ [H×G]
        var backward = PackedMatrix.Create(transposeB: false, G, H, w);                 // op(B) = W_ih [G×H]
        Console.WriteLine($"range GEMMs H={H} G={G} B={B}, {reps} calls per cell, one thread, load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"  {"GEMM",-7} {"steps",5} {"rows",5} {"origin",-7} {"median µs",10} {"p10 µs",8} {"GFLOP/s (p10)",14}");
        const int poolFloats = 16 << 20;                                               // 64 MB
        var pool = new float[poolFloats]; rng.FillUniform<float>(pool, -1, 1);
        var sw = new Stopwatch();
        // The origins of one cell alternate call by call, so that all of them see the same machine (on this VM the rate
        // of the same call drifts by ±30% within minutes).
        using var busy = Origins.Contains("busy") ? new OtherCoreLoop(H, G) : null;
        // coldB: W_ih packed in 40 copies (40 MB), a different one each call, as the pipeline's loops evict it between ranges.
        var forwards = Enumerable.Range(0, 40).Select(_ => PackedMatrix.Create(transposeB: true, H, G, w)).ToArray();
        var backwards = Enumerable.Range(0, 40).Select(_ => PackedMatrix.Create(transposeB: false, G, H, w)).ToArray();
        int call = 0;
        foreach (var (name, k, n, packed) in new[] { ("stage", H, G, forward), ("stage+b", H, G, forward), ("fill", G, H, backward) })
            foreach (int steps in new[] { 4, 8, 16 })
            {
                int m = B * steps;
                var times = Origins.Select(_ => new List<double>()).ToArray();
                var aHot = new float[m * (k + 16)]; var cHot = new float[m * n];
                rng.FillUniform<float>(aHot, -1, 1);
                using var writer = Origins.Contains("xcoreA") ? new OtherCoreWriter(aHot) : null;
                int slots = poolFloats / (m * (k + 16) + m * n);
                for (int r = -10; r < reps; r++)
                    for (int o = 0; o < Origins.Length; o++)
                    {
                        string origin = Origins[o];
                        // padA: A's rows 16 floats apart more than k (a row stride of k·4 bytes = 4 KB at G=1024 puts a
                        // tile's six rows in one L1 set).
                        int lda = origin == "padA" ? k + 16 : k, aLen = m * lda, cLen = m * n;
                        int slot = ((r + 10) * Origins.Length + o) % slots, at = slot * (m * (k + 16) + m * n);
                        Span<float> a = origin == "coldA" ? pool.AsSpan(at, aLen) : aHot.AsSpan(0, aLen);
                        Span<float> c = origin == "coldC" ? pool.AsSpan(at + m * (k + 16), cLen) : cHot;
                        if (origin == "xcoreA") writer!.WriteAndWait(r);
                        if (busy is not null) busy.On = origin == "busy";
                        sw.Restart();
                        var b = origin != "coldB" ? packed : (name == "fill" ? backwards : forwards)[call++ % 40];
                        StepGemm.MultiplyPacked(m, a, lda, b, c, n, accumulate: false);
                        if (name == "stage+b") for (int i = 0; i < m; i++) Elementwise.AddRowToEach<float>(c.Slice(i * n, n), bias);   // as ProjectInput
                        double us = sw.Elapsed.TotalMilliseconds * 1e3;
                        if (busy is not null) busy.On = false;
                        if (r >= 0) times[o].Add(us);
                    }
                for (int o = 0; o < Origins.Length; o++)
                {
                    times[o].Sort();
                    double med = times[o][times[o].Count / 2], p10 = times[o][times[o].Count / 10];
                    Console.WriteLine($"  {name,-7} {steps,5} {m,5} {Origins[o],-7} {med,10:F1} {p10,8:F1} {2.0 * m * n * k / (p10 * 1e3),14:F1}");
                }
            }
        return 0;
    }

    /// <summary>A thread that runs a recurrent step's product (h [B, H]·W_hhᵀ into gates rows that walk through 8 MB, W_hh
    /// packed 1 MB of its own) over and over until disposed: the other core's work while a stage runs in the pipeline.</summary>
    private sealed class OtherCoreLoop : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;

        /// <summary>Whether the loop runs (else the thread spins idle).</summary>
        public volatile bool On;

        public OtherCoreLoop(int hidden, int gates)
        {
            var rng = new Rng(11);
            var w = new float[gates * hidden]; rng.FillUniform<float>(w, -0.06f, 0.06f);
            var packed = PackedMatrix.Create(transposeB: true, hidden, gates, w);
            var h = new float[32 * hidden]; rng.FillUniform<float>(h, -1, 1);
            var acts = new float[64 * 32 * gates];                                     // [T, B, G] 8 MB
            _thread = new Thread(() =>
            {
                for (int s = 0; !_stop; s = (s + 1) % 64)
                    if (!On) Thread.SpinWait(20);
                    else StepGemm.MultiplyPacked(32, h, hidden, packed, acts.AsSpan(s * 32 * gates, 32 * gates), gates, accumulate: true);
            }) { IsBackground = true };
            _thread.Start();
        }

        public void Dispose() { _stop = true; _thread.Join(); }
    }

    /// <summary>A thread that rewrites the buffer when asked and returns once it has (its lines are then modified in the
    /// other core's caches, as a fill's dG rows are when the layer above's backward loop has just written them).</summary>
    private sealed class OtherCoreWriter : IDisposable
    {
        private readonly float[] _buffer;
        private readonly Thread _thread;
        private volatile int _request = int.MinValue, _done = int.MinValue;
        private volatile bool _stop;

        public OtherCoreWriter(float[] buffer)
        {
            _buffer = buffer;
            _thread = new Thread(Loop) { IsBackground = true };
            _thread.Start();
        }

        public void WriteAndWait(int round)
        {
            _request = round;
            var spin = new SpinWait();
            while (_done != round) spin.SpinOnce(sleep1Threshold: -1);
        }

        private void Loop()
        {
            int seen = int.MinValue;
            var spin = new SpinWait();
            while (!_stop)
            {
                int r = _request;
                if (r == seen) { spin.SpinOnce(sleep1Threshold: -1); continue; }
                seen = r;
                var b = _buffer;
                for (int i = 0; i < b.Length; i++) b[i] = b[i] * 0.5f + 0.25f;
                _done = r;
            }
        }

        public void Dispose() { _stop = true; _thread.Join(); }
    }
}
