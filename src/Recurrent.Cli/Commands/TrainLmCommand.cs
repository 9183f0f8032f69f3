// `recurrent train lm`: a character- or word-level language model on a text file, d2l-style.
// Parses options into LanguageModelRunSettings, drives the epochs of LanguageModelRun (library), and
// writes what a user looks at: progress on stderr, metrics.csv/json, training_curve.svg, best/ and last/.
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Recurrent.Cli.Plots;
using Recurrent.Data;
using Recurrent.IO;
using Recurrent.Kernels;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

/// <summary>The <c>train lm</c> subcommand.</summary>
public static class TrainLmCommand
{
    public static Command Create(CliContext ctx)
    {
        var text = new Option<string>("--text") { Description = "UTF-8 training text (required unless --resume)." };
        var prep = Choice("--prep", "d2l (letters only, lower case; The Time Machine: 28 tokens) or raw (every character kept).", "d2l", "d2l", "raw");
        var level = Choice("--level", "Token level.", "char", "char", "word");
        var maxTokens = IntOption("--max-tokens", "Use only the first N tokens (the book: 10000); 0 = all. The vocabulary comes from the whole text.", 0, 0);
        var minFreq = IntOption("--min-freq", "Tokens seen fewer times become <unk>.", 0, 0);
        var valFraction = new Option<double>("--val-fraction") { Description = "Last fraction of the tokens held out for validation (0 = none).", DefaultValueFactory = _ => 0.1 };
        var cell = Choice("--cell", "Recurrent cell.", "lstm", "rnn", "rnn-relu", "gru", "lstm");
        var layers = IntOption("--layers", "Stacked recurrent layers.", 1, 1);
        var hidden = IntOption("--hidden", "Hidden units per layer and direction.", 256, 1);
        var bidirectional = new Option<bool>("--bidirectional") { Description = "Bidirectional layers (the book's counter-example: it sees the future while training)." };
        var embed = IntOption("--embed", "Embedding size; without it the input is one-hot as in the book.", 0, 1);
        var dropout = new Option<double>("--dropout") { Description = "Dropout between layers (needs --layers ≥ 2).", DefaultValueFactory = _ => 0.0 };
        var forgetBias = new Option<double>("--forget-bias") { Description = "LSTM: add this to the forget-gate bias at init (1 = Keras' unit_forget_bias; 0 = PyTorch's init).", DefaultValueFactory = _ => 0.0 };
        var optimizer = Choice("--optimizer", "Optimizer.", "adam", [.. OptimizerFactory.Names]);
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default: sgd 1, adam/adamw 2e-3, rmsprop 1e-3, adagrad 0.05)." };
        var momentum = new Option<double>("--momentum") { Description = "Momentum (sgd, rmsprop).", DefaultValueFactory = _ => 0.0 };
        var weightDecay = new Option<double>("--weight-decay") { Description = "Weight decay (L2; decoupled for adamw).", DefaultValueFactory = _ => 0.0 };
        var batch = IntOption("--batch", "Minibatch size B (parallel streams).", 32, 1);
        var steps = IntOption("--steps", "Time steps T per window (mean window for --bptt random).", 35, 1);
        var epochs = IntOption("--epochs", "Epochs (with --resume: the new total).", 20, 1);
        var sampling = Choice("--sampling", "random (state reset per minibatch) or sequential (state carried and detached).", "sequential", "sequential", "random");
        var bptt = Choice("--bptt", "truncated (window --steps), full (whole stream), random (randomized truncation).", "truncated", "truncated", "full", "random");
        var offset = Choice("--offset", "Sequential start offset: random per epoch (d2l) or 0 (same minibatches every epoch).", "random", "random", "0");
        var clipNorm = new Option<double>("--clip-norm") { Description = "Clip the global gradient L2 norm to this (0 = off).", DefaultValueFactory = _ => 1.0 };
        var clipValue = new Option<double>("--clip-value") { Description = "Clip every gradient element to ±this (0 = off).", DefaultValueFactory = _ => 0.0 };
        var patience = IntOption("--patience", "Early stopping: stop after N epochs without a better validation perplexity (0 = off).", 0, 0);
        var resume = new Option<string>("--resume") { Description = "Continue the run in DIR exactly where it stopped (may change --epochs, --patience, --lr)." };
        var logEvery = IntOption("--log-every", "Print the epoch line every N epochs.", 1, 1);
        var saveEvery = IntOption("--save-every", "Write last/ every N epochs (always at the end, on Ctrl-C and before a crash-prone stop).", 1, 1);

        var cmd = new Command("lm", "Train a character- or word-level language model (d2l chapter 9) on a text file.")
        {
            text, prep, level, maxTokens, minFreq, valFraction, cell, layers, hidden, bidirectional, embed, dropout, forgetBias,
            optimizer, lr, momentum, weightDecay, batch, steps, epochs, sampling, bptt, offset, clipNorm, clipValue, patience,
            resume, logEvery, saveEvery,
        };
        var common = CommonOptions.AddTo(cmd, outDefault: "runs/lm");

        cmd.SetAction(r =>
        {
            Parallelism.Threads = common.ApplyThreads(r);
            var progress = ctx.Progress(common.GetQuiet(r));
            string? resumeDir = r.GetValue(resume);
            bool Given(Option o) => r.GetResult(o) is { Implicit: false };

            LanguageModelRun run;
            string outDir;
            if (resumeDir is not null)
            {
                Option[] fixedOnResume = [text, prep, level, maxTokens, minFreq, valFraction, cell, layers, hidden, bidirectional, embed, dropout, forgetBias,
                    optimizer, momentum, weightDecay, batch, steps, sampling, bptt, offset, clipNorm, clipValue, common.Seed!];
                foreach (var o in fixedOnResume)
                    if (Given(o)) throw new UsageException($"{o.Name} cannot be changed when resuming; the checkpoint's value is used (only --epochs, --patience and --lr may change).");
                outDir = Given(common.Out!) ? common.GetOut(r) : resumeDir;
                double? newLr = r.GetValue(lr);
                run = Wrap(() => LanguageModelRun.Resume(resumeDir, s => s with
                {
                    LearningRate = newLr ?? s.LearningRate,
                    Training = s.Training with
                    {
                        Epochs = Given(epochs) ? r.GetValue(epochs) : s.Training.Epochs,
                        Patience = Given(patience) ? r.GetValue(patience) : s.Training.Patience,
                    },
                }));
                var st = run.Trainer.State;
                progress.Message($"resuming {resumeDir} at epoch {st.CompletedEpochs + 1}{(st.InsideEpoch ? $", step {st.NextStep + 1}" : "")} of {run.Settings.Training.Epochs}");
            }
            else
            {
                string? path = r.GetValue(text) ?? throw new UsageException("--text FILE is required (or --resume DIR to continue a run).");
                outDir = common.GetOut(r);
                if (Directory.Exists(Path.Combine(outDir, LanguageModelRun.LastDir)))
                    throw new UsageException($"{outDir} already holds a run; continue it with --resume {outDir} or choose another --out.");
                string opt = r.GetValue(optimizer)!;
                var settings = Wrap(() => new LanguageModelRunSettings
                {
                    TextPath = path,
                    Prep = Tokenizer.ParsePrep(r.GetValue(prep)!),
                    Level = Tokenizer.ParseLevel(r.GetValue(level)!),
                    MaxTokens = r.GetValue(maxTokens),
                    MinFreq = r.GetValue(minFreq),
                    ValFraction = r.GetValue(valFraction),
                    Mode = LanguageModelRunSettings.ParseCell(r.GetValue(cell)!),
                    Hidden = r.GetValue(hidden),
                    Layers = r.GetValue(layers),
                    Bidirectional = r.GetValue(bidirectional),
                    Embed = r.GetValue(embed),
                    Dropout = r.GetValue(dropout),
                    ForgetBias = r.GetValue(forgetBias),
                    Optimizer = opt,
                    LearningRate = r.GetValue(lr) ?? OptimizerFactory.DefaultLearningRate(opt),
                    Momentum = r.GetValue(momentum),
                    WeightDecay = r.GetValue(weightDecay),
                    Seed = common.GetSeed(r),
                    Training = new LanguageModelTrainingOptions
                    {
                        BatchSize = r.GetValue(batch),
                        Steps = r.GetValue(steps),
                        Epochs = r.GetValue(epochs),
                        Sampling = LanguageModelBatches.ParseSampling(r.GetValue(sampling)!),
                        Bptt = LanguageModelBatches.ParseBptt(r.GetValue(bptt)!),
                        Offset = r.GetValue(offset) == "0" ? SequenceOffset.Zero : SequenceOffset.Random,
                        ClipNorm = r.GetValue(clipNorm),
                        ClipValue = r.GetValue(clipValue),
                        Patience = r.GetValue(patience),
                    },
                });
                run = Wrap(() => LanguageModelRun.Start(settings));
                progress.Message(Describe(run));
            }
            return Train(ctx, run, outDir, progress, r.GetValue(logEvery), r.GetValue(saveEvery));
        });
        return cmd;
    }

    private static int Train(CliContext ctx, LanguageModelRun run, string outDir, ProgressReporter progress, int logEvery, int saveEvery)
    {
        var trainer = run.Trainer;
        int totalEpochs = run.Settings.Training.Epochs;
        string bits = run.Settings.Level == TokenLevel.Char ? "bits/char" : "bits/word";
        string? lastSaved = File.Exists(Path.Combine(outDir, LanguageModelRun.LastDir, "trainer.json"))
            ? $"{Path.Combine(outDir, LanguageModelRun.LastDir)} (epoch {trainer.State.CompletedEpochs})" : null;
        int currentEpoch = -1;
        Directory.CreateDirectory(outDir);
        // steps.csv: loss and gradient norm (before clipping) of every step, appended across --resume;
        // spikes and divergence show here, not in the epoch means.
        using var stepLog = OpenStepLog(outDir, append: trainer.State.CompletedEpochs > 0 || trainer.State.InsideEpoch,
            trainer.State.CompletedEpochs, trainer.State.NextStep);
        trainer.OnStep = s =>
        {
            if (s.Epoch != currentEpoch) { progress.Start($"epoch {s.Epoch}/{totalEpochs}", s.StepsInEpoch); currentEpoch = s.Epoch; }
            if (ctx.ErrorIsTerminal)
                progress.Update(s.Step, $"loss {s.Loss:F3} ppl {Math.Exp(s.Loss):F2} {s.TokensPerSecond:N0} tok/s");
            stepLog.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Epoch},{s.Step},{s.Loss:R},{s.GradNorm:R},{s.TokensPerSecond:F1}"));
        };
        var wall = System.Diagnostics.Stopwatch.StartNew();
        int startEpochs = trainer.State.CompletedEpochs;

        while (!trainer.Finished)
        {
            EpochMetrics? m;
            try
            {
                m = trainer.RunEpoch(ctx.Cancellation);
            }
            catch (TrainingDivergedException ex)
            {
                stepLog.WriteLine($"{ex.Epoch},{ex.Step},nan,nan,");
                stepLog.Flush();
                progress.Finish();
                run.WriteMetrics(outDir);
                string kept = lastSaved is null
                    ? "no checkpoint was written before it"
                    : $"the last good checkpoint is {lastSaved}";
                throw new UserErrorException($"{ex.Message}; {kept}; try a smaller --lr, --clip-norm 1 or another --seed.");
            }

            if (m is null)
            {
                // Ctrl-C inside an epoch: save the exact position.
                var st = trainer.State;
                progress.Finish();
                run.SaveLast(outDir);
                run.WriteMetrics(outDir, interrupted: true);
                ctx.Error.WriteLine($"interrupted at epoch {st.CompletedEpochs + 1}, step {st.NextStep}: saved {Path.Combine(outDir, LanguageModelRun.LastDir)}; continue with: recurrent train lm --resume {outDir}");
                return ExitCodes.Cancelled;
            }

            bool isBest = trainer.State.BestEpoch == m.Epoch;
            bool end = trainer.Finished || ctx.Cancellation.IsCancellationRequested;
            if (m.Epoch % logEvery == 0 || m.Epoch == 1 || end)
            {
                string val = m.HasValidation ? $"  val ppl {m.ValPerplexity:F3} ({m.ValBits:F3} {bits}){(isBest ? " *" : "")}" : "";
                double perEpoch = wall.Elapsed.TotalSeconds / Math.Max(1, m.Epoch - startEpochs);
                string eta = end ? "" : $"  eta {ProgressReporter.FormatTime(perEpoch * (totalEpochs - m.Epoch))}";
                progress.Message($"epoch {m.Epoch}/{totalEpochs}  train ppl {m.TrainPerplexity:F3} ({m.TrainBits:F3} {bits}){val}  {m.TokensPerSecond:N0} tok/s  {m.Seconds:F1}s{eta}");
            }
            run.WriteMetrics(outDir);
            stepLog.Flush();
            WriteCurve(run, outDir);
            if (isBest) run.SaveBest(outDir);
            if (m.Epoch % saveEvery == 0 || end)
            {
                run.SaveLast(outDir);
                lastSaved = $"{Path.Combine(outDir, LanguageModelRun.LastDir)} (epoch {m.Epoch})";
            }
            if (trainer.State.StoppedEarly)
                progress.Message($"early stopping: no better validation perplexity for {run.Settings.Training.Patience} epochs (best: epoch {trainer.State.BestEpoch}).");
            if (ctx.Cancellation.IsCancellationRequested && !trainer.Finished)
            {
                progress.Finish();
                ctx.Error.WriteLine($"interrupted after epoch {m.Epoch}: saved {Path.Combine(outDir, LanguageModelRun.LastDir)}; continue with: recurrent train lm --resume {outDir}");
                return ExitCodes.Cancelled;
            }
        }
        progress.Finish($"done: {outDir} (best/: epoch {trainer.State.BestEpoch}, last/: epoch {trainer.State.CompletedEpochs})");
        ctx.Out.WriteLine(run.MetricsJson().ToJsonString(ConfigJson.Indented));
        return ExitCodes.Ok;
    }

    /// <summary>steps.csv for appending. On resume, rows past the checkpoint's position (left by a run that was
    /// killed or diverged after its last save) are dropped, so the log holds each step once and in order.</summary>
    private static StreamWriter OpenStepLog(string outDir, bool append, int completedEpochs, int nextStep)
    {
        string path = Path.Combine(outDir, "steps.csv");
        if (append && File.Exists(path))
        {
            var lines = File.ReadAllLines(path);
            var kept = lines.Where((line, i) => i == 0 || StepRowBefore(line, completedEpochs, nextStep)).ToArray();
            if (kept.Length != lines.Length) AtomicFile.WriteAllText(path, string.Concat(kept.Select(l => l + "\n")));
        }
        bool header = !append || !File.Exists(path);
        var w = new StreamWriter(path, append && File.Exists(path)) { AutoFlush = false };
        if (header) w.WriteLine("epoch,step,loss,grad_norm,tokens_per_second");
        return w;
    }

    /// <summary>True when the steps.csv row "epoch,step,…" was done before the position (completed epochs, next
    /// step) a resume continues from; rows that do not parse are kept.</summary>
    private static bool StepRowBefore(string line, int completedEpochs, int nextStep)
    {
        var f = line.Split(',', 3);
        if (f.Length < 3 || !int.TryParse(f[0], CultureInfo.InvariantCulture, out int epoch) || !int.TryParse(f[1], CultureInfo.InvariantCulture, out int step))
            return true;
        return epoch <= completedEpochs || (epoch == completedEpochs + 1 && step <= nextStep);
    }

    private static string Describe(LanguageModelRun run)
    {
        var s = run.Settings;
        var inv = CultureInfo.InvariantCulture;
        return string.Create(inv, $"{run.Corpus.Source}: {run.Corpus.Tokens.Count:N0} {s.Level.ToString().ToLowerInvariant()} tokens, vocabulary {run.Vocabulary.Count}, ") +
            string.Create(inv, $"train {run.TrainTokens.Length:N0} / validation {run.ValidTokens.Length:N0}; ") +
            string.Create(inv, $"{(s.Bidirectional ? "bidirectional " : "")}{LanguageModelRunSettings.CellName(s.Mode)} {s.Layers}×{s.Hidden}{(s.Embed > 0 ? $", embedding {s.Embed}" : ", one-hot")}, {run.Model.ParameterCount:N0} parameters; ") +
            string.Create(inv, $"{s.Optimizer} lr {s.LearningRate:G4}, B={s.Training.BatchSize}, T={s.Training.Steps}, {s.Training.Epochs} epochs");
    }

    private static void WriteCurve(LanguageModelRun run, string outDir)
    {
        var h = run.Trainer.State.History;
        var x = h.Select(m => (double)m.Epoch).ToArray();
        var chart = new SvgChart { Title = $"{run.Corpus.Source}: {LanguageModelRunSettings.CellName(run.Settings.Mode)} language model", XLabel = "epoch", YLabel = "perplexity", LogY = true };
        chart.Add("train", x, h.Select(m => m.TrainPerplexity).ToArray());
        if (h.Any(m => m.HasValidation)) chart.Add("validation", x, h.Select(m => m.ValPerplexity).ToArray());
        chart.Save(Path.Combine(outDir, "training_curve.svg"));
    }

    /// <summary>Library argument errors become one-line user errors (usage: exit 2).</summary>
    private static T Wrap<T>(Func<T> f)
    {
        try { return f(); }
        catch (ArgumentException ex) { throw new UsageException(ex.Message); }
    }

    private static Option<string> Choice(string name, string description, string @default, params string[] values)
    {
        var o = new Option<string>(name) { Description = description, DefaultValueFactory = _ => @default };
        o.AcceptOnlyFromAmong(values);
        return o;
    }

    private static Option<int> IntOption(string name, string description, int @default, int min)
    {
        var o = new Option<int>(name) { Description = description, DefaultValueFactory = _ => @default };
        o.Validators.Add(res =>
        {
            int v = res.GetValueOrDefault<int>();
            if (v < min && !(v == 0 && @default == 0)) res.AddError($"{name} must be ≥ {min} (got {v}).");
        });
        return o;
    }
}
