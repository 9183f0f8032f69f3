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
        double peak1 = FmaPeak.MeasureGflops(1);
        double peakN = threads > 1 ? FmaPeak.MeasureGflops(threads) : peak1;
        Console.WriteLine($"FMA peak {peak1:F1} GFLOP/s on 1 core" + (threads > 1 ? $", {peakN:F1} on {threads} threads" : ""));
        Console.WriteLine();
        Console.WriteLine($"{"shape",-40} {"time",10} {"GFLOP/s",8} {"% 1-core peak",14}" + (threads > 1 ? $" {"% " + threads + "-thread peak",16}" : ""));
        foreach (var shape in GemmShape.All)
        {
            var c = new GemmCase(shape);
            c.Prepare();
            c.Check();
            double seconds = BestTime(c);
            double gflops = shape.Flops / seconds / 1e9;
            Console.WriteLine($"{shape.Name,-40} {seconds * 1e3,8:F3}ms {gflops,8:F1} {100 * gflops / peak1,13:F0}%" +
                (threads > 1 ? $" {100 * gflops / peakN,15:F0}%" : ""));
        }
        return 0;
    }

    /// <summary>Best per-call time over repeated batches of ~20 ms for ~0.4 s (the minimum is the least
    /// disturbed by other processes on a shared machine).</summary>
    private static double BestTime(GemmCase c)
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
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < 0.4)
        {
            sw.Restart();
            for (int i = 0; i < calls; i++) c.Run();
            best = Math.Min(best, sw.Elapsed.TotalSeconds / calls);
        }
        return best;
    }
}
