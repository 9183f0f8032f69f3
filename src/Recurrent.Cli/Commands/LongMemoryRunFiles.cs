// The run directory of `train adding|copy`: a checkpoint (config.json with PyTorch's constructor names
// for the recurrent stack plus the task, and model.safetensors with state_dict names), metrics.json,
// metrics.csv, steps.csv and loss.svg; and the loader `diagnose gradients --trained` uses.
using System.Globalization;
using System.Text.Json.Nodes;
using Recurrent.Cli.Plots;
using Recurrent.IO;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Training.LongMemory;

namespace Recurrent.Cli.Commands;

internal static class LongMemoryRunFiles
{
    /// <summary>Writes every file of <paramref name="run"/> into <paramref name="dir"/> and returns metrics.json's content.</summary>
    public static Dictionary<string, object?> Write(string dir, LongMemoryRun run)
    {
        var o = run.Options;
        bool adding = o.Task == LongMemoryTask.Adding;
        Checkpoint.Save(dir, run.Model, Config(o));

        var f = run.Final;
        var metrics = new Dictionary<string, object?>
        {
            ["task"] = o.Task.Name(), ["cell"] = LessonCells.Name(o.Mode), ["length"] = o.Length, ["forget_bias"] = o.ForgetBias,
            ["hidden_size"] = o.HiddenSize, ["num_layers"] = o.NumLayers, ["batch_size"] = o.BatchSize, ["lr"] = o.LearningRate,
            ["clip"] = o.Clip, ["seed"] = o.Seed, ["train_steps"] = o.TrainSteps, ["steps_done"] = f.Step, ["completed"] = run.Completed,
            ["eval_every"] = o.EvalEvery, ["test_size"] = o.TestSize,
        };
        if (adding)
        {
            metrics["test_mse"] = f.TestLoss;
            metrics["baseline_mse"] = run.BaselineLoss;
        }
        else
        {
            metrics["test_accuracy"] = f.TestAccuracy;
            metrics["test_accuracy_all_steps"] = f.TestAccuracyAllSteps;
            metrics["test_cross_entropy"] = f.TestLoss;
            metrics["baseline_cross_entropy"] = run.BaselineLoss;
        }
        metrics["steps_to_solve"] = run.StepsToSolve;
        metrics["best_test_loss"] = run.Evaluations.Select(e => e.TestLoss).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min();
        metrics["seconds"] = Math.Round(run.Seconds, 2);
        metrics["cpu_seconds"] = Math.Round(run.CpuSeconds, 2);
        metrics["steps_per_second"] = run.Seconds > 0 ? Math.Round(f.Step / run.Seconds, 3) : null;
        LessonFiles.WriteJson(Path.Combine(dir, "metrics.json"), metrics);

        string lossName = adding ? "test_mse" : "test_cross_entropy";
        LessonFiles.WriteCsv(Path.Combine(dir, "metrics.csv"),
            ["step", "train_loss", lossName, "test_accuracy", "test_accuracy_all_steps", "grad_norm_mean", "grad_norm_max", "seconds"],
            run.Evaluations.Select(e => new object?[] { e.Step, e.TrainLoss, e.TestLoss, e.TestAccuracy, e.TestAccuracyAllSteps, e.GradNormMean, e.GradNormMax, Math.Round(e.Seconds, 3) }));
        LessonFiles.WriteCsv(Path.Combine(dir, "steps.csv"), ["step", "train_loss", "grad_norm"],
            run.StepLosses.Select((l, i) => new object?[] { i + 1, l, run.StepGradNorms[i] }));

        var steps = run.Evaluations.Select(e => (double)e.Step).ToList();
        var chart = new SvgChart
        {
            Title = $"{o.Task.Name()} T={o.Length}, {LessonCells.Name(o.Mode)}{(o.ForgetBias != 0 ? $" forget bias {o.ForgetBias.ToString(CultureInfo.InvariantCulture)}" : "")}",
            XLabel = "training step", YLabel = adding ? "MSE" : "cross-entropy per step (nats)", LogY = true,
        };
        chart.Add($"test {(adding ? "MSE" : "CE")}", steps, run.Evaluations.Select(e => e.TestLoss).ToList(), markers: true);
        chart.Add("train (mean since last eval)", steps, run.Evaluations.Select(e => e.TrainLoss).ToList());
        chart.Add(adding ? "baseline (predict 1)" : "baseline (memoryless)", [0, Math.Max(1, f.Step)], [run.BaselineLoss, run.BaselineLoss], dashed: true);
        if (adding) chart.Add("solved (0.01)", [0, Math.Max(1, f.Step)], [0.01, 0.01], dashed: true);
        chart.Save(Path.Combine(dir, "loss.svg"));
        return metrics;
    }

    private static JsonObject Config(LongMemoryOptions o) => new()
    {
        ["task"] = o.Task.Name(),
        ["length"] = o.Length,
        // PyTorch's constructor arguments of nn.RNN / nn.LSTM / nn.GRU (batch_first as used here).
        ["rnn"] = new JsonObject
        {
            ["mode"] = ModeName(o.Mode),
            ["input_size"] = o.Task.InputSize(), ["hidden_size"] = o.HiddenSize, ["num_layers"] = o.NumLayers,
            ["bias"] = true, ["batch_first"] = true, ["dropout"] = 0.0, ["bidirectional"] = false,
        },
        ["head"] = new JsonObject { ["in_features"] = o.HiddenSize, ["out_features"] = o.Task.OutputSize() },
        ["forget_bias"] = o.ForgetBias,
        ["training"] = new JsonObject
        {
            ["optimizer"] = "Adam", ["lr"] = o.LearningRate, ["batch_size"] = o.BatchSize, ["clip"] = o.Clip,
            ["train_steps"] = o.TrainSteps, ["seed"] = o.Seed,
        },
    };

    private static string ModeName(RecurrentMode mode) => mode switch
    {
        RecurrentMode.RnnTanh => "RNN_TANH", RecurrentMode.RnnRelu => "RNN_RELU", RecurrentMode.Gru => "GRU", _ => "LSTM",
    };

    /// <summary>Loads a run directory written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The config or weights do not describe a long-memory model; the message names the file and field.</exception>
    /// <exception cref="DirectoryNotFoundException">No such directory.</exception>
    /// <exception cref="FileNotFoundException">config.json or model.safetensors is missing.</exception>
    public static (LongMemoryOptions Options, LongMemoryModel<float> Model) Load(string dir)
    {
        var config = Checkpoint.ReadConfig(dir);
        string src = Checkpoint.ConfigPath(dir);
        var rnn = ConfigJson.GetObject(config, "rnn", src)!;
        string taskName = ConfigJson.GetString(config, "task", src);
        var task = taskName switch
        {
            "adding" => LongMemoryTask.Adding,
            "copy" => LongMemoryTask.Copy,
            _ => throw new InvalidDataException($"{src}: field 'task' is '{taskName}', expected adding or copy (a run directory of `recurrent train adding|copy`)."),
        };
        string modeName = ConfigJson.GetString(rnn, "mode", src);
        var mode = modeName switch
        {
            "RNN_TANH" => RecurrentMode.RnnTanh, "RNN_RELU" => RecurrentMode.RnnRelu, "GRU" => RecurrentMode.Gru, "LSTM" => RecurrentMode.Lstm,
            _ => throw new InvalidDataException($"{src}: field 'rnn.mode' is '{modeName}', expected RNN_TANH, RNN_RELU, GRU or LSTM."),
        };
        var options = new LongMemoryOptions
        {
            Task = task, Mode = mode,
            Length = ConfigJson.GetInt(config, "length", src, min: task.MinLength(), max: 100_000),
            HiddenSize = ConfigJson.GetInt(rnn, "hidden_size", src, min: 1, max: 65536),
            NumLayers = ConfigJson.GetInt(rnn, "num_layers", src, min: 1, max: 64),
            ForgetBias = ConfigJson.GetDouble(config, "forget_bias", src, defaultValue: 0, min: -1e6, max: 1e6),
        };
        int inputSize = ConfigJson.GetInt(rnn, "input_size", src);
        if (inputSize != task.InputSize())
            throw new InvalidDataException($"{src}: field 'rnn.input_size' = {inputSize} does not fit the {task.Name()} task ({task.InputSize()}).");
        if (options.ForgetBias != 0 && mode != RecurrentMode.Lstm)
            throw new InvalidDataException($"{src}: field 'forget_bias' is set for a {modeName} (LSTM only).");
        var model = new LongMemoryModel<float>(options.Task, options.Mode, options.HiddenSize, new Rng(0), options.NumLayers, options.ForgetBias);
        Checkpoint.LoadWeights(dir, model);
        return (options, model);
    }
}
