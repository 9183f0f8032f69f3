// `phases` mode: where the time of one FusedCharLm step (the `recurrent bench` protocol) goes, phase by phase.
//   dotnet run -c Release --project bench/Recurrent.Benchmarks -- phases [--cell lstm|gru|rnn] [--hidden 256]
//       [--batch 32] [--steps 35] [--vocab 28] [--threads N] [--mode train|infer] [--count 300] [--split rows|units]
//       [--ab steal|units|pack|nop] [--series]
// Synthetic uniform tokens (timing does not depend on the text). Prints the median (and 10th percentile) time of each
// phase over the measured steps and of the step, so that a noisy neighbour inflates a few steps but not the picture.
// --ab toggles a switch step by step and prints both variants' step times; --series prints every step's time.
using System.Diagnostics;
using Recurrent.Kernels;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Benchmarks;

/// <summary>Per-phase median times of FusedCharLm training or inference steps.</summary>
public static class PhaseBench
{
    private static FusedCharLm? s_step;                                             // the step under test (for --ab units)

    /// <summary>A/B switches toggled step by step (<c>--ab NAME</c>: even steps off, odd steps on), so that both variants
    /// see the same machine: on the development VM the speed of a core changes by up to 40% for hundreds of milliseconds,
    /// which made run-after-run comparisons of 5–10% effects meaningless. <c>nop</c> is the A/A control.</summary>
    private static void SetVariant(string name, bool on)
    {
        switch (name)
        {
            case "steal": RowStepScheduler.HandOvers = on; break;
            case "nop": break;
            case "pack": FusedCharLm.PackInParallel = on; break;
            case "units": s_step!.ForcedSplit = on ? FusedCharLm.TimeSplit.Units : FusedCharLm.TimeSplit.Rows; break;
            default: throw new ArgumentException($"phases: unknown --ab switch '{name}' (steal, units, pack, nop)");
        }
    }

    public static int Run(string[] args)
    {
        var cell = RecurrentMode.Lstm;
        int hidden = 256, batch = 32, steps = 35, vocab = 28, threads = 1, count = 300;
        bool train = true, series = false;
        string? ab = null;
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
                case "--ab": ab = next(); break;
                case "--series": series = true; break;
                case "--mode": train = next() switch { "train" => true, "infer" => false, var m => throw new ArgumentException($"phases: unknown mode {m}") }; break;
                default: Console.Error.WriteLine($"phases: unknown argument '{args[i]}'"); return 2;
            }
        }
        Parallelism.Threads = threads;
        var rng = new Rng(42);
        var rnn = new RecurrentStack<float>(cell, vocab, hidden, rng);
        var head = new Linear<float>(hidden, vocab, rng);
        var step = new FusedCharLm(rnn, head, batch, steps) { ForcedSplit = split };
        s_step = step;
        var x = new int[batch * steps]; var y = new int[batch * steps];
        for (int i = 0; i < x.Length; i++) { x[i] = rng.NextInt(vocab); y[i] = rng.NextInt(vocab); }
        int phases = Enum.GetValues<FusedCharLmPhase>().Length;

        var ticks = new long[count][];
        var total = new long[count];
        for (int s = -20; s < count; s++)                                           // 20 warm-up steps
        {
            var t = new long[phases];
            if (ab is not null) SetVariant(ab, (s & 1) == 1);
            step.PhaseTicks = t;
            long t0 = Stopwatch.GetTimestamp();
            if (train) step.TrainStep(x, y, 0.01, 1); else step.InferStep(x, y);
            long dt = Stopwatch.GetTimestamp() - t0;
            if (s >= 0) { ticks[s] = t; total[s] = dt; }
        }
        double us(double tk) => tk * 1e6 / Stopwatch.Frequency;
        double Median(IEnumerable<long> v) { var a = v.OrderBy(q => q).ToArray(); return a[a.Length / 2]; }
        double P10(IEnumerable<long> v) { var a = v.OrderBy(q => q).ToArray(); return a[a.Length / 10]; }
        Console.WriteLine($"{cell} H={hidden} B={batch} T={steps} V={vocab} {(train ? "train" : "infer")} threads={threads} split={split?.ToString() ?? "auto"}, {count} steps, load {File.ReadAllText("/proc/loadavg").Trim()}");
        double med = Median(total);
        Console.WriteLine($"  step          median {us(med),9:F1} µs   min {us(total.Min()),9:F1} µs   {batch * steps / (us(med) * 1e-6):F0} tok/s (median)   p10 {us(P10(total)),9:F1} µs");
        Console.WriteLine($"  rows handed over between threads in the time loops: {step.RowHandOvers} times in {count + 20} steps");
        if (series)
            Console.WriteLine("  series (ms): " + string.Join(" ", total.Select(t => (us(t) / 1000).ToString("F1"))));
        if (ab is not null)
            for (int v = 0; v < 2; v++)
            {
                var sel = total.Where((_, i) => (i & 1) == v).ToArray();
                Console.WriteLine($"  A/B {ab}={(v == 1 ? "on " : "off")}: median {us(Median(sel)),9:F1} µs  p10 {us(P10(sel)),9:F1}  mean {us(sel.Average()),9:F1}  min {us(sel.Min()),9:F1}");
            }
        foreach (var p in Enum.GetValues<FusedCharLmPhase>())
        {
            double m = Median(ticks.Select(t => t[(int)p]));
            if (m == 0) continue;
            Console.WriteLine($"  {p,-15} {us(m),9:F1} µs  {100 * m / med,5:F1}%   p10 {us(P10(ticks.Select(t => t[(int)p]))),9:F1} µs");
        }
        return 0;
    }
}
