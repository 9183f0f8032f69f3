// `recurrent train classify`: a text classifier on a CSV the user brings (or the built-in negation
// task). Tokenizes with a vocabulary from the training part only, pads batches with per-sample lengths,
// weights classes for imbalanced labels, trains the recurrent model and a bag-of-words baseline, and
// reports accuracy, macro-F1 and the confusion matrix of each on the test part.
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Recurrent.Cli.Plots;
using Recurrent.Data;
using Recurrent.Kernels;
using Recurrent.Models;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

/// <summary>The <c>train classify</c> subcommand.</summary>
public static class TrainClassifyCommand
{
    public static Command Create(CliContext ctx)
    {
        var csv = new Option<string>("--csv") { Description = "CSV file with a text column and a label column." };
        var task = new Option<string>("--task") { Description = "Built-in task instead of --csv: negation (label flips when a negation precedes the sentiment word)." };
        task.AcceptOnlyFromAmong("negation");
        var samples = new Option<int>("--samples") { Description = "Examples generated for a built-in task.", DefaultValueFactory = _ => 4000 };
        var textCol = new Option<string>("--text-col") { Description = "Text column.", DefaultValueFactory = _ => "text" };
        var labelCol = new Option<string>("--label-col") { Description = "Label column.", DefaultValueFactory = _ => "label" };
        var level = new Option<string>("--level") { Description = "Tokens: word or char.", DefaultValueFactory = _ => "word" };
        level.AcceptOnlyFromAmong("word", "char");
        var prep = new Option<string>("--prep") { Description = "raw (split on whitespace / every character) or d2l (letters only).", DefaultValueFactory = _ => "raw" };
        prep.AcceptOnlyFromAmong("raw", "d2l");
        var caseSensitive = new Option<bool>("--case-sensitive") { Description = "Keep upper case (default: lower-case the text)." };
        var minFreq = new Option<int>("--min-freq") { Description = "Training tokens seen fewer times become <unk>.", DefaultValueFactory = _ => 1 };
        var maxLen = new Option<int>("--max-len") { Description = "Keep only the first N tokens of a text (0 = all).", DefaultValueFactory = _ => 0 };
        var model = new Option<string>("--model") { Description = "rnn (embedding → recurrent stack → pooling → linear) or bow (bag-of-words logistic regression).", DefaultValueFactory = _ => "rnn" };
        model.AcceptOnlyFromAmong("rnn", "bow");
        var cell = new Option<string>("--cell") { Description = "Recurrent cell: rnn, gru or lstm.", DefaultValueFactory = _ => "lstm" };
        cell.AcceptOnlyFromAmong("rnn", "gru", "lstm");
        var bidirectional = new Option<bool>("--bidirectional") { Description = "Run the recurrent layers in both directions." };
        var pool = new Option<string>("--pool") { Description = "How per-step outputs become one vector: last (final state), mean or max over the valid steps.", DefaultValueFactory = _ => "last" };
        pool.AcceptOnlyFromAmong("last", "mean", "max");
        var emb = new Option<int>("--embedding") { Description = "Embedding size.", DefaultValueFactory = _ => 32 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per direction.", DefaultValueFactory = _ => 64 };
        var layers = new Option<int>("--layers") { Description = "Stacked recurrent layers.", DefaultValueFactory = _ => 1 };
        var dropout = new Option<double>("--dropout") { Description = "Dropout between stacked recurrent layers.", DefaultValueFactory = _ => 0.0 };
        var forgetBias = new Option<double>("--forget-bias") { Description = "LSTM: add this to the forget-gate bias at init (1 = Keras' unit_forget_bias; 0 = PyTorch's init).", DefaultValueFactory = _ => 0.0 };
        var weights = new Option<string>("--class-weights") { Description = "balanced (each class counts equally in the loss) or none.", DefaultValueFactory = _ => "balanced" };
        weights.AcceptOnlyFromAmong("balanced", "none");
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training examples.", DefaultValueFactory = _ => 15 };
        var batch = new Option<int>("--batch-size") { Description = "Examples per minibatch.", DefaultValueFactory = _ => 32 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 0.005 };
        var clip = new Option<double>("--clip") { Description = "Gradient-norm clipping threshold (0 = off).", DefaultValueFactory = _ => 1.0 };
        var patience = new Option<int>("--patience") { Description = "Stop after this many epochs without a better validation accuracy (0 = off).", DefaultValueFactory = _ => 0 };
        var split = new Option<string>("--split") { Description = "Train and validation fractions (stratified by label); the rest is the test part.", DefaultValueFactory = _ => "0.7,0.15" };
        var noBaseline = new Option<bool>("--no-baseline") { Description = "Do not train the bag-of-words baseline." };
        foreach (var (opt, min) in new[] { (samples, 10), (minFreq, 1), (emb, 1), (hidden, 1), (layers, 1), (epochs, 1), (batch, 1) })
            opt.Validators.Add(r => { if (r.GetValueOrDefault<int>() < min) r.AddError($"{opt.Name} must be at least {min}."); });
        maxLen.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--max-len must be 0 (all) or positive."); });

        var cmd = new Command("classify", "Train a text classifier on a CSV (or a built-in task that needs order and memory).")
        {
            csv, task, samples, textCol, labelCol, level, prep, caseSensitive, minFreq, maxLen, model, cell, bidirectional, pool,
            emb, hidden, layers, dropout, forgetBias, weights, epochs, batch, lr, clip, patience, split, noBaseline,
        };
        var common = CommonOptions.AddTo(cmd, outDefault: "runs/classify");
        cmd.SetAction(r =>
        {
            ulong seed = common.GetSeed(r);
            Parallelism.Threads = common.ApplyThreads(r);
            var progress = ctx.Progress(common.GetQuiet(r));
            string outDir = common.GetOut(r);
            var options = TaskCliHelpers.Options(r.GetValue(epochs), r.GetValue(batch), r.GetValue(lr), r.GetValue(clip), r.GetValue(patience));
            var (trainFrac, valFrac) = TaskCliHelpers.ParseSplit(r.GetValue(split)!);
            string? csvPath = r.GetValue(csv), taskName = r.GetValue(task);
            if ((csvPath is null) == (taskName is null))
                throw new UsageException("give either --csv FILE (with --text-col and --label-col) or --task negation.");

            // ---- data: texts, labels, and where each row came from (for messages) ----
            string[] texts, rawLabels, where;
            string source, textName = r.GetValue(textCol)!, labelName = r.GetValue(labelCol)!;
            if (csvPath is not null)
            {
                var table = CsvTable.Load(csvPath);
                source = Path.GetFileName(csvPath);
                int tc = table.ColumnIndex(textName), lc = table.ColumnIndex(labelName);
                if (tc == lc) throw new UsageException("--text-col and --label-col name the same column.");
                texts = table.Strings(textName);
                rawLabels = table.Strings(labelName);
                where = Enumerable.Range(0, table.RowCount).Select(i => $"{source}: line {table.LineOf(i)}, column '{textName}'").ToArray();
                for (int i = 0; i < texts.Length; i++)
                {
                    if (string.IsNullOrWhiteSpace(texts[i])) throw new UserErrorException($"{where[i]}: empty text.");
                    if (string.IsNullOrWhiteSpace(rawLabels[i])) throw new UserErrorException($"{source}: line {table.LineOf(i)}, column '{labelName}': empty label.");
                }
                if (texts.Length < 3) throw new UserErrorException($"{source}: {texts.Length} data rows are too few to split into training, validation and test parts.");
            }
            else
            {
                (texts, rawLabels) = NegationTask.Generate(seed, r.GetValue(samples));
                source = $"built-in negation task (seed {seed}, {texts.Length} examples)";
                textName = "text"; labelName = "label";
                where = Enumerable.Range(0, texts.Length).Select(i => $"negation task, example {i + 1}").ToArray();
            }
            var labelEnc = LabelEncoder.Fit(rawLabels, csvPath is null ? "negation task" : $"{source}, column '{labelName}'");
            var y = rawLabels.Select(labelEnc.Encode).ToArray();
            var rng = new Rng(seed);
            var parts = StratifiedSplit.Create(y, labelEnc.Count, rng.Fork(), trainFrac, valFrac);
            if (parts.Test.Length == 0 || parts.Train.Length == 0)
                throw new UserErrorException($"{source}: too few rows per class to split into training and test parts.");
            var encoder = TextEncoder.Fit(parts.Train.Select(i => texts[i]), Tokenizer.ParsePrep(r.GetValue(prep)!), Tokenizer.ParseLevel(r.GetValue(level)!),
                lowercase: !r.GetValue(caseSensitive), r.GetValue(minFreq));
            int maxLength = r.GetValue(maxLen);
            var ids = texts.Select((t, i) => encoder.Encode(t, where[i], maxLength)).ToArray();
            LabelledSequences Part(int[] rows) => new(rows.Select(i => ids[i]).ToArray(), rows.Select(i => y[i]).ToArray());
            var train = Part(parts.Train);
            var val = Part(parts.Validation);
            var test = Part(parts.Test);
            double[]? classWeights = r.GetValue(weights) == "balanced" ? ClassWeights.Balanced(train.Labels, labelEnc.Count) : null;
            if (classWeights is not null && classWeights.Contains(0))
                throw new UserErrorException($"{source}: class '{labelEnc.Decode(Array.IndexOf(classWeights, 0.0))}' has no training rows; add rows or use --class-weights none.");

            TaskCliHelpers.EnsureDirectory(outDir);
            progress.Message($"data: {source}; {texts.Length} texts, {labelEnc.Count} classes ({string.Join(", ", labelEnc.Classes.Select((c, k) => $"{c}: {y.Count(v => v == k)}"))}); " +
                             $"train {train.Count}, validation {val.Count}, test {test.Count}; vocabulary {encoder.Vocabulary.Count} {r.GetValue(level)} tokens (from the training part); " +
                             $"lengths {ids.Min(s => s.Length)}–{ids.Max(s => s.Length)}");

            // ---- models ----
            string kind = r.GetValue(model)!;
            double fb = r.GetValue(forgetBias);
            if (!double.IsFinite(fb)) throw new UsageException($"--forget-bias must be a finite number (got {fb}).");
            if (fb != 0 && (kind == "bow" || RecurrentJson.ParseMode(r.GetValue(cell)!) != Recurrent.Nn.RecurrentMode.Lstm))
                throw new UsageException("--forget-bias applies to --cell lstm only.");
            var info = new ClassifierInfo(encoder, labelEnc, textName, labelName, maxLength, source);
            TextClassifierModel<float> main = kind == "bow"
                ? new BagOfWordsClassifier<float>(encoder.Vocabulary.Count, labelEnc.Count, rng.Fork(), encoder.PadId)
                : new SequenceClassifier<float>(RecurrentJson.ParseMode(r.GetValue(cell)!), encoder.Vocabulary.Count, r.GetValue(emb), r.GetValue(hidden),
                    labelEnc.Count, rng.Fork(), r.GetValue(layers), r.GetValue(bidirectional), ParsePooling(r.GetValue(pool)!), r.GetValue(dropout), encoder.PadId, fb);
            string mainName = kind == "bow" ? "bag-of-words" : $"{(r.GetValue(bidirectional) ? "bi" : "")}{r.GetValue(cell)} ({r.GetValue(pool)} pooling)";
            progress.Message($"model: {mainName}, {main.ParameterCount:N0} parameters");
            var history = TrainOne(ctx, progress, main, train, val, encoder.PadId, classWeights, options, rng.Fork(), outDir, info);
            ClassifierCheckpoint.Save(outDir, main, info);
            var mainEval = Score(main, test, encoder.PadId, labelEnc.Count);

            (double Acc, double F1, int[,] Cm)? bow = null;
            if (kind != "bow" && !r.GetValue(noBaseline))
            {
                progress.Message("baseline: bag-of-words logistic regression");
                var bowModel = new BagOfWordsClassifier<float>(encoder.Vocabulary.Count, labelEnc.Count, new Rng(seed + 1), encoder.PadId);
                ClassifierTrainer.Train(bowModel, train, val, encoder.PadId, classWeights, options with { LearningRate = Math.Max(options.LearningRate, 0.05) },
                    new Rng(seed + 2), cancellation: ctx.Cancellation);
                bow = Score(bowModel, test, encoder.PadId, labelEnc.Count);
            }
            int majority = Enumerable.Range(0, labelEnc.Count).MaxBy(k => train.Labels.Count(v => v == k));
            double majorityAcc = test.Labels.Count(v => v == majority) / (double)test.Count;

            // ---- outputs ----
            var metrics = new JsonObject
            {
                ["task"] = "classify",
                ["data"] = source,
                ["model"] = mainName,
                ["classes"] = labelEnc.ToJson(),
                ["train_examples"] = train.Count,
                ["val_examples"] = val.Count,
                ["test_examples"] = test.Count,
                ["vocabulary_size"] = encoder.Vocabulary.Count,
                ["parameters"] = main.ParameterCount,
                ["epochs_run"] = history.Count,
                ["best_epoch"] = history.LastOrDefault(h => h.Best)?.Epoch,
                ["val_accuracy"] = TaskCliHelpers.Num(history.LastOrDefault(h => h.Best)?.ValidationScore ?? double.NaN),
                ["test_accuracy"] = mainEval.Acc,
                ["test_macro_f1"] = TaskCliHelpers.Num(mainEval.F1),
                ["test_per_class_f1"] = PerClass(labelEnc, mainEval.Cm),
                ["confusion_matrix"] = Matrix(labelEnc, mainEval.Cm),
                ["majority_class_accuracy"] = majorityAcc,
                ["seed"] = seed,
            };
            if (bow is { } b)
            {
                metrics["bow_test_accuracy"] = b.Acc;
                metrics["bow_test_macro_f1"] = TaskCliHelpers.Num(b.F1);
                metrics["bow_confusion_matrix"] = Matrix(labelEnc, b.Cm);
            }
            TaskCliHelpers.WriteJson(Path.Combine(outDir, "metrics.json"), metrics);
            TaskCliHelpers.WriteHistory(Path.Combine(outDir, "metrics.csv"), history, "val_accuracy");
            WriteCurves(Path.Combine(outDir, "training.svg"), history);

            var inv = CultureInfo.InvariantCulture;
            var sb = new StringBuilder();
            sb.AppendLine(inv, $"test set of {source}: {test.Count} examples");
            sb.AppendLine(inv, $"  {"",-32}{"accuracy",10}{"macro-F1",10}");
            sb.AppendLine(inv, $"  {mainName,-32}{mainEval.Acc,10:0.0000}{TaskCliHelpers.T(mainEval.F1, 10)}");
            if (bow is { } bb) sb.AppendLine(inv, $"  {"bag-of-words (baseline)",-32}{bb.Acc,10:0.0000}{TaskCliHelpers.T(bb.F1, 10)}");
            sb.AppendLine(inv, $"  {"majority class (baseline)",-32}{majorityAcc,10:0.0000}");
            sb.AppendLine("confusion matrix (rows: true, columns: predicted):");
            int w = Math.Max(8, labelEnc.Classes.Max(c => c.Length) + 2);
            sb.Append("  ").Append("".PadRight(w));
            foreach (var c in labelEnc.Classes) sb.Append(c.PadLeft(w));
            sb.AppendLine();
            for (int i = 0; i < labelEnc.Count; i++)
            {
                sb.Append("  ").Append(labelEnc.Classes[i].PadRight(w));
                for (int j = 0; j < labelEnc.Count; j++) sb.Append(mainEval.Cm[i, j].ToString(inv).PadLeft(w));
                sb.AppendLine();
            }
            sb.AppendLine($"saved: {outDir}/ (config.json, model.safetensors, metrics.json, metrics.csv, training.svg)");
            ctx.Out.Write(sb.ToString());
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Pooling ParsePooling(string p) => p switch { "mean" => Pooling.Mean, "max" => Pooling.Max, _ => Pooling.Last };

    private static List<EpochReport> TrainOne(CliContext ctx, ProgressReporter progress, TextClassifierModel<float> model, LabelledSequences train, LabelledSequences val,
        int padId, double[]? classWeights, TrainingOptions options, Rng rng, string outDir, ClassifierInfo info)
    {
        progress.Start("train", (long)((train.Count + options.BatchSize - 1) / options.BatchSize) * options.Epochs);
        try
        {
            var h = ClassifierTrainer.Train(model, train, val, padId, classWeights, options, rng,
                e => progress.Message(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {e.Epoch,3}/{e.Epochs}  train loss {e.TrainLoss:0.0000}  val loss {e.ValidationLoss:0.0000}  val acc {e.ValidationScore:0.0000}  {e.Seconds:0.0}s{(e.Best ? "  *" : "")}")),
                (s, n, l) => progress.Update(s, string.Create(CultureInfo.InvariantCulture, $"loss {l:0.0000}")),
                ctx.Cancellation);
            progress.Finish();
            return h;
        }
        catch (OperationCanceledException)
        {
            ClassifierCheckpoint.Save(outDir, model, info);
            progress.Finish($"interrupted: the best weights so far are saved in {outDir}");
            throw;
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("training diverged", StringComparison.Ordinal))
        {
            throw new UserErrorException(e.Message);
        }
    }

    private static (double Acc, double F1, int[,] Cm) Score(TextClassifierModel<float> model, LabelledSequences data, int padId, int classes)
    {
        var (pred, _) = ClassifierTrainer.Predict(model, data, padId);
        var cm = ClassificationMetrics.ConfusionMatrix(data.Labels, pred, classes);
        return (ClassificationMetrics.Accuracy(data.Labels, pred), ClassificationMetrics.MacroF1(cm), cm);
    }

    private static JsonObject Matrix(LabelEncoder labels, int[,] cm)
    {
        var rows = new JsonArray();
        for (int i = 0; i < labels.Count; i++)
            rows.Add(new JsonArray(Enumerable.Range(0, labels.Count).Select(j => (JsonNode?)JsonValue.Create(cm[i, j])).ToArray()));
        return new JsonObject { ["labels"] = labels.ToJson(), ["rows_true_columns_predicted"] = rows };
    }

    private static JsonObject PerClass(LabelEncoder labels, int[,] cm)
    {
        var f1 = ClassificationMetrics.PerClassF1(cm);
        var o = new JsonObject();
        for (int i = 0; i < labels.Count; i++) o[labels.Classes[i]] = TaskCliHelpers.Num(f1[i]);
        return o;
    }

    private static void WriteCurves(string path, List<EpochReport> history)
    {
        var chart = new SvgChart { Title = "training curve", XLabel = "epoch", YLabel = "loss / accuracy" };
        var x = history.Select(h => (double)h.Epoch).ToArray();
        chart.Add("train loss", x, history.Select(h => h.TrainLoss).ToArray());
        chart.Add("validation loss", x, history.Select(h => h.ValidationLoss).ToArray());
        chart.Add("validation accuracy", x, history.Select(h => h.ValidationScore).ToArray(), markers: true);
        chart.Save(path);
    }
}
