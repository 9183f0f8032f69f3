// `kern` mode: the kernel shapes of a FusedCharLm training step measured alone, best of many calls:
//   dotnet run -c Release --project bench/Recurrent.Benchmarks -- kern [--hidden 256] [--batch 32] [--steps 35]
//   dotnet run -c Release --project bench/Recurrent.Benchmarks -- kern gates [reps]     (gate kernels, B=32 H=256)
// The weight gradient dW = dGᵀ·H_prev (transposed A) beside the same product with A stored untransposed (what the
// transposing pack costs), and the per-step products with the packed weight hot in cache and cold (rotating through
// copies that together exceed L2, as in a training step where the rest of the step evicts W_hh).
using System.Diagnostics;
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Benchmarks;

/// <summary>Best-of timings of the GEMM shapes inside one FusedCharLm step.</summary>
public static class KernBench
{
    public static int Run(string[] args)
    {
        int H = 256, B = 32, T = 35;
        if (args.Length > 0 && args[0] == "gates") return Gates(args.Length > 1 ? int.Parse(args[1]) : 400);
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--hidden": H = int.Parse(args[++i]); break;
                case "--batch": B = int.Parse(args[++i]); break;
                case "--steps": T = int.Parse(args[++i]); break;
                default: Console.Error.WriteLine($"kern: unknown argument '{args[i]}'"); return 2;
            }
        }
        Parallelism.Threads = 1;
        int G = 4 * H, N = T * B;
        var rng = new Rng(7);
        float[] Rand(int n) { var a = new float[n]; rng.FillUniform<float>(a, -1, 1); return a; }
        if (File.Exists("/proc/loadavg")) Console.WriteLine($"load {File.ReadAllText("/proc/loadavg").Trim()}");
        double peak = FmaPeak.MeasureGflops(1, seconds: 0.5);
        Console.WriteLine($"peak {peak:F1} GFLOP/s; H={H} B={B} T={T} (N={N}, G={G})");
        void Report(string name, double flops, Action run)
        {
            double s = Best(run);
            Console.WriteLine($"{name,-44} {s * 1e6,9:F1} µs {flops / s / 1e9,7:F1} GFLOP/s {100 * flops / s / 1e9 / peak,4:F0}%");
        }
        var dG = Rand(N * G); var hp = Rand(N * H); var dW = new float[G * H];
        var dGt = Rand(G * N);
        Report($"dW {G}x{H}x{N} dGt.H (transA)", 2.0 * G * H * N, () => Gemm.Multiply<float>(true, false, G, H, N, dG, G, hp, H, dW, H, false));
        Report($"dW {G}x{H}x{N} A.H (A untransposed)", 2.0 * G * H * N, () => Gemm.Multiply<float>(false, false, G, H, N, dGt, N, hp, H, dW, H, false));
        unsafe
        {
            float* buf = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(120 * 256 * 4, 64);
            float* bbuf = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(256 * 256 * 4, 64);
            // The packing the dW product above does (MC = 120, KC = 256 blocks of the AVX2 kernel), timed on its own.
            Report($"  its A packs alone (dG transposed)", 2.0 * G * H * N, () =>
            {
                fixed (float* a = dG)
                    for (int pc = 0; pc < N; pc += 256)
                        for (int ic = 0; ic < G; ic += 120)
                            GemmPacking.PackA(true, a, G, ic, Math.Min(120, G - ic), pc, Math.Min(256, N - pc), 6, buf);
            });
            Report($"  its B packs alone", 2.0 * G * H * N, () =>
            {
                fixed (float* b = hp)
                    for (int pc = 0; pc < N; pc += 256)
                        GemmPacking.PackB(false, b, H, 0, H, pc, Math.Min(256, N - pc), 16, bbuf);
            });
            System.Runtime.InteropServices.NativeMemory.AlignedFree(buf);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(bbuf);
        }
        Report($"dW {G}x{H}x2048 dGt.H (transA)", 2.0 * G * H * 2048, () => Gemm.Multiply<float>(true, false, G, H, 2048, Rand2048(), G, hp2048(), H, dW, H, false));

        // Per-step products: forward h[B×H]·W_hhᵀ → [B×G], backward dG[B×G]·W_hh → [B×H].
        const int copies = 8;                                                        // 8 × 1 MB (H=256 LSTM) ≫ L2
        var whhT = new PackedMatrix[copies]; var whh = new PackedMatrix[copies];
        for (int c = 0; c < copies; c++)
        {
            var w = Rand(G * H);                                                     // W_hh [G×H]
            whhT[c] = PackedMatrix.Create(true, H, G, w, H);
            whh[c] = PackedMatrix.Create(false, G, H, w, H);
        }
        var h = Rand(B * H); var gates = new float[B * G]; var g = Rand(B * G); var dh = new float[B * H];
        int rot = 0;
        foreach (int m in new[] { B, B / 2 })
        {
            Report($"fwd step {m}x{G}x{H} packed, W hot", 2.0 * m * G * H, () => StepGemm.MultiplyPacked(m, h, H, whhT[0], gates, G, false));
            Report($"fwd step {m}x{G}x{H} packed, W cold", 2.0 * m * G * H, () => StepGemm.MultiplyPacked(m, h, H, whhT[rot++ % copies], gates, G, false));
            Report($"bwd step {m}x{H}x{G} packed, W hot", 2.0 * m * G * H, () => StepGemm.MultiplyPacked(m, g, G, whh[0], dh, H, false));
            Report($"bwd step {m}x{H}x{G} packed, W cold", 2.0 * m * G * H, () => StepGemm.MultiplyPacked(m, g, G, whh[rot++ % copies], dh, H, false));
        }
        // The forward step as the loop runs it: C is the step's input projection (accumulate), written long before,
        // so it comes from L3 or memory: here a rotation through 128 step blocks [B×G] (16 MB at H=256), W hot.
        var acts = Rand(128 * B * G);
        int blk = 0;
        foreach (bool pf in new[] { false, true, false, true })
        {
            StepGemm.PrefetchC = pf;
            Report($"fwd step {B}x{G}x{H} +=, C cold, prefetch {(pf ? "on" : "off")}", 2.0 * B * G * H,
                () => StepGemm.MultiplyPacked(B, h, H, whhT[0], acts.AsSpan((blk++ % 128) * B * G, B * G), G, true));
        }
        Report($"fwd step {B}x{G}x{H} +=, C hot", 2.0 * B * G * H, () => StepGemm.MultiplyPacked(B, h, H, whhT[0], acts.AsSpan(0, B * G), G, true));
        StepGemm.PrefetchC = true;
        return 0;

        float[] Rand2048() => s_big ??= Rand(2048 * G);
        float[] hp2048() => s_bigH ??= Rand(2048 * H);
    }

    private static float[]? s_big, s_bigH;

    /// <summary>`kern gates [reps]`: every gate kernel at B=32, H=256, the best of <paramref name="reps"/> batches of
    /// 10 calls (many short batches: on this shared VM the best batch is the one least disturbed).</summary>
    private static int Gates(int reps)
    {
        if (File.Exists("/proc/loadavg")) Console.WriteLine($"load {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (var k in Enum.GetValues<GateKernel>())
        {
            var c = new GateKernelCase(k, 32, 256);
            c.Check();
            for (int i = 0; i < 200; i++) c.Run();
            double best = double.MaxValue;
            var sw = new Stopwatch();
            for (int rep = 0; rep < reps; rep++)
            {
                sw.Restart();
                for (int i = 0; i < 10; i++) c.Run();
                best = Math.Min(best, sw.Elapsed.TotalMilliseconds * 100);
            }
            Console.WriteLine($"{k,-14} B=32 H=256 {best,8:F2} µs {best * 1000 / (32.0 * 256),6:F2} ns/unit");
        }
        return 0;
    }

    /// <summary>Best per-call wall time over batches of ≥ 5 ms for ~0.6 s.</summary>
    private static double Best(Action run)
    {
        run();
        var sw = Stopwatch.StartNew();
        int calls = 1;
        while (true)
        {
            sw.Restart();
            for (int i = 0; i < calls; i++) run();
            if (sw.Elapsed.TotalSeconds > 0.005) break;
            calls *= 2;
        }
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < 0.6)
        {
            sw.Restart();
            for (int i = 0; i < calls; i++) run();
            best = Math.Min(best, sw.Elapsed.TotalSeconds / calls);
        }
        return best;
    }
}
