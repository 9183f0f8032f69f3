// `loops` mode: the per-step time loops of one LSTM layer as the train lm step runs them (RecurrentDirection.RecurSteps
// over all T steps after the input projection of all steps, then BackSteps over all T steps), on one thread, with an
// in-process A/B switch alternated pass by pass:
//   dotnet run -c Release --project bench/Recurrent.Benchmarks -- loops [--hidden 256] [--batch 32] [--steps 64]
//       [--input 256] [--reps 60] [--ab NAME] [--disturb MB]
// Prints per-step medians and p10 of the forward loop and the backward loop per variant. The input projection (8 MB of
// gate rows at the default shape) is written before the loop as in the pipeline, so the loop reads most of it from L3.
using System.Diagnostics;
using Recurrent.Kernels;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Benchmarks;

/// <summary>Forward and backward LSTM step loops of one layer, timed per pass.</summary>
public static class LoopBench
{
    public static int Run(string[] args)
    {
        int H = 256, B = 32, T = 64, I = 256, reps = 60, disturbMb = 0;
        string? ab = null;
        for (int i = 0; i < args.Length; i++)
        {
            string next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"loops: {args[i]} needs a value");
            switch (args[i])
            {
                case "--hidden": H = int.Parse(next()); break;
                case "--batch": B = int.Parse(next()); break;
                case "--steps": T = int.Parse(next()); break;
                case "--input": I = int.Parse(next()); break;
                case "--reps": reps = int.Parse(next()); break;
                case "--ab": ab = next(); break;
                case "--disturb": disturbMb = int.Parse(next()); break;
                default: Console.Error.WriteLine($"loops: unknown argument '{args[i]}'"); return 2;
            }
        }
        Parallelism.Threads = 1;
        int G = 4 * H;
        var rng = new Rng(3);
        float bound = 1f / MathF.Sqrt(H);                                           // PyTorch's init range: unsaturated gates
        float[] U(int n, float r) { var a = new float[n]; rng.FillUniform<float>(a, -r, r); return a; }
        var wIh = U(G * I, bound); var wHh = U(G * H, bound); var bIh = U(G, bound); var bHh = U(G, bound);
        var x = U(T * B * I, 1f);                                                   // [T, B, I]
        var dY = U(T * B * H, 0.01f);                                               // [T, B, H]
        var fwd = new List<double>[2]; var bwd = new List<double>[2];
        for (int v = 0; v < 2; v++) { fwd[v] = []; bwd[v] = []; }
        var sw = new Stopwatch();
        // --disturb N: N MB written and read before each loop, as the rest of a training step would evict the caches.
        var junk = new float[disturbMb * 262144];
        float sink = 0;
        void Disturb() { for (int i = 0; i < junk.Length; i += 16) { junk[i] += 1; sink += junk[i]; } }
        for (int r = -4; r < 2 * reps; r++)                                         // 4 warm-up passes
        {
            int v = r & 1;
            if (ab is not null) LmStepBench.SetVariant(ab, v == 1);
            var dir = new RecurrentDirection<float>(RecurrentMode.Lstm, T, B, I, H, false, null, null, wIh, wHh, bIh, bHh);
            dir.BeginInput(x, null);
            dir.ProjectInput(0, T);
            dir.BeginRecurrence(default, default);
            Disturb();
            sw.Restart();
            dir.RecurSteps(0, T);
            double tf = sw.Elapsed.TotalMilliseconds;
            dir.EndInput();
            dir.EndRecurrence(default, 0, H, false, new float[B * H], new float[B * H], keepForBackward: true);
            dir.BeginBackward(dY, 0, H, false, default, default, wantDh0: false);
            Disturb();
            sw.Restart();
            dir.BackSteps(0, T);
            double tb = sw.Elapsed.TotalMilliseconds;
            dir.EndBackward(default, default, default, null, default, default, default, weightGemms: false);
            if (r >= 0) { fwd[v].Add(tf); bwd[v].Add(tb); }
        }
        Console.WriteLine($"LSTM loops H={H} B={B} T={T} I={I}{(disturbMb > 0 ? $", {disturbMb} MB touched before each loop" : "")}{(sink < 0 ? "" : "")}, {reps} passes per variant, load {File.ReadAllText("/proc/loadavg").Trim()}");
        static double Q(List<double> a, double q) { var s = a.OrderBy(z => z).ToArray(); return s[(int)(q * (s.Length - 1))]; }
        for (int v = 0; v < 2; v++)
        {
            if (ab is null && v == 1) break;
            string name = ab is null ? "" : $"{ab}={(v == 1 ? "on " : "off")} ";
            Console.WriteLine($"  {name}forward  per step median {Q(fwd[v], 0.5) * 1e3 / T,7:F1} µs  p10 {Q(fwd[v], 0.1) * 1e3 / T,7:F1}  min {fwd[v].Min() * 1e3 / T,7:F1}");
            Console.WriteLine($"  {name}backward per step median {Q(bwd[v], 0.5) * 1e3 / T,7:F1} µs  p10 {Q(bwd[v], 0.1) * 1e3 / T,7:F1}  min {bwd[v].Min() * 1e3 / T,7:F1}");
        }
        return 0;
    }
}
