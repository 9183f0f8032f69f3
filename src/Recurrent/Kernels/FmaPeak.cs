// Measures the machine's practical peak float32 FLOP rate with a register-resident fused multiply-add
// loop (no memory traffic): the yardstick for "% of peak" in benchmark reports.
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Recurrent.Kernels;

/// <summary>Peak float32 FMA throughput of this machine, measured.</summary>
public static class FmaPeak
{
    /// <summary>
    /// Runs 12 independent FMA chains on the widest accelerated vector (enough to cover FMA latency on
    /// two pipes) on <paramref name="threads"/> threads for about <paramref name="seconds"/> and returns
    /// GFLOP/s (one FMA = 2 FLOP), summed over threads. Each thread reports its best ~10 ms slice, so a
    /// briefly busy core lowers the result less.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> &lt; 1 or <paramref name="seconds"/> ≤ 0.</exception>
    public static double MeasureGflops(int threads, double seconds = 0.2)
        => Measure(threads, seconds, Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 0);

    /// <summary>As <see cref="MeasureGflops"/> with a chosen width: 512, 256, or 0 for <c>Vector&lt;T&gt;</c>.
    /// A width the hardware does not accelerate runs emulated (which is what this comparison shows).</summary>
    internal static double Measure(int threads, double seconds, int bits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(seconds, 0);
        if (threads == 1) return MeasureOneThread(seconds, bits);
        var results = new double[threads];
        using var start = new Barrier(threads);
        var workers = new Thread[threads - 1];
        for (int t = 1; t < threads; t++)
        {
            int index = t;
            workers[t - 1] = new Thread(() => { start.SignalAndWait(); results[index] = MeasureOneThread(seconds, bits); }) { IsBackground = true };
            workers[t - 1].Start();
        }
        start.SignalAndWait();
        results[0] = MeasureOneThread(seconds, bits);
        foreach (var w in workers) w.Join();
        return results.Sum();
    }

    private static double MeasureOneThread(double seconds, int bits)
    {
        int lanes = bits == 512 ? 16 : bits == 256 ? 8 : Vector<float>.Count;
        double flopsPerIteration = 12.0 * lanes * 2;
        int iterations = 1000;
        // Calibrate a slice of about 10 ms (this also warms the loop up to optimized code).
        while (true)
        {
            double t = Time(iterations, bits);
            if (t >= 0.01 || iterations > 1 << 28) break;
            iterations *= t < 0.001 ? 8 : 2;
        }
        double best = 0;
        var total = Stopwatch.StartNew();
        do best = Math.Max(best, iterations * flopsPerIteration / Time(iterations, bits));
        while (total.Elapsed.TotalSeconds < seconds);
        return best / 1e9;
    }

    private static double Time(int iterations, int bits)
    {
        long t0 = Stopwatch.GetTimestamp();
        float sink = bits == 512 ? Loop512(iterations) : bits == 256 ? Loop256(iterations) : LoopVector(iterations);
        long t1 = Stopwatch.GetTimestamp();
        if (sink == 42.5f) Console.Write(""); // keeps the loop's result observable
        return (t1 - t0) / (double)Stopwatch.Frequency;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop256(int iterations)
    {
        var a0 = Vector256.Create(1f); var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0;
        var a6 = a0; var a7 = a0; var a8 = a0; var a9 = a0; var a10 = a0; var a11 = a0;
        var x = Vector256.Create(0.9999999f); var y = Vector256.Create(1e-7f);
        for (int i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, x, y); a1 = Vector256.FusedMultiplyAdd(a1, x, y);
            a2 = Vector256.FusedMultiplyAdd(a2, x, y); a3 = Vector256.FusedMultiplyAdd(a3, x, y);
            a4 = Vector256.FusedMultiplyAdd(a4, x, y); a5 = Vector256.FusedMultiplyAdd(a5, x, y);
            a6 = Vector256.FusedMultiplyAdd(a6, x, y); a7 = Vector256.FusedMultiplyAdd(a7, x, y);
            a8 = Vector256.FusedMultiplyAdd(a8, x, y); a9 = Vector256.FusedMultiplyAdd(a9, x, y);
            a10 = Vector256.FusedMultiplyAdd(a10, x, y); a11 = Vector256.FusedMultiplyAdd(a11, x, y);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).GetElement(0);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop512(int iterations)
    {
        var a0 = Vector512.Create(1f); var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0;
        var a6 = a0; var a7 = a0; var a8 = a0; var a9 = a0; var a10 = a0; var a11 = a0;
        var x = Vector512.Create(0.9999999f); var y = Vector512.Create(1e-7f);
        for (int i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, x, y); a1 = Vector512.FusedMultiplyAdd(a1, x, y);
            a2 = Vector512.FusedMultiplyAdd(a2, x, y); a3 = Vector512.FusedMultiplyAdd(a3, x, y);
            a4 = Vector512.FusedMultiplyAdd(a4, x, y); a5 = Vector512.FusedMultiplyAdd(a5, x, y);
            a6 = Vector512.FusedMultiplyAdd(a6, x, y); a7 = Vector512.FusedMultiplyAdd(a7, x, y);
            a8 = Vector512.FusedMultiplyAdd(a8, x, y); a9 = Vector512.FusedMultiplyAdd(a9, x, y);
            a10 = Vector512.FusedMultiplyAdd(a10, x, y); a11 = Vector512.FusedMultiplyAdd(a11, x, y);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).GetElement(0);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float LoopVector(int iterations)
    {
        var a0 = new Vector<float>(1f); var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0;
        var a6 = a0; var a7 = a0; var a8 = a0; var a9 = a0; var a10 = a0; var a11 = a0;
        var x = new Vector<float>(0.9999999f); var y = new Vector<float>(1e-7f);
        for (int i = 0; i < iterations; i++)
        {
            a0 = Vector.FusedMultiplyAdd(a0, x, y); a1 = Vector.FusedMultiplyAdd(a1, x, y);
            a2 = Vector.FusedMultiplyAdd(a2, x, y); a3 = Vector.FusedMultiplyAdd(a3, x, y);
            a4 = Vector.FusedMultiplyAdd(a4, x, y); a5 = Vector.FusedMultiplyAdd(a5, x, y);
            a6 = Vector.FusedMultiplyAdd(a6, x, y); a7 = Vector.FusedMultiplyAdd(a7, x, y);
            a8 = Vector.FusedMultiplyAdd(a8, x, y); a9 = Vector.FusedMultiplyAdd(a9, x, y);
            a10 = Vector.FusedMultiplyAdd(a10, x, y); a11 = Vector.FusedMultiplyAdd(a11, x, y);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11)[0];
    }
}
