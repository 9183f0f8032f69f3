// `recurrent diagnose gradients`: for a loss at the last step of an adding-problem (or copy) sequence,
// ‖∂L/∂h_t‖ for every earlier step t, per cell, for fresh and trained models; the spectra of the
// recurrent weights; the global gradient norm before and after clipping. Writes gradients.csv,
// weights.csv, summary.json and gradients.svg (log scale, the models overlaid); prints a table.
using System.CommandLine;
using System.Globalization;
using Recurrent.Cli.Plots;
using Recurrent.Diagnostics;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Training.LongMemory;

namespace Recurrent.Cli.Commands;

/// <summary>The <c>diagnose gradients</c> subcommand.</summary>
public static class DiagnoseGradientsCommand
{
    private sealed record Subject(string Label, LongMemoryModel<double> Model, string Cell, double ForgetBias, bool Trained);

    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("gradients", "‖∂L/∂h_t‖ for every step t of a loss at the last step: vanishing and exploding gradients, per cell.");
        var cell = new Option<string?>("--cell") { Description = $"Cells to compare: all (= rnn,gru,lstm), or one or a comma list of {LessonCells.Valid}." };
        var length = new Option<int?>("--length", "-T") { Description = "Sequence length T (default 100, or the trained model's)." };
        var hidden = new Option<int?>("--hidden") { Description = "Hidden size H of fresh models (default 128)." };
        var initScale = new Option<double>("--init-scale") { Description = "Multiply the recurrent weights W_hh of the models by s (large s: explosion).", DefaultValueFactory = _ => 1.0 };
        var forgetBias = new Option<double?>("--forget-bias") { Description = "Forget-gate bias added to fresh LSTMs (1 = Keras' unit_forget_bias)." };
        var trained = new Option<string?>("--trained") { Description = "A run directory of `recurrent train adding|copy`: diagnose that model next to a fresh one of the same shape." };
        var task = new Option<string?>("--task") { Description = "Task of the fresh models' inputs and loss: adding (default) or copy." };
        var batch = new Option<int>("--batch") { Description = "Sequences averaged into the loss.", DefaultValueFactory = _ => 32 };
        var clip = new Option<double>("--clip") { Description = "Max gradient norm for the before/after clipping report (0 = off).", DefaultValueFactory = _ => 1.0 };
        foreach (var o in new Option[] { cell, length, hidden, initScale, forgetBias, trained, task, batch, clip }) cmd.Options.Add(o);
        var common = CommonOptions.AddTo(cmd, outDefault: "runs/diagnose");

        cmd.SetAction(r =>
        {
            ulong seed = common.GetSeed(r);
            common.ApplyThreads(r);
            double scale = r.GetValue(initScale), maxNorm = r.GetValue(clip);
            int batchSize = r.GetValue(batch);
            if (!double.IsFinite(scale) || scale <= 0) throw new UsageException($"--init-scale must be a positive number (got {F(scale)}).");
            if (!(maxNorm >= 0) || !double.IsFinite(maxNorm)) throw new UsageException($"--clip must be ≥ 0 (0 = off) (got {F(maxNorm)}).");
            if (batchSize < 1 || batchSize > 100_000) throw new UsageException($"--batch must be between 1 and 100000 (got {batchSize}).");
            if (r.GetValue(forgetBias) is double fbCheck && !double.IsFinite(fbCheck)) throw new UsageException($"--forget-bias must be a finite number (got {F(fbCheck)}).");

            var subjects = new List<Subject>();
            LongMemoryTask kind;
            int T;
            if (r.GetValue(trained) is string dir)
            {
                foreach (var (opt, name) in new (Option, string)[] { (cell, "--cell"), (hidden, "--hidden"), (forgetBias, "--forget-bias"), (task, "--task") })
                    if (r.GetResult(opt) is { Implicit: false }) throw new UsageException($"{name} cannot be combined with --trained (the trained model fixes it).");
                var (options, model) = LongMemoryRunFiles.Load(dir);
                kind = options.Task;
                T = r.GetValue(length) ?? options.Length;
                CheckSizes(kind, T, batchSize, [(options.Mode, options.HiddenSize, options.NumLayers), (options.Mode, options.HiddenSize, options.NumLayers)]);
                string c = LessonCells.Name(options.Mode);
                var fresh = new LongMemoryModel<double>(kind, options.Mode, options.HiddenSize, new Rng(seed), options.NumLayers, options.ForgetBias);
                var trainedModel = new LongMemoryModel<double>(kind, options.Mode, options.HiddenSize, new Rng(seed), options.NumLayers, options.ForgetBias);
                trainedModel.LoadStateDict(model.StateDict().ToDictionary(p => p.Key, p => p.Value.Cast<double>()));
                string fb = options.ForgetBias != 0 ? $" fb={F(options.ForgetBias)}" : "";
                subjects.Add(new Subject($"{c}{fb} fresh", fresh, c, options.ForgetBias, false));
                subjects.Add(new Subject($"{c}{fb} trained", trainedModel, c, options.ForgetBias, true));
            }
            else
            {
                kind = r.GetValue(task) is string tn ? ParseTask(tn) : LongMemoryTask.Adding;
                T = r.GetValue(length) ?? 100;
                int H = r.GetValue(hidden) ?? 128;
                double fb = r.GetValue(forgetBias) ?? 0;
                if (H < 1 || H > 16384) throw new UsageException($"--hidden must be between 1 and 16384 (got {H}).");
                var modes = ParseCells(r.GetValue(cell) ?? "all");
                if (fb != 0 && !modes.Contains(RecurrentMode.Lstm)) throw new UsageException("--forget-bias applies to LSTMs, but --cell has none.");
                CheckSizes(kind, T, batchSize, modes.Select(m => (m, H, 1)).ToList());
                foreach (var mode in modes)
                {
                    double modeFb = mode == RecurrentMode.Lstm ? fb : 0;
                    string c = LessonCells.Name(mode);
                    string label = c + (modeFb != 0 ? $" fb={F(modeFb)}" : "");
                    subjects.Add(new Subject(label, new LongMemoryModel<double>(kind, mode, H, new Rng(seed), 1, modeFb), c, modeFb, false));
                }
            }
            if (scale != 1)
                foreach (var s in subjects) RecurrentWeightReport.ScaleRecurrentWeights(s.Model.Rnn, scale);

            string outDir = LessonFiles.PrepareOut(common.GetOut(r));
            var progress = ctx.Progress(common.GetQuiet(r));
            progress.Start($"diagnose gradients T={T}", subjects.Count);
            var results = new List<(Subject S, LongMemoryDiagnosisResult R)>();
            foreach (var s in subjects)
            {
                ctx.Cancellation.ThrowIfCancellationRequested();
                // The same data seed for every model: all are measured on the same sequences.
                results.Add((s, LongMemoryDiagnosis.Run(s.Model, T, batchSize, LongMemoryTrainer.StreamSeed(seed, 3), maxNorm)));
                progress.Update(results.Count, s.Label);
            }
            progress.Finish();
            Write(outDir, kind, T, scale, maxNorm, results, ctx.Out);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Refuses a length outside the task's range, and sizes whose double-precision models (weights and
    /// gradients) or activations would not fit in about 4 GB, before any model is built.</summary>
    private static void CheckSizes(LongMemoryTask kind, int T, int batchSize, IReadOnlyList<(RecurrentMode Mode, int Hidden, int Layers)> models)
    {
        int min = kind.MinLength();
        if (T < min || T > 100_000) throw new UsageException($"--length must be between {min} and 100000 for the {kind.Name()} task (got {T}).");
        // Budgets in float elements (LongMemoryOptions.MaxElements ≈ 4 GB); a double counts twice.
        int maxHidden = models.Max(m => m.Hidden), layers = models.Max(m => m.Layers);
        if ((long)batchSize * kind.SequenceLength(T) * maxHidden * 8 * layers * 2 > LongMemoryOptions.MaxElements)
            throw new UsageException($"--length {T} with --batch {batchSize} and hidden size {maxHidden} needs more memory than allowed (about 4 GB of activations); use a smaller length, batch or hidden size.");
        long weights = models.Sum(m => LongMemoryOptions.ParameterElements(kind, m.Mode, m.Hidden, m.Layers)) * 2 * 2;   // weights + gradients, in double
        if (weights > LongMemoryOptions.MaxElements)
            throw new UsageException($"hidden size {maxHidden}: the {models.Count} model(s) and their gradients in double precision need more than 4 GB; use a smaller hidden size.");
    }

    private static LongMemoryTask ParseTask(string name) => name.Trim().ToLowerInvariant() switch
    {
        "adding" => LongMemoryTask.Adding,
        "copy" => LongMemoryTask.Copy,
        _ => throw new UsageException($"--task: unknown task '{name}' (expected adding or copy)."),
    };

    private static List<RecurrentMode> ParseCells(string spec)
    {
        if (spec.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return [RecurrentMode.RnnTanh, RecurrentMode.Gru, RecurrentMode.Lstm];
        var modes = new List<RecurrentMode>();
        foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0) throw new UsageException($"--cell: empty name in '{spec}' (expected all, or a comma list of {LessonCells.Valid}).");
            var m = LessonCells.Parse(part);
            if (modes.Contains(m)) throw new UsageException($"--cell: '{part}' is listed twice.");
            modes.Add(m);
        }
        return modes;
    }

    private static void Write(string dir, LongMemoryTask task, int T, double scale, double maxNorm,
        List<(Subject S, LongMemoryDiagnosisResult R)> results, TextWriter stdout)
    {
        var gradRows = new List<object?[]>();
        foreach (var (s, r) in results)
            for (int t = 0; t <= T; t++)
                gradRows.Add([s.Label, t, T - t, r.Flow.HiddenGradNorms[t], r.Flow.CellGradNorms?[t]]);
        LessonFiles.WriteCsv(Path.Combine(dir, "gradients.csv"), ["model", "t", "steps_back", "grad_h", "grad_c"], gradRows);

        var weightRows = new List<object?[]>();
        foreach (var (s, r) in results)
            foreach (var w in r.Weights)
                weightRows.Add([s.Label, w.Parameter, w.Gate, w.SpectralRadius, w.LargestSingularValue]);
        LessonFiles.WriteCsv(Path.Combine(dir, "weights.csv"), ["model", "parameter", "gate", "spectral_radius", "largest_singular_value"], weightRows);

        var models = new List<object?>();
        foreach (var (s, r) in results)
        {
            var f = r.Flow;
            var candidate = r.Weights.First(w => w.Gate is "h" or "g" or "n");   // the block that writes the new state
            models.Add(new Dictionary<string, object?>
            {
                ["model"] = s.Label, ["cell"] = s.Cell, ["forget_bias"] = s.ForgetBias, ["trained"] = s.Trained,
                ["loss"] = f.Loss,
                ["grad_h_at_loss"] = f.StepsBack(0),
                ["grad_h_10_back"] = T >= 10 ? f.StepsBack(10) : null,
                ["grad_h_first_step"] = f.HiddenGradNorms[1],
                ["grad_h_initial"] = f.HiddenGradNorms[0],
                ["factor_per_step"] = f.FactorPerStep(),
                ["grad_norm_before_clip"] = r.GradNormBeforeClip,
                ["grad_norm_after_clip"] = r.GradNormAfterClip,
                ["w_hh_spectral_radius"] = candidate.SpectralRadius,
                ["w_hh_largest_singular_value"] = r.Weights.Where(w => w.Gate is "all" or "h").Max(w => w.LargestSingularValue),
            });
        }
        var summary = new Dictionary<string, object?>
        {
            ["task"] = task.Name(), ["length"] = T, ["init_scale"] = scale, ["clip"] = maxNorm, ["models"] = models,
        };
        LessonFiles.WriteJson(Path.Combine(dir, "summary.json"), summary);

        var chart = new SvgChart
        {
            Title = $"‖∂L/∂h_t‖ for a loss at step T={T} ({task.Name()}{(scale != 1 ? $", W_hh × {F(scale)}" : "")})",
            XLabel = "steps back from the loss (T − t)", YLabel = "‖∂L/∂h_t‖", LogY = true,
        };
        foreach (var (s, r) in results)
        {
            var x = Enumerable.Range(0, T + 1).Select(k => (double)k).ToList();
            var y = Enumerable.Range(0, T + 1).Select(k => r.Flow.StepsBack(k)).ToList();
            chart.Add(s.Label, x, y, dashed: s.Trained);
        }
        chart.Save(Path.Combine(dir, "gradients.svg"));

        stdout.WriteLine($"{"model",-18} {"|dL/dh_T|",10} {"10 back",10} {"at t=1",10} {"per step",9} {"rho(W_hh)",9} {"|g| before",10} {"after clip",10}");
        foreach (var m in models.Cast<Dictionary<string, object?>>())
            stdout.WriteLine($"{m["model"],-18} {N(m["grad_h_at_loss"]),10} {N(m["grad_h_10_back"]),10} {N(m["grad_h_first_step"]),10} {N(m["factor_per_step"]),9} {N(m["w_hh_spectral_radius"]),9} {N(m["grad_norm_before_clip"]),10} {N(m["grad_norm_after_clip"]),10}");
        stdout.WriteLine($"wrote {Path.Combine(dir, "gradients.svg")}, gradients.csv, weights.csv, summary.json");
    }

    private static string N(object? v) => v is double d ? LessonFiles.Short(d) : "-";

    private static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
