// `quick` mode: a few seconds of GFLOP/s and % of measured FMA peak per GEMM shape, no BenchmarkDotNet.
//   dotnet run -c Release --project bench/Recurrent.Benchmarks -- quick [--threads N] [--kernel Avx2|Avx512|Portable]
using System.Diagnostics;
using Recurrent.Kernels;

namespace Recurrent.Benchmarks;

/// <summary>Fast GEMM throughput report for development and docs/benchmarks.md.</summary>
public static class QuickBench
{
    public static int Run(string[] args)
    {
        int threads = 1;
        GemmKernelKind? kernel = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--threads" && i + 1 < args.Length) threads = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            else if (args[i] == "--kernel" && i + 1 < args.Length) kernel = Enum.Parse<GemmKernelKind>(args[++i], ignoreCase: true);
            else { Console.Error.WriteLine($"quick: unknown argument '{args[i]}' (expected --threads N, --kernel Avx2|Avx512|Portable)"); return 2; }
        }
        Parallelism.Threads = threads;
        GemmF32.ForcedKernel = kernel;
        Console.WriteLine($"date    {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine {CpuInfo.Describe()}");
        Console.WriteLine($"kernel  {GemmF32.Active}, threads {threads}");
        if (File.Exists("/proc/loadavg")) Console.WriteLine($"load    {File.ReadAllText("/proc/loadavg").Trim()} (/proc/loadavg: other processes compete for the cores)");
        // 1 s of 10 ms slices, best slice: robust to other processes taking the core for a while.
        double peak1 = FmaPeak.MeasureGflops(1, seconds: 1);
        double peakN = threads > 1 ? FmaPeak.MeasureGflops(threads, seconds: 1) : peak1;
        Console.WriteLine($"FMA loop by width: Vector256 {FmaPeak.Measure(1, 0.3, 256):F1}, Vector512 {FmaPeak.Measure(1, 0.3, 512):F1}" +
            $" ({(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "native" : "emulated: not accelerated on this CPU")}) GFLOP/s");
        Console.WriteLine($"FMA peak {peak1:F1} GFLOP/s on 1 core" + (threads > 1 ? $", {peakN:F1} on {threads} threads" : ""));
        double micro = MicroKernelGflops();
        Console.WriteLine($"micro-kernel alone (packed panels in L1): {micro:F1} GFLOP/s = {100 * micro / peak1:F0}% of 1-core peak");
        Console.WriteLine();
        Console.WriteLine($"{"shape",-20} {"time",10} {"GFLOP/s",8} {"% 1-core peak",14}" + (threads > 1 ? $" {"% " + threads + "-thread peak",16}" : "") + $" {"GFLOP/s/cpu-s",12} {"% peak",10}");
        foreach (var shape in GemmShape.All)
        {
            var c = new GemmCase(shape);
            c.Prepare();
            c.Check();
            var (wall, cpu) = BestTime(c);
            double gflops = shape.Flops / wall / 1e9;
            // CPU time is summed over threads, so this is the rate per busy core.
            double perCpu = shape.Flops / cpu / 1e9;
            Console.WriteLine($"{shape.Name,-20} {wall * 1e3,8:F3}ms {gflops,8:F1} {100 * gflops / peak1,13:F0}%" +
                (threads > 1 ? $" {100 * gflops / peakN,15:F0}%" : "") + $" {perCpu,12:F1} {100 * perCpu / peak1,10:F0}%");
        }
        return 0;
    }

    /// <summary>The ceiling for every shape: the active micro-kernel on a full tile with kc = KC, its A and
    /// B panels resident in L1, C in L1 — no packing, no cache misses.</summary>
    private static unsafe double MicroKernelGflops()
    {
        var kind = GemmF32.Active;
        int mr = GemmF32.MR(kind), nr = GemmF32.NR(kind), kc = GemmF32.KC;
        var a = new float[mr * kc]; var b = new float[nr * kc]; var c = new float[mr * nr];
        a.AsSpan().Fill(1e-3f); b.AsSpan().Fill(1e-3f);
        double best = 0;
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
        {
            var total = Stopwatch.StartNew();
            while (total.Elapsed.TotalSeconds < 0.2)
            {
                long t0 = Stopwatch.GetTimestamp();
                const int calls = 2000;
                for (int i = 0; i < calls; i++) GemmF32.RunMicroKernel(kind, mr, kc, pa, pb, pc, nr, add: true);
                double s = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
                best = Math.Max(best, 2.0 * mr * nr * kc * calls / s / 1e9);
            }
        }
        return best;
    }

    /// <summary>Best per-call time over repeated batches of ~20 ms for ~0.5 s: wall time, and CPU time of the
    /// process (on a machine shared with other jobs, the CPU time excludes the time this process was not
    /// running at all; the minimum wall time is the least disturbed sample).</summary>
    private static (double Wall, double Cpu) BestTime(GemmCase c)
    {
        c.Run();
        var sw = Stopwatch.StartNew();
        int calls = 1;
        while (true)
        {
            sw.Restart();
            for (int i = 0; i < calls; i++) c.Run();
            if (sw.Elapsed.TotalSeconds > 0.02) break;
            calls *= 2;
        }
        double bestWall = double.MaxValue, bestCpu = double.MaxValue;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < 0.5)
        {
            double cpu0 = CpuClock.ProcessSeconds();
            sw.Restart();
            for (int i = 0; i < calls; i++) c.Run();
            bestWall = Math.Min(bestWall, sw.Elapsed.TotalSeconds / calls);
            bestCpu = Math.Min(bestCpu, (CpuClock.ProcessSeconds() - cpu0) / calls);
        }
        return (bestWall, bestCpu);
    }
}
