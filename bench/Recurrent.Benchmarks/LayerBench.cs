// `layer` mode: throughput of one training step (forward + backward) of a recurrent stack, and the bytes
// allocated per step, without BenchmarkDotNet.
//   dotnet run -c Release --project bench/Recurrent.Benchmarks -- layer [--mode lstm|gru|rnn] [--hidden 256]
//       [--batch 32] [--steps 35] [--input 28] [--layers 1] [--threads N] [--seconds 3]
// The input is one-hot-ish (one 1 per row, like a character model's embedding-free input); the loss is
// Σ output ⊙ R for a fixed random R, so backward gets a dense output gradient as a real loss would give.
using System.Diagnostics;
using Recurrent.Kernels;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Benchmarks;

/// <summary>Tokens per second of a recurrent training step (B·T tokens per step).</summary>
public static class LayerBench
{
    public static int Run(string[] args)
    {
        var mode = RecurrentMode.Lstm;
        int hidden = 256, batch = 32, steps = 35, input = 28, layers = 1, threads = 1;
        double seconds = 3;
        for (int i = 0; i < args.Length; i++)
        {
            string next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"layer: {args[i]} needs a value");
            switch (args[i])
            {
                case "--mode": mode = next() switch { "lstm" => RecurrentMode.Lstm, "gru" => RecurrentMode.Gru, "rnn" => RecurrentMode.RnnTanh, var m => throw new ArgumentException($"layer: unknown mode {m}") }; break;
                case "--hidden": hidden = int.Parse(next()); break;
                case "--batch": batch = int.Parse(next()); break;
                case "--steps": steps = int.Parse(next()); break;
                case "--input": input = int.Parse(next()); break;
                case "--layers": layers = int.Parse(next()); break;
                case "--threads": threads = int.Parse(next()); break;
                case "--seconds": seconds = double.Parse(next(), System.Globalization.CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"layer: unknown argument '{args[i]}'"); return 2;
            }
        }
        Parallelism.Threads = threads;
        var rng = new Rng(1);
        var stack = new RecurrentStack<float>(mode, input, hidden, rng, layers);
        var x = new Tensor<float>(batch, steps, input);
        for (int r = 0; r < batch * steps; r++) x.Data[r * input + rng.NextInt(input)] = 1f;
        var seed = Tensor<float>.Uniform(rng, -1f, 1f, batch, steps, hidden);

        void Step()
        {
            stack.ZeroGrad();
            var y = stack.Forward(x).Output;
            y.Backward(seed);
        }

        for (int i = 0; i < 5; i++) Step();                     // warm-up: JIT tiers, worker threads, gradient buffers
        long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        int gc0 = GC.CollectionCount(0);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        int n = 0;
        double best = double.MaxValue;
        var one = new Stopwatch();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            one.Restart();
            Step();
            best = Math.Min(best, one.Elapsed.TotalSeconds);
            n++;
        }
        double mean = sw.Elapsed.TotalSeconds / n;
        // CPU time of the process per step: on a shared, oversubscribed machine wall time includes waiting
        // for a core; with one thread CPU time is the work itself.
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / n;
        long allocPerStep = (GC.GetTotalAllocatedBytes(precise: true) - alloc0) / n;
        int G = mode.GateCount() * hidden;
        double flops = 3.0 * 2 * steps * batch * (double)G * (input + hidden) * layers;   // forward + ~2× for backward
        Console.WriteLine($"machine {CpuInfo.Describe()}, kernel {GemmF32.Active}, threads {threads}");
        Console.WriteLine($"{mode} L={layers} H={hidden} B={batch} T={steps} I={input}: {n} steps");
        Console.WriteLine($"  step time  mean {mean * 1e3:F2} ms, best {best * 1e3:F2} ms");
        Console.WriteLine($"  cpu time   {cpu * 1e3:F2} ms per step (all threads)");
        Console.WriteLine($"  tokens/s   mean {batch * steps / mean:F0}, best {batch * steps / best:F0}, per CPU-second {batch * steps / cpu:F0}");
        Console.WriteLine($"  GEMM-equivalent {flops / best / 1e9:F1} GFLOP/s (best)");
        Console.WriteLine($"  allocated  {allocPerStep / 1024.0:F1} KiB per step, gen0 GCs {GC.CollectionCount(0) - gc0}");
        return 0;
    }
}
