// `lmstep` mode: where the time of one `train lm` training step goes (LanguageModel + Adam through autograd, as
// LanguageModelTrainer runs it): forward, loss, backward, clip, Adam, each timed per step, and for a pipelined
// deep stack what every thread of the pipeline did (PipelineTrace).
//   dotnet run -c Release --project bench/Recurrent.Benchmarks -- lmstep [--cell lstm|gru|rnn] [--layers 2]
//       [--hidden 256] [--batch 32] [--steps 64] [--vocab 28] [--dropout 0.2] [--threads 2] [--count 60] [--ab NAME]
// The default is the generalisation protocol of docs/results.md. Synthetic uniform tokens (timing does not depend
// on the text). --ab NAME toggles a switch on every other step (even off, odd on) and prints both variants' step
// times: on the development VM only such in-process alternation resolves effects under ~10%.
using System.Diagnostics;
using Recurrent.Kernels;
using Recurrent.Models;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Benchmarks;

/// <summary>Per-phase median times of language-model training steps.</summary>
public static class LmStepBench
{
    private static readonly string[] PhaseNames = ["forward", "loss", "backward", "clip", "adam", "zero_grad"];

    /// <summary>The A/B switches (<c>--ab NAME</c>); <c>nop</c> is the A/A control.</summary>
    internal static void SetVariant(string name, bool on)
    {
        switch (name)
        {
            case "nop": break;
            case "pipeline": RecurrentStack<float>.UsePipeline = on; break;
            case "prefetchc": StepGemm.PrefetchC = on; break;
            case "head": LanguageModel<float>.FuseHead = on; break;
            case "overacts": RecurrentDirection<float>.GradientsOverActivations = on; break;
            case "loops5": StepGemm.PrefetchC = on; RecurrentDirection<float>.GradientsOverActivations = on; break;  // both of session 5's loop changes
            case "tail": RecurrentPipeline<float>.GuidedTail = on; break;
            case "ranges16": RecurrentPipeline<float>.RangeCount = on ? 16 : 8; break;                       // 4-step ranges vs 8 (ends halved)
            case "rows128": RecurrentDirection<float>.RangeGemmRows = on ? 128 : 0; break;                  // stage/fill GEMMs in 128-row blocks
            case "rows64": RecurrentDirection<float>.RangeGemmRows = on ? 64 : 0; break;
            case "sharestages": RecurrentPipeline<float>.ShareStages = on; break;                           // a waiting thread takes blocks of the other's stage
            case "share64": RecurrentPipeline<float>.ShareStages = on; RecurrentDirection<float>.RangeGemmRows = on ? 64 : 128; break;
            case "blocks64": RecurrentPipeline<float>.ShareStages = true; RecurrentDirection<float>.RangeGemmRows = on ? 64 : 128; break;   // shared stages in 64- vs 128-row blocks
            case "sharestages64": RecurrentDirection<float>.RangeGemmRows = 64; RecurrentPipeline<float>.ShareStages = on; break;
            case "ranges5": RecurrentPipeline<float>.ShareStages = on; RecurrentDirection<float>.RangeGemmRows = on ? 64 : 0; break;   // this session's two range changes vs before
            case "ranges4": RecurrentPipeline<float>.RangeCount = on ? 4 : 8; break;                         // 16-step ranges vs 8
            default: throw new ArgumentException($"lmstep: unknown --ab switch '{name}' (pipeline, prefetchc, head, overacts, loops5, tail, ranges16, ranges4, rows128, rows64, sharestages, share64, blocks64, sharestages64, ranges5, nop)");
        }
    }

    public static int Run(string[] args)
    {
        var cell = RecurrentMode.Lstm;
        int layers = 2, hidden = 256, batch = 32, steps = 64, vocab = 28, threads = 2, count = 60;
        double dropout = 0.2;
        string? ab = null;
        for (int i = 0; i < args.Length; i++)
        {
            string next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"lmstep: {args[i]} needs a value");
            switch (args[i])
            {
                case "--cell": cell = next() switch { "lstm" => RecurrentMode.Lstm, "gru" => RecurrentMode.Gru, "rnn" => RecurrentMode.RnnTanh, var m => throw new ArgumentException($"lmstep: unknown cell {m}") }; break;
                case "--layers": layers = int.Parse(next()); break;
                case "--hidden": hidden = int.Parse(next()); break;
                case "--batch": batch = int.Parse(next()); break;
                case "--steps": steps = int.Parse(next()); break;
                case "--vocab": vocab = int.Parse(next()); break;
                case "--dropout": dropout = double.Parse(next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(next()); break;
                case "--count": count = int.Parse(next()); break;
                case "--ab": ab = next(); break;
                default: Console.Error.WriteLine($"lmstep: unknown argument '{args[i]}'"); return 2;
            }
        }
        Parallelism.Threads = threads;
        var rng = new Rng(0);
        var model = new LanguageModel<float>(new LanguageModelConfig(vocab, cell, hidden, layers, false, dropout), rng);
        var parameters = model.Parameters().ToArray();
        var adam = new Adam<float>(parameters, 2e-3);
        var x = new int[batch * steps]; var y = new int[batch * steps];
        int P = PipelineTrace.MaxParts, K = PipelineTrace.PhaseCount;
        var fwdTrace = new long[count][]; var bwdTrace = new long[count][];
        var phase = new long[count][];
        var total = new long[count];
        LanguageModelState<float>? state = null;
        var nodeTicks = new List<Dictionary<string, long>>();
        long allocated0 = 0; int gcs0 = 0;
        for (int s = -5; s < count; s++)                                            // 5 warm-up steps
        {
            if (s == 0) { allocated0 = GC.GetTotalAllocatedBytes(precise: true); gcs0 = GC.CollectionCount(0); }
            for (int i = 0; i < x.Length; i++) { x[i] = rng.NextInt(vocab); y[i] = rng.NextInt(vocab); }
            if (ab is not null) SetVariant(ab, (s & 1) == 1);
            PipelineTrace.Forward = new long[P * K]; PipelineTrace.Backward = new long[P * K];
            var t = new long[PhaseNames.Length];
            long start = Stopwatch.GetTimestamp(), t0 = start;
            void Mark(int k) { long now = Stopwatch.GetTimestamp(); t[k] = now - t0; t0 = now; }
            Tensor<float> loss; LanguageModelState<float> next;
            if (LanguageModel<float>.FuseHead) { (loss, next) = model.ForwardLoss(x, y, batch, steps, state); Mark(0); loss.Item(); Mark(1); }
            else { (var logits, next) = model.Forward(x, batch, steps, state); Mark(0); loss = Op.CrossEntropy(logits, y); loss.Item(); Mark(1); }
            adam.ZeroGrad(setToNone: false); Mark(5);
            var nodes = new Dictionary<string, long>();
            Recurrent.Autograd.Backprop.NodeTicks = nodes;
            loss.Backward(); Mark(2);
            Recurrent.Autograd.Backprop.NodeTicks = null;
            GradClip.ClipGradNorm(parameters, 1.0); Mark(3);
            adam.Step(); Mark(4);
            state = next.Detach();
            if (s >= 0) nodeTicks.Add(nodes);
            if (s >= 0) { phase[s] = t; total[s] = Stopwatch.GetTimestamp() - start; fwdTrace[s] = PipelineTrace.Forward; bwdTrace[s] = PipelineTrace.Backward; }
        }
        PipelineTrace.Forward = PipelineTrace.Backward = null;

        double ms(double tk) => tk * 1e3 / Stopwatch.Frequency;
        double Median(IEnumerable<long> v) { var a = v.OrderBy(q => q).ToArray(); return a[a.Length / 2]; }
        double P10(IEnumerable<long> v) { var a = v.OrderBy(q => q).ToArray(); return a[a.Length / 10]; }
        Console.WriteLine($"{cell} L={layers} H={hidden} B={batch} T={steps} V={vocab} dropout={dropout} train threads={threads}, {count} steps, load {File.ReadAllText("/proc/loadavg").Trim()}");
        double med = Median(total);
        double allocatedMb = (GC.GetTotalAllocatedBytes(precise: true) - allocated0) / (double)count / 1e6;
        Console.WriteLine($"  allocated {allocatedMb:F2} MB per step (all threads), {GC.CollectionCount(0) - gcs0} gen0 collections in {count} steps");
        Console.WriteLine($"  step      median {ms(med),8:F2} ms  p10 {ms(P10(total)),8:F2}  min {ms(total.Min()),8:F2}  mean {ms(total.Average()),8:F2}   {batch * steps / (ms(med) * 1e-3):F0} tok/s (median)");
        if (ab is not null)
            for (int v = 0; v < 2; v++)
            {
                var sel = total.Where((_, i) => (i & 1) == v).ToArray();
                Console.WriteLine($"  A/B {ab}={(v == 1 ? "on " : "off")}: median {ms(Median(sel)),8:F2} ms  p10 {ms(P10(sel)),8:F2}  mean {ms(sel.Average()),8:F2}  min {ms(sel.Min()),8:F2}");
            }
        if (ab is not null)
            for (int v = 0; v < 2; v++)
            {
                // Per variant: the backward pipeline's weight-gradient work and finish time per thread.
                var sel = bwdTrace.Where((_, i) => (i & 1) == v).ToArray();
                var cells = Enumerable.Range(0, P).Where(part => sel.Any(tr => tr[part * K + (int)PipelinePhase.Finished] != 0))
                    .Select(part => $"part {part} Weights {ms(Median(sel.Select(tr => tr[part * K + (int)PipelinePhase.Weights]))):F2} Finished {ms(Median(sel.Select(tr => tr[part * K + (int)PipelinePhase.Finished]))):F2}");
                var back = phase.Where((_, i) => (i & 1) == v).Select(p => p[2]);
                var weights = sel.Select(tr => Enumerable.Range(0, P).Sum(part => tr[part * K + (int)PipelinePhase.Weights])).ToArray();
                Console.WriteLine($"  A/B {ab}={(v == 1 ? "on " : "off")}: backward median {ms(Median(back)):F2} ms; Weights summed over threads median {ms(Median(weights)):F2} mean {ms(weights.Average()):F2}; {string.Join("; ", cells)}");
            }
        for (int k = 0; k < PhaseNames.Length; k++)
        {
            string line = $"  {PhaseNames[k],-9} median {ms(Median(phase.Select(p => p[k]))),8:F2} ms  p10 {ms(P10(phase.Select(p => p[k]))),8:F2}";
            if (ab is not null)
                for (int v = 0; v < 2; v++)
                    line += $"   [{ab}={(v == 1 ? "on" : "off")}] median {ms(Median(phase.Where((_, i) => (i & 1) == v).Select(p => p[k]))),8:F2}";
            Console.WriteLine(line);
        }
        foreach (var name in nodeTicks.SelectMany(d => d.Keys).Distinct())
            Console.WriteLine($"  backward node {name,-24} median {ms(Median(nodeTicks.Select(d => d.GetValueOrDefault(name)))),8:F2} ms");
        // With --ab, the trace of each variant apart (the loops' phase times resolve smaller effects than the step).
        foreach (int variant in ab is null ? new[] { -1 } : new[] { 0, 1 })
            foreach (var (name, all) in new[] { ("forward", fwdTrace), ("backward", bwdTrace) })
            {
                var trace = all.Where((_, i) => variant < 0 || (i & 1) == variant).ToArray();
                string label = variant < 0 ? "" : $" [{ab}={(variant == 1 ? "on" : "off")}]";
                for (int part = 0; part < P; part++)
                {
                    if (trace.All(tr => tr[part * K + (int)PipelinePhase.Finished] == 0)) continue;
                    var cells = Enum.GetValues<PipelinePhase>()
                        .Select(ph => (ph, m: Median(trace.Select(tr => tr[part * K + (int)ph])), p: P10(trace.Select(tr => tr[part * K + (int)ph]))))
                        .Where(c => c.m > 0).Select(c => $"{c.ph} {ms(c.m):F2}/{ms(c.p):F2}");
                    Console.WriteLine($"  pipeline {name} part {part}{label} (median/p10, ms): {string.Join("  ", cells)}");
                }
            }
        return 0;
    }
}
