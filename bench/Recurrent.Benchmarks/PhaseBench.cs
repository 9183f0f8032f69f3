// `phases` mode: where the time of one FusedCharLm step (the `recurrent bench` protocol) goes, phase by phase.
//   dotnet run -c Release --project bench/Recurrent.Benchmarks -- phases [--cell lstm|gru|rnn] [--hidden 256]
//       [--batch 32] [--steps 35] [--vocab 28] [--threads N] [--mode train|infer] [--count 300] [--split rows|units]
// Synthetic uniform tokens (timing does not depend on the text). Prints the median time of each phase over the
// measured steps and the median step, so that a noisy neighbour inflates a few steps but not the picture.
using System.Diagnostics;
using Recurrent.Kernels;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Benchmarks;

/// <summary>Per-phase median times of FusedCharLm training or inference steps.</summary>
public static class PhaseBench
{
    public static int Run(string[] args)
    {
        var cell = RecurrentMode.Lstm;
        int hidden = 256, batch = 32, steps = 35, vocab = 28, threads = 1, count = 300;
        bool train = true;
        FusedCharLm.TimeSplit? split = null;
        for (int i = 0; i < args.Length; i++)
        {
            string next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"phases: {args[i]} needs a value");
            switch (args[i])
            {
                case "--cell": cell = next() switch { "lstm" => RecurrentMode.Lstm, "gru" => RecurrentMode.Gru, "rnn" => RecurrentMode.RnnTanh, var m => throw new ArgumentException($"phases: unknown cell {m}") }; break;
                case "--hidden": hidden = int.Parse(next()); break;
                case "--batch": batch = int.Parse(next()); break;
                case "--steps": steps = int.Parse(next()); break;
                case "--vocab": vocab = int.Parse(next()); break;
                case "--threads": threads = int.Parse(next()); break;
                case "--count": count = int.Parse(next()); break;
                case "--split": split = next() switch { "rows" => FusedCharLm.TimeSplit.Rows, "units" => FusedCharLm.TimeSplit.Units, var m => throw new ArgumentException($"phases: unknown split {m}") }; break;
                case "--mode": train = next() switch { "train" => true, "infer" => false, var m => throw new ArgumentException($"phases: unknown mode {m}") }; break;
                default: Console.Error.WriteLine($"phases: unknown argument '{args[i]}'"); return 2;
            }
        }
        Parallelism.Threads = threads;
        var rng = new Rng(42);
        var rnn = new RecurrentStack<float>(cell, vocab, hidden, rng);
        var head = new Linear<float>(hidden, vocab, rng);
        var step = new FusedCharLm(rnn, head, batch, steps) { ForcedSplit = split };
        var x = new int[batch * steps]; var y = new int[batch * steps];
        for (int i = 0; i < x.Length; i++) { x[i] = rng.NextInt(vocab); y[i] = rng.NextInt(vocab); }
        int phases = Enum.GetValues<FusedCharLmPhase>().Length;
        var ticks = new long[count][];
        var total = new long[count];
        for (int s = -20; s < count; s++)                                           // 20 warm-up steps
        {
            var t = new long[phases];
            step.PhaseTicks = t;
            long t0 = Stopwatch.GetTimestamp();
            if (train) step.TrainStep(x, y, 0.01, 1); else step.InferStep(x, y);
            long dt = Stopwatch.GetTimestamp() - t0;
            if (s >= 0) { ticks[s] = t; total[s] = dt; }
        }
        double us(double tk) => tk * 1e6 / Stopwatch.Frequency;
        double Median(IEnumerable<long> v) { var a = v.OrderBy(q => q).ToArray(); return a[a.Length / 2]; }
        Console.WriteLine($"{cell} H={hidden} B={batch} T={steps} V={vocab} {(train ? "train" : "infer")} threads={threads} split={split?.ToString() ?? "auto"}, {count} steps, load {File.ReadAllText("/proc/loadavg").Trim()}");
        double med = Median(total);
        Console.WriteLine($"  step          median {us(med),9:F1} µs   min {us(total.Min()),9:F1} µs   {batch * steps / (us(med) * 1e-6):F0} tok/s (median)");
        foreach (var p in Enum.GetValues<FusedCharLmPhase>())
        {
            double m = Median(ticks.Select(t => t[(int)p]));
            if (m == 0) continue;
            Console.WriteLine($"  {p,-15} {us(m),9:F1} µs  {100 * m / med,5:F1}%");
        }
        return 0;
    }
}
