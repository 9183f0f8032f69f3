// `recurrent train adding` and `recurrent train copy`: the long-memory benchmarks. Parses and checks the
// options, runs LongMemoryTrainer (the library does the work), writes the run directory:
// config.json + model.safetensors (a checkpoint), metrics.json, metrics.csv (per evaluation),
// steps.csv (loss and gradient norm of every step), loss.svg; prints metrics.json on stdout.
using System.CommandLine;
using System.Globalization;
using Recurrent.Cli.Plots;
using Recurrent.Nn;
using Recurrent.Training.LongMemory;

namespace Recurrent.Cli.Commands;

/// <summary>The <c>train adding</c> / <c>train copy</c> subcommands.</summary>
public static class TrainLongMemoryCommand
{
    public static Command Create(CliContext ctx, LongMemoryTask task)
    {
        bool adding = task == LongMemoryTask.Adding;
        var cmd = new Command(task.Name(), adding
            ? "The adding problem: predict the sum of two marked values among T (predicting 1 scores MSE 1/6 ≈ 0.167)."
            : "Copy-memory: reproduce 10 symbols after T blanks (the memoryless baseline is 10·ln 8/(T+20) nats per step).");
        var length = new Option<int>("--length", "-T") { Description = adding ? "Sequence length T." : "Blanks T between the symbols and their recall.", Required = true };
        var steps = new Option<int>("--train-steps") { Description = "Optimizer steps (each on a fresh batch).", DefaultValueFactory = _ => 3000 };
        var cell = new Option<string>("--cell") { Description = $"Recurrent cell: {LessonCells.Valid}.", DefaultValueFactory = _ => "lstm" };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size H.", DefaultValueFactory = _ => 128 };
        var layers = new Option<int>("--layers") { Description = "Stacked recurrent layers.", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => 64 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 1e-3 };
        var clip = new Option<double>("--clip") { Description = "Max global gradient norm (0 = no clipping).", DefaultValueFactory = _ => 1.0 };
        var forgetBias = new Option<double>("--forget-bias") { Description = "LSTM: add this to the forget-gate bias at init (1 = Keras' unit_forget_bias; 0 = PyTorch's init).", DefaultValueFactory = _ => 0.0 };
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate on the test set every N steps.", DefaultValueFactory = _ => 100 };
        var testSize = new Option<int>("--test-size") { Description = "Sequences in the fixed test set drawn from the seed.", DefaultValueFactory = _ => 1000 };
        foreach (var o in new Option[] { length, steps, cell, hidden, layers, batch, lr, clip, forgetBias, evalEvery, testSize }) cmd.Options.Add(o);
        var common = CommonOptions.AddTo(cmd, outDefault: $"runs/{task.Name()}");

        cmd.SetAction(r =>
        {
            var mode = LessonCells.Parse(r.GetValue(cell));
            var options = new LongMemoryOptions
            {
                Task = task, Mode = mode, Length = r.GetValue(length), TrainSteps = r.GetValue(steps),
                HiddenSize = r.GetValue(hidden), NumLayers = r.GetValue(layers), BatchSize = r.GetValue(batch),
                LearningRate = r.GetValue(lr), Clip = r.GetValue(clip), ForgetBias = r.GetValue(forgetBias),
                EvalEvery = r.GetValue(evalEvery), TestSize = r.GetValue(testSize), Seed = common.GetSeed(r),
            };
            Check(options);
            common.ApplyThreads(r);
            string dir = LessonFiles.PrepareOut(common.GetOut(r));
            var progress = ctx.Progress(common.GetQuiet(r));
            string what = $"{task.Name()} T={options.Length} {LessonCells.Name(mode)}{(options.ForgetBias != 0 ? $" forget-bias {options.ForgetBias.ToString(CultureInfo.InvariantCulture)}" : "")}";
            progress.Message($"{what}: H={options.HiddenSize} batch {options.BatchSize} lr {options.LearningRate.ToString(CultureInfo.InvariantCulture)} clip {options.Clip.ToString(CultureInfo.InvariantCulture)}, baseline {LessonFiles.Short(task.BaselineLoss(options.Length))}");
            progress.Start(what, options.TrainSteps);
            var run = LongMemoryTrainer.Train(options, e =>
            {
                string acc = e.TestAccuracy is double a ? $" recall acc {a:P1}" : "";
                progress.Update(e.Step, $"test {(adding ? "mse" : "ce")} {LessonFiles.Short(e.TestLoss)}{acc}");
                if (e.Step > 0) progress.Message($"step {e.Step}: train {LessonFiles.Short(e.TrainLoss)} test {LessonFiles.Short(e.TestLoss)}{acc} |g| {LessonFiles.Short(e.GradNormMean)}");
            }, ctx.Cancellation);
            var metrics = LongMemoryRunFiles.Write(dir, run);
            progress.Finish(run.StepsToSolve is int s ? $"solved at step {s}" : "not solved");
            ctx.Out.WriteLine(LessonFiles.ToJson(metrics));
            return run.Completed ? ExitCodes.Ok : ExitCodes.Cancelled;
        });
        return cmd;
    }

    // Library checks phrased with the option names (one line, exit 2).
    private static void Check(LongMemoryOptions o)
    {
        int min = o.Task.MinLength();
        if (o.Length < min) throw new UsageException($"--length must be at least {min} for the {o.Task.Name()} task (got {o.Length}).");
        if (o.Length > 100_000) throw new UsageException($"--length {o.Length} is too large (at most 100000).");
        if (o.TrainSteps < 0) throw new UsageException($"--train-steps must be ≥ 0 (got {o.TrainSteps}).");
        if (o.HiddenSize < 1 || o.HiddenSize > 65536) throw new UsageException($"--hidden must be between 1 and 65536 (got {o.HiddenSize}).");
        if (o.NumLayers < 1 || o.NumLayers > 64) throw new UsageException($"--layers must be between 1 and 64 (got {o.NumLayers}).");
        if (o.BatchSize < 1 || o.BatchSize > 1_000_000) throw new UsageException($"--batch must be between 1 and 1000000 (got {o.BatchSize}).");
        if (!(o.LearningRate > 0) || !double.IsFinite(o.LearningRate)) throw new UsageException($"--lr must be a positive number (got {o.LearningRate.ToString(CultureInfo.InvariantCulture)}).");
        if (!(o.Clip >= 0) || !double.IsFinite(o.Clip)) throw new UsageException($"--clip must be ≥ 0 (0 = off) (got {o.Clip.ToString(CultureInfo.InvariantCulture)}).");
        if (!double.IsFinite(o.ForgetBias)) throw new UsageException($"--forget-bias must be a finite number (got {o.ForgetBias.ToString(CultureInfo.InvariantCulture)}).");
        if (o.ForgetBias != 0 && o.Mode != RecurrentMode.Lstm) throw new UsageException($"--forget-bias applies to --cell lstm only (cell is {LessonCells.Name(o.Mode)}).");
        if (o.EvalEvery < 1) throw new UsageException($"--eval-every must be at least 1 (got {o.EvalEvery}).");
        if (o.TestSize < 1 || o.TestSize > 1_000_000) throw new UsageException($"--test-size must be between 1 and 1000000 (got {o.TestSize}).");
        try { o.Validate(); }
        catch (ArgumentException ex) { throw new UsageException(ex.Message); }
    }
}
