// `dwgemm` mode: the weight-gradient GEMMs of a pipelined 2-layer LSTM backward pass (H = 256, T·B = 2048) on their
// own, as RecurrentPipeline runs them: dW_hh(l) = dGᵀ(l)·H_prev(l) for both layers and dW_ih(1) = dGᵀ(1)·X(1), in row
// blocks claimed by P threads. Operands are made cold (a 64 MB sweep) and dG re-written before each repetition, as the
// backward loop leaves them. Variants run interleaved rep by rep; prints the median phase time and GFLOP/s of each:
//   base        the library's path: plain GEMM per row block, P blocks per GEMM (each block packs its rows of
//               dGᵀ and all of B)
//   shared-B    prototype (dropped in session 5): [X | H_prev] packed once per layer (P panel blocks, one per
//               thread), one product per row block for dW_ih and dW_hh of layer 1 (dGᵀ packed once for both),
//               2P row blocks per G×H product; bit-identical to base (checked below)
//   ic-outer    as shared-B, loop order rows-outer / depth-inner (the C block stays in L2, B streams per row block)
//   packA-only, kernel-only   the shared-B nest split in its parts (results differ on purpose)
// (A sixth variant, no A packing — a 6×16 kernel reading dGᵀ straight from dG at a 4 KB stride — measured ~45 GFLOP/s
// against ~81 and was removed with its copy of the micro-kernel; docs/benchmarks.md has its numbers.)
// AVX2 machines only (the prototypes call the 6×16 kernel directly).
//   dotnet bench/Recurrent.Benchmarks/bin/Release/net10.0/Recurrent.Benchmarks.dll dwgemm [--threads 2] [--reps 30] [--hot]
using System.Diagnostics;
using Recurrent.Kernels;
using Recurrent.Ops;

namespace Recurrent.Benchmarks;

/// <summary>Weight-gradient GEMM phase of the pipelined LSTM backward pass, per variant.</summary>
public static class WeightGemmBench
{
    private const int H = 256, G = 4 * H, TB = 2048;

    public static int Run(string[] args)
    {
        int threads = 2, reps = 30;
        bool hot = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--threads") threads = int.Parse(args[++i]);
            else if (args[i] == "--reps") reps = int.Parse(args[++i]);
            else if (args[i] == "--hot") hot = true;
            else { Console.Error.WriteLine($"dwgemm: unknown argument '{args[i]}'"); return 2; }
        }
        Parallelism.Threads = threads;
        var rng = new Random(1);
        float[] Fill(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() - 0.5); return a; }
        var dG = new[] { Fill(TB * G), Fill(TB * G) };             // [T·B, G] per layer
        var hs = new[] { Fill(TB * H), Fill(TB * H) };             // [T·B, H] H_prev per layer
        var x1 = Fill(TB * H);                                      // [T·B, H] layer 1's input
        var sweep = new float[16 << 20];                            // 64 MB
        double flops = 3 * 2.0 * G * H * TB;
        Console.WriteLine($"dwgemm threads={threads} reps={reps} {(hot ? "hot" : "cold")}, load {File.ReadAllText("/proc/loadavg").Trim()}");

        // Variants interleaved rep by rep, so that the machine's slow spells hit all alike.
        var variants = RecurrentPipelineWeights.Variants;
        var times = variants.Select(_ => new List<double>()).ToArray();
        var results = new float[variants.Length][];
        var dW = new[] { new float[G * H], new float[G * H], new float[G * H] };
        for (int r = -2; r < reps; r++)
            for (int v = 0; v < variants.Length; v++)
            {
                foreach (var w in dW) Array.Clear(w);
                if (!hot)
                {
                    for (int i = 0; i < sweep.Length; i += 16) sweep[i] += 1f;
                    foreach (var d in dG) for (int i = 0; i < d.Length; i += 16) d[i] *= 1f;   // written lately, as by the backward loop
                }
                long t0 = Stopwatch.GetTimestamp();
                RecurrentPipelineWeights.Run(variants[v], threads, dG, hs, x1, dW);
                double s = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
                if (r >= 0) times[v].Add(s);
                results[v] = dW[0].Concat(dW[1]).Concat(dW[2]).ToArray();
            }
        for (int v = 0; v < variants.Length; v++)
        {
            var t = times[v];
            t.Sort();
            double med = t[t.Count / 2];
            bool same = results[v].AsSpan().SequenceEqual(results[0]);
            Console.WriteLine($"  {variants[v],-10} median {med * 1e3,7:F2} ms  p25 {t[t.Count / 4] * 1e3,7:F2}  min {t[0] * 1e3,7:F2}  {flops / med / 1e9,6:F1} GFLOP/s wall, {flops / med / 1e9 / threads,6:F1} per thread{(same ? "" : "  DIFFERS from the first variant")}");
        }
        return 0;
    }
}

/// <summary>One column segment of the shared packed B and its C (row 0 = gate row 0).</summary>
internal readonly unsafe struct ColumnSegment(int column0, int n, float* c, int ldc)
{
    public readonly int Column0 = column0, N = n, Ldc = ldc;
    public readonly float* C = c;
}

/// <summary>The variants of the weight-gradient phase (see the file comment).</summary>
internal static unsafe class RecurrentPipelineWeights
{
    private const int H = 256, G = 4 * H, TB = 2048, KC = GemmF32.KC;
    public static readonly string[] Variants = ["base", "shared-B", "ic-outer", "packA-only", "kernel-only"];

    private static PackedMatrix? s_h0, s_fused;
    private static int s_next, s_packed;
    [ThreadStatic] private static int s_mode;   // 1: pack A only, 2: kernel only (A packed at the first depth block only)

    public static void Run(string variant, int threads, float[][] dG, float[][] hs, float[] x1, float[][] dW)
    {
        s_h0 ??= new PackedMatrix(TB, H);
        s_fused ??= new PackedMatrix(TB, 2 * H);                // [X | H_prev] of layer 1
        s_next = 0; s_packed = 0;
        var body = new Body(variant, dG, hs, x1, dW);
        if (threads == 1 || !Parallelism.RunTeam(threads, ref body)) body.Run(0, 1);
    }

    private readonly struct Body(string variant, float[][] dG, float[][] hs, float[] x1, float[][] dW) : IParallelBody
    {
        public void Run(int part, int parts) => RunPart(variant, part, parts, dG, hs, x1, dW);
    }

    private static void RunPart(string variant, int part, int parts, float[][] dG, float[][] hs, float[] x1, float[][] dW)
    {
        bool was = PartGemm.InPart;
        PartGemm.InPart = true;
        try
        {
            var tasks = new List<(int L, bool Rec, int G0, int G1)>();
            if (variant == "base")
                for (int l = 1; l >= 0; l--)                     // as the pipeline listed them before: P blocks per GEMM
                    for (int p = 0; p < parts; p++)
                    {
                        int g0 = G * p / parts, g1 = G * (p + 1) / parts;
                        tasks.Add((l, true, g0, g1));
                        if (l == 1) tasks.Add((l, false, g0, g1));
                    }
            else
            {
                for (int l = 1; l >= 0; l--)                     // 2P blocks per G×H product (layer 1: two, fused)
                {
                    int blocks = 2 * parts * (l == 1 ? 2 : 1);
                    for (int p = 0; p < blocks; p++) tasks.Add((l, true, G * p / blocks, G * (p + 1) / blocks));
                }
                // Pack the B operands once, each thread a share of the panels, then wait for all.
                int panels = s_h0!.Panels, q0 = panels * part / parts, q1 = panels * (part + 1) / parts;
                s_h0.PackPanels(false, hs[0], H, q0, q1);
                fixed (float* px = x1) fixed (float* ph = hs[1])
                    for (int pc = 0; pc < TB; pc += KC)
                    {
                        float* dst = s_fused!.Pointer + (nint)pc * s_fused.PaddedN;     // [X | H_prev]: X in columns 0..H, H_prev after
                        GemmPacking.PackB(false, px, H, q0 * 16, (q1 - q0) * 16, pc, KC, 16, dst + (nint)q0 * 16 * KC);
                        GemmPacking.PackB(false, ph, H, q0 * 16, (q1 - q0) * 16, pc, KC, 16, dst + (nint)(H + q0 * 16) * KC);
                    }
                Interlocked.Increment(ref s_packed);
                var spin = new SpinWait();
                while (Volatile.Read(ref s_packed) < parts) spin.SpinOnce(-1);
            }
            int i;
            var segments = new ColumnSegment[2];
            while ((i = Interlocked.Increment(ref s_next) - 1) < tasks.Count)
            {
                var (l, rec, g0, g1) = tasks[i];
                fixed (float* pa = dG[l]) fixed (float* pc0 = dW[0]) fixed (float* pc1 = dW[1]) fixed (float* pc2 = dW[2])
                {
                    var packed = l == 0 ? s_h0! : s_fused!;
                    if (l == 0) segments[0] = new ColumnSegment(0, H, pc0, H);
                    else { segments[0] = new ColumnSegment(0, H, pc2, H); segments[1] = new ColumnSegment(H, H, pc1, H); }
                    var segs = segments.AsSpan(0, l == 0 ? 1 : 2);
                    switch (variant)
                    {
                        case "base":
                            var c = dW[l == 0 ? 0 : rec ? 1 : 2];
                            PartGemm.Multiply(true, false, g1 - g0, H, TB, dG[l].AsSpan(g0), G, rec ? hs[l] : x1, H, c.AsSpan(g0 * H), H, accumulate: true);
                            break;
                        default:
                            s_mode = variant == "packA-only" ? 1 : variant == "kernel-only" ? 2 : 0;   // shared-B, ic-outer: 0
                            Nest(pa, g0, g1, packed, segs, icOuter: variant == "ic-outer", mc: 128);
                            s_mode = 0;
                            break;
                    }
                }
            }
        }
        finally { PartGemm.InPart = was; }
    }

    /// <summary>Rows [g0, g1) of C_s += dGᵀ·B_s (AVX2 kernel, whole 16-column panels).</summary>
    private static void Nest(float* a, int g0, int g1, PackedMatrix b, ReadOnlySpan<ColumnSegment> segs, bool icOuter, int mc)
    {
        float* packA = PackBuffers.A(mc * KC);
        if (!icOuter)
        {
            for (int pc = 0; pc < TB; pc += KC)
                for (int ic = g0; ic < g1; ic += mc) Block(a, ic, Math.Min(mc, g1 - ic), pc, b, segs, packA);
        }
        else
            for (int ic = g0; ic < g1; ic += mc)
                for (int pc = 0; pc < TB; pc += KC) Block(a, ic, Math.Min(mc, g1 - ic), pc, b, segs, packA);
    }

    private static void Block(float* a, int ic, int mcb, int pc, PackedMatrix b, ReadOnlySpan<ColumnSegment> segs, float* packA)
    {
        if (s_mode != 2 || pc == 0) GemmPacking.PackA(true, a, G, ic, mcb, pc, KC, 6, packA);
        if (s_mode == 1) return;
        float* bBlock = b.Pointer + (nint)pc * b.PaddedN;
        foreach (var s in segs)
            for (int jr = 0; jr < s.N; jr += 16)
            {
                float* bPanel = bBlock + (nint)(s.Column0 + jr) * KC;
                int rows;
                for (int ir = 0; ir < mcb; ir += rows)
                {
                    rows = GemmPacking.TileRows(mcb - ir, 6);
                    MicroKernelAvx2.Run(rows, KC, packA + (nint)ir * KC, bPanel, s.C + (nint)(ic + ir) * s.Ldc + jr, s.Ldc, add: true);
                }
            }
    }
}
