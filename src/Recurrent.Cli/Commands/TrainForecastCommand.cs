// `recurrent train forecast` (a CSV the user brings, or the built-in noisy sine) and `recurrent train`
// alone (the noisy sine with the defaults): load, split in time order, scale on the training part,
// train, then report test errors next to the naive baselines, save the model, metrics and plots.
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Recurrent.Cli.Plots;
using Recurrent.Data;
using Recurrent.IO;
using Recurrent.Kernels;
using Recurrent.Models;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

/// <summary>The forecasting trainer verbs.</summary>
public static class TrainForecastCommand
{
    /// <summary>Default output directory of the sine run.</summary>
    public const string SineOut = "runs/sine";

    private sealed class Opts
    {
        public Option<string>? Csv, Target, Features, Time;
        public required Option<int> Lookback, Horizon, Hidden, Layers, Epochs, Batch, Patience;
        public required Option<string> Cell, Model, Split, Steps;
        public required Option<int?> Season;
        public required Option<double> Lr, Clip, Dropout, WeightDecay, Average, ForgetBias;
        public required Option<string> Schedule;
        public CommonOptions Common = null!;
    }

    /// <summary>The <c>train forecast</c> subcommand.</summary>
    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("forecast", "Train a forecaster on a CSV time series (or, without --csv, on the built-in noisy sine).");
        var o = AddOptions(cmd, withData: true, outDefault: "runs/forecast");
        cmd.SetAction(r => Run(ctx, r, o));
        return cmd;
    }

    /// <summary>Makes <c>recurrent train</c> without a subcommand train the forecaster on the built-in sine.</summary>
    public static void ConfigureSineDefault(Command train, CliContext ctx)
    {
        var o = AddOptions(train, withData: false, outDefault: SineOut);
        train.SetAction(r => Run(ctx, r, o));
    }

    private static Opts AddOptions(Command cmd, bool withData, string outDefault)
    {
        var o = new Opts
        {
            Lookback = new Option<int>("--lookback") { Description = "W: past steps the model sees.", DefaultValueFactory = _ => 64 },
            Horizon = new Option<int>("--horizon") { Description = "K: values predicted at once (1 = one step, recursive beyond; K > 1 = direct multi-output).", DefaultValueFactory = _ => 1 },
            Cell = new Option<string>("--cell") { Description = "Recurrent cell: rnn, gru or lstm.", DefaultValueFactory = _ => "gru" },
            Model = new Option<string>("--model") { Description = "rnn (recurrent stack + linear head) or mlp (the book's MLP on the W lags).", DefaultValueFactory = _ => "rnn" },
            Hidden = new Option<int>("--hidden") { Description = "Hidden units (recurrent state size, or the MLP's hidden layer).", DefaultValueFactory = _ => 16 },
            Layers = new Option<int>("--layers") { Description = "Stacked recurrent layers.", DefaultValueFactory = _ => 1 },
            Dropout = new Option<double>("--dropout") { Description = "Dropout between stacked recurrent layers.", DefaultValueFactory = _ => 0.0 },
            ForgetBias = new Option<double>("--forget-bias") { Description = "LSTM: add this to the forget-gate bias at init (1 = Keras' unit_forget_bias; 0 = PyTorch's init).", DefaultValueFactory = _ => 0.0 },
            Season = new Option<int?>("--season") { Description = "Season length S for the seasonal-naive baseline and MASE (e.g. 7 for daily data with a weekly cycle)." },
            Epochs = new Option<int>("--epochs") { Description = "Passes over the training windows.", DefaultValueFactory = _ => 100 },
            Batch = new Option<int>("--batch-size") { Description = "Windows per minibatch.", DefaultValueFactory = _ => 64 },
            Lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 0.01 },
            Clip = new Option<double>("--clip") { Description = "Gradient-norm clipping threshold (0 = off).", DefaultValueFactory = _ => 1.0 },
            WeightDecay = new Option<double>("--weight-decay") { Description = "L2 penalty on the weights (Adam weight_decay).", DefaultValueFactory = _ => 0.0 },
            Average = new Option<double>("--average") { Description = "Keep an exponential moving average of the weights with this decay (e.g. 0.99) and use it as the model (0 = off).", DefaultValueFactory = _ => 0.995 },
            Schedule = new Option<string>("--schedule") { Description = "Learning rate: constant, or cosine decay to 0 over the epochs.", DefaultValueFactory = _ => "constant" },
            Patience = new Option<int>("--patience") { Description = "Stop after this many epochs without a better validation loss (0 = off).", DefaultValueFactory = _ => 0 },
            Split = new Option<string>("--split") { Description = "Train and validation fractions in time order; the rest is the test part.", DefaultValueFactory = _ => "0.6,0.2" },
            Steps = new Option<string>("--steps") { Description = "k values of the recursive k-step-ahead evaluation.", DefaultValueFactory = _ => "1,4,16,64" },
        };
        o.Cell.AcceptOnlyFromAmong("rnn", "gru", "lstm");
        o.Schedule.AcceptOnlyFromAmong("constant", "cosine");
        o.Model.AcceptOnlyFromAmong("rnn", "mlp");
        if (withData)
        {
            o.Csv = new Option<string>("--csv") { Description = "CSV file with a header row (default: the built-in noisy sine)." };
            o.Target = new Option<string>("--target") { Description = "Column to forecast." };
            o.Features = new Option<string>("--features") { Description = "Extra input columns, comma-separated (the target is always an input)." };
            o.Time = new Option<string>("--time") { Description = "Time column (numbers or ISO dates): checked for order, used in plots and forecast files." };
            cmd.Options.Add(o.Csv); cmd.Options.Add(o.Target); cmd.Options.Add(o.Features); cmd.Options.Add(o.Time);
        }
        foreach (var opt in new Option[] { o.Lookback, o.Horizon, o.Cell, o.Model, o.Hidden, o.Layers, o.Dropout, o.ForgetBias, o.Season, o.Epochs, o.Batch, o.Lr, o.Clip, o.WeightDecay, o.Average, o.Schedule, o.Patience, o.Split, o.Steps })
            cmd.Options.Add(opt);
        foreach (var (opt, min) in new[] { (o.Lookback, 1), (o.Horizon, 1), (o.Hidden, 1), (o.Layers, 1), (o.Epochs, 1), (o.Batch, 1) })
            opt.Validators.Add(r => { if (r.GetValueOrDefault<int>() < min) r.AddError($"{opt.Name} must be at least {min}."); });
        o.Season.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is int s && s < 2) r.AddError("--season must be at least 2."); });
        o.Common = CommonOptions.AddTo(cmd, outDefault: outDefault);
        return o;
    }

    private static int Run(CliContext ctx, ParseResult r, Opts o)
    {
        ulong seed = o.Common.GetSeed(r);
        Parallelism.Threads = o.Common.ApplyThreads(r);
        var progress = ctx.Progress(o.Common.GetQuiet(r));
        string outDir = o.Common.GetOut(r);
        int W = r.GetValue(o.Lookback), K = r.GetValue(o.Horizon);
        int? season = r.GetValue(o.Season);
        var (trainFrac, valFrac) = TaskCliHelpers.ParseSplit(r.GetValue(o.Split)!);
        var steps = TaskCliHelpers.ParseSteps(r.GetValue(o.Steps)!);
        var options = TaskCliHelpers.Options(r.GetValue(o.Epochs), r.GetValue(o.Batch), r.GetValue(o.Lr), r.GetValue(o.Clip), r.GetValue(o.Patience),
            r.GetValue(o.WeightDecay), r.GetValue(o.Schedule) == "cosine", r.GetValue(o.Average));
        string modelKind = r.GetValue(o.Model)!;
        var mode = RecurrentJson.ParseMode(r.GetValue(o.Cell)!);
        double forgetBias = r.GetValue(o.ForgetBias);
        if (!double.IsFinite(forgetBias)) throw new UsageException($"--forget-bias must be a finite number (got {forgetBias}).");
        if (forgetBias != 0 && mode != Recurrent.Nn.RecurrentMode.Lstm) throw new UsageException("--forget-bias applies to --cell lstm only.");

        // ---- data ----
        string? csv = o.Csv is null ? null : r.GetValue(o.Csv);
        string[] names;
        double[] values;
        TimeAxis? time = null;
        string? timeColumn = null;
        string source;
        bool sine = csv is null;
        if (sine)
        {
            if (o.Target is not null && (r.GetValue(o.Target) is not null || r.GetValue(o.Features!) is not null || r.GetValue(o.Time!) is not null))
                throw new UsageException("--target, --features and --time need --csv (without --csv the built-in noisy sine is used).");
            names = ["x"];
            values = NoisySine.Generate(seed);
            source = $"built-in noisy sine (seed {seed})";
        }
        else
        {
            string target = r.GetValue(o.Target!) ?? throw new UsageException("--target COLUMN is required with --csv (the column to forecast).");
            var table = CsvTable.Load(csv!);
            var features = TaskCliHelpers.SplitList(r.GetValue(o.Features!));
            timeColumn = r.GetValue(o.Time!);
            if (timeColumn is not null)
            {
                if (timeColumn == target || features.Contains(timeColumn))
                    throw new UsageException($"--time column '{timeColumn}' cannot also be the target or a feature.");
                time = TimeAxis.FromCsv(table, timeColumn);
            }
            (names, values) = ForecastDataset.ReadColumns(table, target, features);
            source = Path.GetFileName(csv!);
        }
        int rows = values.Length / names.Length;
        var split = ChronologicalSplit.Create(rows, trainFrac, valFrac);
        var data = ForecastDataset.Create(sine ? "built-in sine" : source, names, values, split);
        data.CheckSize(W, K);
        var trainW = data.Windows(W, K, split.Train);
        var valW = data.Windows(W, K, split.Validation);
        int F = names.Length;

        // ---- model ----
        var rng = new Rng(seed);
        ForecastModel<float> model = modelKind == "mlp"
            ? new MlpForecaster<float>(W, F, K, r.GetValue(o.Hidden), rng.Fork())
            : new RecurrentForecaster<float>(mode, W, F, K, r.GetValue(o.Hidden), rng.Fork(), r.GetValue(o.Layers), r.GetValue(o.Dropout), forgetBias);
        string modelName = modelKind == "mlp" ? "mlp" : r.GetValue(o.Cell)!;
        var info = new ForecasterInfo(names, timeColumn, W, K, data.Scaler, season, source);
        TaskCliHelpers.EnsureDirectory(outDir);

        progress.Message($"data: {source}, {rows} rows × {F} feature{(F == 1 ? "" : "s")} ({string.Join(", ", names)}); " +
                         $"train {split.TrainEnd}, validation {split.ValEnd - split.TrainEnd}, test {rows - split.ValEnd} rows; " +
                         $"{trainW.Count} training windows (W={W}, K={K})");
        progress.Message($"model: {Describe(model)}, {model.ParameterCount:N0} parameters");

        // ---- train ----
        List<EpochReport> history;
        progress.Start("train", (long)((trainW.Count + options.BatchSize - 1) / options.BatchSize) * options.Epochs);
        try
        {
            history = ForecastTrainer.Train(model, trainW, valW, options, rng.Fork(),
                e => progress.Message(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {e.Epoch,3}/{e.Epochs}  train mse {e.TrainLoss:0.00000}  val mse {e.ValidationLoss:0.00000}  |g| {e.MeanGradNorm:0.000}  {e.Seconds:0.0}s{(e.Best ? "  *" : "")}")),
                (s, n, l) => progress.Update(s, string.Create(CultureInfo.InvariantCulture, $"loss {l:0.0000}")),
                ctx.Cancellation);
        }
        catch (OperationCanceledException)
        {
            ForecasterCheckpoint.Save(outDir, model, info);   // the best weights so far
            progress.Finish($"interrupted: the best weights so far are saved in {outDir}");
            throw;
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("training diverged", StringComparison.Ordinal))
        {
            throw new UserErrorException(e.Message);
        }
        progress.Finish();
        ForecasterCheckpoint.Save(outDir, model, info);

        // ---- evaluate ----
        var report = ForecastEvaluation.Evaluate(data, split.Test, W, K, model.Predict, steps, season);
        var valReport = split.ValEnd > split.TrainEnd ? ForecastEvaluation.Evaluate(data, split.Validation, W, K, model.Predict, [1], season) : null;

        // The book's baseline next to the network on the sine: MLP on 4 lags, 10 hidden units, 5 epochs.
        ForecastReport? book = null;
        if (sine && modelKind == "rnn")
        {
            const int tau = 4;
            var mlp = new MlpForecaster<float>(tau, 1, 1, 10, new Rng(seed + 1));
            ForecastTrainer.Train(mlp, data.Windows(tau, 1, split.Train), data.Windows(tau, 1, split.Validation),
                new TrainingOptions { Epochs = 5, BatchSize = 16, LearningRate = 0.01, ClipNorm = 0 }, new Rng(seed + 2), cancellation: ctx.Cancellation);
            book = ForecastEvaluation.Evaluate(data, split.Test, tau, 1, mlp.Predict, steps, season);
        }

        var metrics = new JsonObject
        {
            ["task"] = "forecast",
            ["data"] = source,
            ["model"] = modelName,
            ["lookback"] = W,
            ["horizon"] = K,
            ["rows"] = rows,
            ["train_rows"] = split.TrainEnd,
            ["val_rows"] = split.ValEnd - split.TrainEnd,
            ["test_rows"] = rows - split.ValEnd,
            ["epochs_run"] = history.Count,
            ["best_epoch"] = history.LastOrDefault(h => h.Best)?.Epoch,
            ["parameters"] = model.ParameterCount,
            ["seed"] = seed,
        };
        foreach (var (k, v) in report.ToJson()) metrics[k] = v?.DeepClone();
        if (valReport is not null)
        {
            metrics["val_mse_1step"] = TaskCliHelpers.Num(valReport.ModelErrors.Mse);
            metrics["val_rmse_1step"] = TaskCliHelpers.Num(valReport.ModelErrors.Rmse);
        }
        if (book is not null)
        {
            metrics["mlp_book_mse_1step"] = TaskCliHelpers.Num(book.ModelErrors.Mse);
            metrics["mlp_book_mse_kstep"] = book.ToJson("mlp")["mlp_mse_kstep"]!.DeepClone();
        }
        if (sine)
        {
            // The floor: 0.04 in expectation, but the 200 test points have their own noise; the noise-free
            // signal as a forecast shows what no model can beat on THIS test set.
            metrics["noise_floor_mse"] = NoisySine.NoiseStd * NoisySine.NoiseStd;
            metrics["clean_signal_mse_1step"] = CleanSignalMse(report);
        }
        TaskCliHelpers.WriteJson(Path.Combine(outDir, "metrics.json"), metrics);
        TaskCliHelpers.WriteHistory(Path.Combine(outDir, "metrics.csv"), history, "val_mse");
        WriteTestPredictions(Path.Combine(outDir, "test_predictions.csv"), data, report, time, timeColumn);
        var positions = time?.Positions() ?? Enumerable.Range(1, rows).Select(i => (double)i).ToArray();
        WriteForecastPlot(Path.Combine(outDir, "forecast.svg"), data, report, positions, modelName, time?.AxisTitle(timeColumn!) ?? (sine ? "t" : "row"));
        WriteKStepPlot(Path.Combine(outDir, "kstep.svg"), report, book, modelName, sine);
        WriteLossPlot(Path.Combine(outDir, "loss.svg"), history);

        ctx.Out.Write(FormatTable(report, book, modelName, source, sine ? CleanSignalMse(report) : null));
        ctx.Out.WriteLine($"saved: {outDir}/ (config.json, model.safetensors, metrics.json, metrics.csv, test_predictions.csv, forecast.svg, kstep.svg, loss.svg)");
        return ExitCodes.Ok;
    }

    /// <summary>MSE of the noise-free signal sin(0.01·t) as the forecast of the test targets (row index i is t = i + 1).</summary>
    private static double CleanSignalMse(ForecastReport r)
    {
        var clean = NoisySine.Clean(r.Targets.Max() + 1);
        return ForecastMetrics.Mse(r.Actual, r.Targets.Select(t => clean[t]).ToArray());
    }

    private static string Describe(ForecastModel<float> m) => m switch
    {
        RecurrentForecaster<float> r => $"{RecurrentJson.ModeName(r.Rnn.Mode)} {r.Rnn.NumLayers}×{r.Rnn.HiddenSize} + linear head → {m.Horizon}",
        MlpForecaster<float> p => $"MLP {p.Hidden.InFeatures} → {p.Hidden.OutFeatures} → {m.Horizon}",
        _ => m.GetType().Name,
    };

    /// <summary>The side-by-side table printed on stdout.</summary>
    internal static string FormatTable(ForecastReport r, ForecastReport? book, string modelName, string source, double? cleanMse)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"test set of {source}: {r.Targets.Length} one-step forecasts (original units)");
        sb.AppendLine(inv, $"  {"",-22}{"MSE",9}{"RMSE",9}{"MAE",9}{"MAPE%",9}{"MASE",9}");
        void Row(string name, ForecastErrors e) =>
            sb.AppendLine(inv, $"  {name,-22}{TaskCliHelpers.T(e.Mse)}{TaskCliHelpers.T(e.Rmse)}{TaskCliHelpers.T(e.Mae)}{TaskCliHelpers.T(e.Mape)}{TaskCliHelpers.T(e.Mase)}");
        Row(modelName, r.ModelErrors);
        if (book is not null) Row("mlp (book, 4 lags)", book.ModelErrors);
        Row("naive (last value)", r.NaiveErrors);
        if (r.SeasonalErrors is not null) Row($"seasonal naive (S={r.Season})", r.SeasonalErrors);
        if (cleanMse is double c)
        {
            sb.AppendLine(inv, $"  {"noise-free sin(0.01t)",-22}{TaskCliHelpers.T(c)}   (the floor on this test set)");
            sb.AppendLine(inv, $"  {"noise variance",-22}{TaskCliHelpers.T(NoisySine.NoiseStd * NoisySine.NoiseStd)}   (the floor in expectation)");
        }
        if (r.ModelKStep.Count > 0)
        {
            sb.AppendLine("k-step-ahead MSE (recursive beyond the horizon):");
            sb.Append(inv, $"  {"k",-22}");
            foreach (var k in r.ModelKStep.Keys) sb.Append(inv, $"{k,9}");
            sb.AppendLine();
            void KRow(string name, SortedDictionary<int, double> d)
            {
                sb.Append(inv, $"  {name,-22}");
                foreach (var k in r.ModelKStep.Keys) sb.Append(d.TryGetValue(k, out var v) ? TaskCliHelpers.T(v) : "–".PadLeft(9));
                sb.AppendLine();
            }
            KRow(modelName, r.ModelKStep);
            if (book is not null) KRow("mlp (book, 4 lags)", book.ModelKStep);
            KRow("naive (last value)", r.NaiveKStep);
            if (r.SeasonalKStep is not null) KRow($"seasonal naive (S={r.Season})", r.SeasonalKStep);
        }
        return sb.ToString();
    }

    private static void WriteTestPredictions(string path, ForecastDataset data, ForecastReport r, TimeAxis? time, string? timeColumn)
    {
        var sb = new StringBuilder();
        var ks = r.KStepForecasts.Keys.Where(k => k > 1).OrderBy(k => k).ToArray();
        sb.Append(time is null ? "row" : CsvTable.Quote(timeColumn!)).Append(",actual,forecast_1step,naive_1step");
        foreach (var k in ks) sb.Append(CultureInfo.InvariantCulture, $",forecast_{k}step");
        sb.Append('\n');
        var lookup = ks.ToDictionary(k => k, k => r.KStepForecasts[k].Targets.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => r.KStepForecasts[k].Forecasts[p.i]));
        for (int i = 0; i < r.Targets.Length; i++)
        {
            int t = r.Targets[i];
            sb.Append(time is null ? (t + 1).ToString(CultureInfo.InvariantCulture) : CsvTable.Quote(time.Labels[t]));
            sb.Append(',').Append(TaskCliHelpers.F(r.Actual[i])).Append(',').Append(TaskCliHelpers.F(r.Model1[i])).Append(',').Append(TaskCliHelpers.F(data.Target[t - 1]));
            foreach (var k in ks) sb.Append(',').Append(lookup[k].TryGetValue(t, out var v) ? TaskCliHelpers.F(v) : "");
            sb.Append('\n');
        }
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    private static void WriteForecastPlot(string path, ForecastDataset data, ForecastReport r, double[] positions, string modelName, string xLabel)
    {
        var chart = new SvgChart { Title = $"{data.Names[0]}: test-part forecasts ({modelName})", XLabel = xLabel, YLabel = data.Names[0] };
        int from = Math.Max(0, data.Split.TrainEnd);
        var all = Enumerable.Range(from, data.Rows - from).ToArray();
        chart.Add("actual", all.Select(t => positions[t]).ToArray(), all.Select(t => data.Target[t]).ToArray());
        chart.Add("1-step forecast", r.Targets.Select(t => positions[t]).ToArray(), r.Model1);
        foreach (var k in r.KStepForecasts.Keys.Where(k => k > 1).OrderBy(k => k).Where(k => k == 16 || k == 64 || k == r.KStepForecasts.Keys.Max()).Distinct())
            chart.Add($"{k}-step forecast", r.KStepForecasts[k].Targets.Select(t => positions[t]).ToArray(), r.KStepForecasts[k].Forecasts, dashed: true);
        chart.Save(path);
    }

    private static void WriteKStepPlot(string path, ForecastReport r, ForecastReport? book, string modelName, bool sine)
    {
        var chart = new SvgChart { Title = "test MSE of k-step-ahead forecasts", XLabel = "k (steps ahead)", YLabel = "MSE", LogX = true, LogY = true };
        double[] K(SortedDictionary<int, double> d) => d.Keys.Select(k => (double)k).ToArray();
        chart.Add(modelName, K(r.ModelKStep), r.ModelKStep.Values.ToArray(), markers: true);
        if (book is not null) chart.Add("mlp (book)", K(book.ModelKStep), book.ModelKStep.Values.ToArray(), markers: true);
        chart.Add("naive", K(r.NaiveKStep), r.NaiveKStep.Values.ToArray(), markers: true, dashed: true);
        if (r.SeasonalKStep is { Count: > 0 }) chart.Add($"seasonal naive (S={r.Season})", K(r.SeasonalKStep), r.SeasonalKStep.Values.ToArray(), markers: true, dashed: true);
        if (sine && r.ModelKStep.Count > 0)
        {
            double floor = NoisySine.NoiseStd * NoisySine.NoiseStd;
            chart.Add("noise floor", [r.ModelKStep.Keys.Min(), r.ModelKStep.Keys.Max()], [floor, floor], dashed: true);
        }
        chart.Save(path);
    }

    private static void WriteLossPlot(string path, List<EpochReport> history)
    {
        var chart = new SvgChart { Title = "training curve (scaled MSE)", XLabel = "epoch", YLabel = "MSE", LogY = true };
        var x = history.Select(h => (double)h.Epoch).ToArray();
        chart.Add("train", x, history.Select(h => h.TrainLoss).ToArray());
        chart.Add("validation", x, history.Select(h => h.ValidationLoss).ToArray());
        chart.Save(path);
    }
}
