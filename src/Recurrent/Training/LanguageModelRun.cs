// One `train lm` run as a library object: text → tokens → vocabulary → train/validation split → model,
// optimizer and trainer; plus everything written to the run directory (best/ and last/ checkpoints,
// metrics.csv, metrics.json) and an exact resume from last/.
//
// Run directory layout:
//   best/       model.safetensors + config.json of the epoch with the lowest validation (else training) loss
//   last/       the same for the latest epoch (or the interrupted step), plus trainer.json (settings, progress,
//               random generator states, optimizer scalars), optimizer.safetensors (optimizer buffers) and
//               state.safetensors (the carried hidden state, only inside an interrupted epoch)
//   metrics.csv one row per epoch;  metrics.json  final summary
// Checkpoint directories are written completely under a temporary name and then swapped in, so a crash
// leaves either the previous checkpoint or the new one.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.IO;
using Recurrent.Models;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Training;

/// <summary>Everything `recurrent train lm` is told; stored in last/trainer.json so --resume rebuilds the run.</summary>
public sealed record LanguageModelRunSettings
{
    /// <summary>The UTF-8 training text.</summary>
    public required string TextPath { get; init; }
    /// <summary>d2l or raw preprocessing.</summary>
    public TextPrep Prep { get; init; } = TextPrep.D2l;
    /// <summary>Characters or words.</summary>
    public TokenLevel Level { get; init; } = TokenLevel.Char;
    /// <summary>Use only the first this many tokens (the book: 10,000); 0 = all. The vocabulary still comes from the whole text, as in d2l.</summary>
    public int MaxTokens { get; init; }
    /// <summary>Tokens rarer than this map to &lt;unk&gt;.</summary>
    public int MinFreq { get; init; }
    /// <summary>The last fraction of the tokens held out for validation; 0 = none.</summary>
    public double ValFraction { get; init; } = 0.1;
    /// <summary>The cell.</summary>
    public RecurrentMode Mode { get; init; } = RecurrentMode.Lstm;
    /// <summary>H.</summary>
    public int Hidden { get; init; } = 256;
    /// <summary>L.</summary>
    public int Layers { get; init; } = 1;
    /// <summary>Bidirectional layers.</summary>
    public bool Bidirectional { get; init; }
    /// <summary>Embedding size; 0 = one-hot.</summary>
    public int Embed { get; init; }
    /// <summary>Between-layer dropout.</summary>
    public double Dropout { get; init; }
    /// <summary>LSTM forget-gate bias added at initialisation (0 = PyTorch's init).</summary>
    public double ForgetBias { get; init; }
    /// <summary>sgd, adam, adamw, rmsprop, adagrad.</summary>
    public string Optimizer { get; init; } = "adam";
    /// <summary>Learning rate.</summary>
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>SGD/RMSprop momentum.</summary>
    public double Momentum { get; init; }
    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; init; }
    /// <summary>The one seed of the run (initialisation, dropout, batches).</summary>
    public ulong Seed { get; init; } = 42;
    /// <summary>Loop options.</summary>
    public LanguageModelTrainingOptions Training { get; init; } = new();

    /// <summary>Parses a cell name: rnn (tanh), rnn-relu, gru, lstm.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static RecurrentMode ParseCell(string value) => value.ToLowerInvariant() switch
    {
        "rnn" or "rnn-tanh" => RecurrentMode.RnnTanh,
        "rnn-relu" => RecurrentMode.RnnRelu,
        "gru" => RecurrentMode.Gru,
        "lstm" => RecurrentMode.Lstm,
        _ => throw new ArgumentException($"unknown --cell '{value}' (expected rnn, rnn-relu, gru or lstm)."),
    };

    /// <summary>The CLI name of a cell.</summary>
    public static string CellName(RecurrentMode mode) => mode switch
    {
        RecurrentMode.RnnTanh => "rnn",
        RecurrentMode.RnnRelu => "rnn-relu",
        RecurrentMode.Gru => "gru",
        RecurrentMode.Lstm => "lstm",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>Checks the values that do not need the data.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the option.</exception>
    public void Validate()
    {
        if (MaxTokens < 0) throw new ArgumentException($"--max-tokens must be ≥ 0 (0 = all; got {MaxTokens}).");
        if (MinFreq < 0) throw new ArgumentException($"--min-freq must be ≥ 0 (got {MinFreq}).");
        if (!(ValFraction >= 0 && ValFraction < 1)) throw new ArgumentException($"--val-fraction must be in [0, 1) (got {ValFraction}).");
        if (Layers == 1 && Dropout > 0) throw new ArgumentException("--dropout acts between layers (as in PyTorch); it needs --layers 2 or more.");
        Training.Validate(ValFraction > 0);
        _ = OptimizerFactory.DefaultLearningRate(Optimizer);
    }

    /// <summary>As JSON (for trainer.json and the "training" block of config.json).</summary>
    public JsonObject ToJson() => new()
    {
        ["text"] = TextPath,
        ["prep"] = Prep.ToString().ToLowerInvariant(),
        ["level"] = Level.ToString().ToLowerInvariant(),
        ["max_tokens"] = MaxTokens,
        ["min_freq"] = MinFreq,
        ["val_fraction"] = ValFraction,
        ["cell"] = CellName(Mode),
        ["hidden"] = Hidden,
        ["layers"] = Layers,
        ["bidirectional"] = Bidirectional,
        ["embed"] = Embed,
        ["dropout"] = Dropout,
        ["forget_bias"] = ForgetBias,
        ["optimizer"] = Optimizer,
        ["lr"] = LearningRate,
        ["momentum"] = Momentum,
        ["weight_decay"] = WeightDecay,
        ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        ["batch"] = Training.BatchSize,
        ["steps"] = Training.Steps,
        ["epochs"] = Training.Epochs,
        ["sampling"] = Training.Sampling.ToString().ToLowerInvariant(),
        ["bptt"] = Training.Bptt.ToString().ToLowerInvariant(),
        ["offset"] = Training.Offset == SequenceOffset.Zero ? "0" : "random",
        ["clip_norm"] = Training.ClipNorm,
        ["clip_value"] = Training.ClipValue,
        ["patience"] = Training.Patience,
    };

    /// <summary>Reads <see cref="ToJson"/>'s form.</summary>
    /// <exception cref="InvalidDataException">A field is missing or malformed; the message names the file and field.</exception>
    public static LanguageModelRunSettings FromJson(JsonObject o, string source)
    {
        try
        {
            return new LanguageModelRunSettings
            {
                TextPath = ConfigJson.GetString(o, "text", source),
                Prep = Tokenizer.ParsePrep(ConfigJson.GetString(o, "prep", source)),
                Level = Tokenizer.ParseLevel(ConfigJson.GetString(o, "level", source)),
                MaxTokens = ConfigJson.GetInt(o, "max_tokens", source, min: 0),
                MinFreq = ConfigJson.GetInt(o, "min_freq", source, min: 0),
                ValFraction = ConfigJson.GetDouble(o, "val_fraction", source, min: 0, max: 0.999999),
                Mode = ParseCell(ConfigJson.GetString(o, "cell", source)),
                Hidden = ConfigJson.GetInt(o, "hidden", source, min: 1),
                Layers = ConfigJson.GetInt(o, "layers", source, min: 1),
                Bidirectional = ConfigJson.GetBool(o, "bidirectional", source),
                Embed = ConfigJson.GetInt(o, "embed", source, min: 0),
                Dropout = ConfigJson.GetDouble(o, "dropout", source, min: 0, max: 0.999999),
                ForgetBias = ConfigJson.GetDouble(o, "forget_bias", source, 0, min: -1e6, max: 1e6),
                Optimizer = ConfigJson.GetString(o, "optimizer", source),
                LearningRate = ConfigJson.GetDouble(o, "lr", source),
                Momentum = ConfigJson.GetDouble(o, "momentum", source),
                WeightDecay = ConfigJson.GetDouble(o, "weight_decay", source),
                Seed = ulong.Parse(ConfigJson.GetString(o, "seed", source), CultureInfo.InvariantCulture),
                Training = new LanguageModelTrainingOptions
                {
                    BatchSize = ConfigJson.GetInt(o, "batch", source, min: 1),
                    Steps = ConfigJson.GetInt(o, "steps", source, min: 1),
                    Epochs = ConfigJson.GetInt(o, "epochs", source, min: 1),
                    Sampling = LanguageModelBatches.ParseSampling(ConfigJson.GetString(o, "sampling", source)),
                    Bptt = LanguageModelBatches.ParseBptt(ConfigJson.GetString(o, "bptt", source)),
                    Offset = ConfigJson.GetString(o, "offset", source) == "0" ? SequenceOffset.Zero : SequenceOffset.Random,
                    ClipNorm = ConfigJson.GetDouble(o, "clip_norm", source, min: 0),
                    ClipValue = ConfigJson.GetDouble(o, "clip_value", source, min: 0),
                    Patience = ConfigJson.GetInt(o, "patience", source, min: 0),
                },
            };
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{source}: {ex.Message}", ex);
        }
    }
}

/// <summary>A prepared (or resumed) language-model training run.</summary>
public sealed class LanguageModelRun
{
    /// <summary>Name of the best-epoch checkpoint directory inside the run directory.</summary>
    public const string BestDir = "best";
    /// <summary>Name of the latest checkpoint directory inside the run directory.</summary>
    public const string LastDir = "last";
    private const string TrainerFile = "trainer.json";
    private const string OptimizerFile = "optimizer.safetensors";
    private const string StateFile = "state.safetensors";

    private LanguageModelRun(LanguageModelRunSettings settings, TextCorpus corpus, string sha, Vocabulary vocab, int[] train, int[] valid,
        LanguageModel<float> model, IOptimizer optimizer, LanguageModelTrainer<float> trainer)
    {
        Settings = settings; Corpus = corpus; TextSha256 = sha; Vocabulary = vocab; TrainTokens = train; ValidTokens = valid;
        Model = model; Optimizer = optimizer; Trainer = trainer;
    }

    /// <summary>The settings (after resume overrides).</summary>
    public LanguageModelRunSettings Settings { get; }
    /// <summary>The tokenized text.</summary>
    public TextCorpus Corpus { get; }
    /// <summary>SHA-256 of the text file (checked on resume).</summary>
    public string TextSha256 { get; }
    /// <summary>The vocabulary.</summary>
    public Vocabulary Vocabulary { get; }
    /// <summary>Training token ids.</summary>
    public int[] TrainTokens { get; }
    /// <summary>Validation token ids (may be empty).</summary>
    public int[] ValidTokens { get; }
    /// <summary>The model.</summary>
    public LanguageModel<float> Model { get; }
    /// <summary>The optimizer.</summary>
    public IOptimizer Optimizer { get; }
    /// <summary>The epoch loop.</summary>
    public LanguageModelTrainer<float> Trainer { get; }

    /// <summary>A fresh run: reads and tokenizes the text, splits it, builds and initialises the model from the seed.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    /// <exception cref="FileNotFoundException">The text file does not exist.</exception>
    /// <exception cref="InvalidDataException">The text is empty, binary, invalid UTF-8 or too short for one minibatch.</exception>
    public static LanguageModelRun Start(LanguageModelRunSettings settings)
        => Build(settings, expectedSha: null, restore: null);

    /// <summary>Continues the run saved in <paramref name="runDirectory"/>/last exactly where it stopped.</summary>
    /// <param name="runDirectory">The --out directory of the earlier run (or its last/ directory).</param>
    /// <param name="adjust">Changes allowed on resume (more epochs, another patience or learning rate).</param>
    /// <exception cref="DirectoryNotFoundException">No checkpoint is there.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is damaged, or the text file changed since.</exception>
    public static LanguageModelRun Resume(string runDirectory, Func<LanguageModelRunSettings, LanguageModelRunSettings>? adjust = null)
    {
        string last = FindLast(runDirectory);
        string trainerPath = Path.Combine(last, TrainerFile);
        if (!File.Exists(trainerPath))
            throw new FileNotFoundException($"{trainerPath}: not found; {runDirectory} is not a `train lm` run directory that can be resumed.", trainerPath);
        var json = ConfigJson.ReadFile(trainerPath);
        int version = ConfigJson.GetInt(json, "format_version", trainerPath);
        if (version != 1) throw new InvalidDataException($"{trainerPath}: format_version {version} is not supported (expected 1).");
        var saved = LanguageModelRunSettings.FromJson(ConfigJson.GetObject(json, "settings", trainerPath)!, trainerPath);
        var settings = adjust is null ? saved : adjust(saved);
        string sha = ConfigJson.GetString(json, "text_sha256", trainerPath);
        return Build(settings, sha, run => run.RestoreFrom(last, json, trainerPath, settings.LearningRate != saved.LearningRate));
    }

    /// <summary>The last/ directory of a run directory (or the directory itself when it is one); a checkpoint
    /// left as last.old by a crash during a swap is used when last/ is missing.</summary>
    public static string FindLast(string runDirectory)
    {
        if (File.Exists(Path.Combine(runDirectory, TrainerFile))) return runDirectory;
        string last = Path.Combine(runDirectory, LastDir);
        if (Directory.Exists(last)) return last;
        string old = last + ".old";
        if (Directory.Exists(old)) return old;
        if (!Directory.Exists(runDirectory)) throw new DirectoryNotFoundException($"{runDirectory}: run directory not found.");
        throw new DirectoryNotFoundException($"{runDirectory}: no '{LastDir}' checkpoint inside; is this the --out directory of `recurrent train lm`?");
    }

    private static LanguageModelRun Build(LanguageModelRunSettings s, string? expectedSha, Action<LanguageModelRun>? restore)
    {
        s.Validate();
        byte[] bytes = ReadBytes(s.TextPath);
        string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (expectedSha is not null && sha != expectedSha)
            throw new InvalidDataException($"{s.TextPath}: the text changed since the run was started (SHA-256 differs); resuming would not continue the same run.");
        string text = TextFile.DecodeUtf8(bytes, s.TextPath);
        var corpus = TextCorpus.FromText(text, Path.GetFileName(s.TextPath), s.Prep, s.Level);
        var vocab = corpus.BuildVocabulary(s.MinFreq);
        int[] ids = vocab.Encode(corpus.Tokens);
        if (s.MaxTokens > 0 && ids.Length > s.MaxTokens) ids = ids[..s.MaxTokens];
        // n_train = ⌊N·(1 − f)⌋ in exact decimal arithmetic, so f = 0.1 gives the protocol's (9·N) // 10.
        int nTrain = (int)Math.Floor(ids.Length * (1m - (decimal)s.ValFraction));
        int[] train = ids[..nTrain], valid = ids[nTrain..];

        var rng = new Rng(s.Seed);
        var model = new LanguageModel<float>(new LanguageModelConfig(vocab.Count, s.Mode, s.Hidden, s.Layers, s.Bidirectional, s.Dropout, s.Embed, s.ForgetBias), rng);
        var dataRng = rng.Fork();
        var optimizer = OptimizerFactory.Create(s.Optimizer, model.Parameters(), s.LearningRate, s.Momentum, s.WeightDecay);
        var state = new LanguageModelTrainingState<float>();
        LanguageModelTrainer<float> trainer;
        try
        {
            trainer = new LanguageModelTrainer<float>(model, optimizer, train, valid, s.Training, dataRng, state);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{s.TextPath}: {ex.Message}", ex);     // too short: name the file
        }
        var run = new LanguageModelRun(s, corpus, sha, vocab, train, valid, model, optimizer, trainer);
        restore?.Invoke(run);
        return run;
    }

    private static byte[] ReadBytes(string path)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: is a directory, expected a UTF-8 text file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        return File.ReadAllBytes(path);
    }

    // ----------------------------------------------------------------------------------------- saving

    /// <summary>Writes the model of the current epoch to runDirectory/best.</summary>
    public void SaveBest(string runDirectory)
        => WriteDirectorySwap(Path.Combine(runDirectory, BestDir), dir => SaveModel(dir));

    /// <summary>Writes runDirectory/last: the model plus everything --resume needs.</summary>
    public void SaveLast(string runDirectory)
        => WriteDirectorySwap(Path.Combine(runDirectory, LastDir), dir =>
        {
            SaveModel(dir);
            var opt = Optimizer.StateDict();
            SafeTensors.Write(Path.Combine(dir, OptimizerFile),
                opt.Buffers.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => KeyValuePair.Create(b.Key, new Tensor<double>(b.Value, b.Value.Length))));
            var st = Trainer.State;
            if (st.InsideEpoch && st.CarriedState is { } carried)
            {
                var tensors = new List<KeyValuePair<string, Tensor<float>>> { new("h", carried.H) };
                if (carried.C is not null) tensors.Add(new("c", carried.C));
                SafeTensors.Write(Path.Combine(dir, StateFile), tensors);
            }
            ConfigJson.WriteFile(Path.Combine(dir, TrainerFile), TrainerJson(opt));
        });

    private void SaveModel(string dir)
        => LanguageModelCheckpoint.Save(dir, Model, Vocabulary, Settings.Prep, Settings.Level, Settings.ToJson());

    private JsonObject TrainerJson(OptimizerState opt)
    {
        var st = Trainer.State;
        var progress = new JsonObject
        {
            ["completed_epochs"] = st.CompletedEpochs,
            ["best_loss"] = Finite(st.BestLoss),
            ["best_epoch"] = st.BestEpoch,
            ["epochs_without_improvement"] = st.EpochsWithoutImprovement,
            ["stopped_early"] = st.StoppedEarly,
            ["next_step"] = st.NextStep,
            ["partial_loss_sum"] = st.PartialLossSum,
            ["partial_tokens"] = st.PartialTokens,
            ["partial_seconds"] = st.PartialSeconds,
            ["partial_grad_norm_sum"] = st.PartialGradNormSum,
            ["has_carried_state"] = st.InsideEpoch && st.CarriedState is not null,
            ["history"] = new JsonArray(st.History.Select(m => (JsonNode)MetricsJson(m)).ToArray()),
        };
        if (st.EpochDataRngState is { } eds) progress["epoch_data_rng"] = RngJson(eds);
        var scalars = new JsonObject();
        foreach (var (k, v) in opt.Scalars.OrderBy(k => k.Key, StringComparer.Ordinal)) scalars[k] = v;
        return new JsonObject
        {
            ["format_version"] = 1,
            ["settings"] = Settings.ToJson(),
            ["text_sha256"] = TextSha256,
            ["progress"] = progress,
            ["rng"] = new JsonObject
            {
                ["data"] = RngJson(Trainer.DataRng.GetState()),
                ["dropout"] = RngJson(Model.Rnn.DropoutRng.GetState()),
            },
            ["optimizer"] = new JsonObject { ["kind"] = opt.Kind, ["step_count"] = opt.StepCount, ["scalars"] = scalars },
        };
    }

    private void RestoreFrom(string dir, JsonObject json, string source, bool lrOverridden)
    {
        Checkpoint.LoadWeights(dir, Model);
        // Optimizer: scalars and step count from trainer.json, buffers from optimizer.safetensors.
        var o = ConfigJson.GetObject(json, "optimizer", source)!;
        var state = new OptimizerState { Kind = ConfigJson.GetString(o, "kind", source), StepCount = ConfigJson.GetInt(o, "step_count", source, min: 0) };
        foreach (var (k, v) in ConfigJson.GetObject(o, "scalars", source)!)
            state.Scalars[k] = v is JsonValue jv && jv.TryGetValue(out double d) ? d : throw new InvalidDataException($"{source}: optimizer scalar '{k}' is not a number.");
        string optPath = Path.Combine(dir, OptimizerFile);
        if (File.Exists(optPath))
            foreach (var (k, t) in SafeTensors.Read<double>(optPath).Tensors) state.Buffers[k] = t.ToArray();
        else if (state.StepCount > 0) throw new FileNotFoundException($"{optPath}: not found (the optimizer state of the checkpoint).", optPath);
        double lr = Settings.LearningRate;
        Optimizer.LoadStateDict(state);
        if (lrOverridden) Optimizer.LearningRate = lr;

        var rng = ConfigJson.GetObject(json, "rng", source)!;
        Trainer.DataRng.SetState(ParseRng(rng["data"], source, "rng.data"));
        Model.Rnn.DropoutRng.SetState(ParseRng(rng["dropout"], source, "rng.dropout"));

        var p = ConfigJson.GetObject(json, "progress", source)!;
        var st = Trainer.State;
        st.CompletedEpochs = ConfigJson.GetInt(p, "completed_epochs", source, min: 0);
        st.BestLoss = p["best_loss"] is null ? double.PositiveInfinity : ConfigJson.GetDouble(p, "best_loss", source);
        st.BestEpoch = ConfigJson.GetInt(p, "best_epoch", source, min: 0);
        st.EpochsWithoutImprovement = ConfigJson.GetInt(p, "epochs_without_improvement", source, min: 0);
        // A run stopped early may be resumed with a larger --patience; re-evaluate the rule.
        st.StoppedEarly = ConfigJson.GetBool(p, "stopped_early", source)
            && Settings.Training.Patience > 0 && st.EpochsWithoutImprovement >= Settings.Training.Patience;
        st.NextStep = ConfigJson.GetInt(p, "next_step", source, min: 0);
        st.PartialLossSum = ConfigJson.GetDouble(p, "partial_loss_sum", source);
        st.PartialTokens = ConfigJson.GetInt(p, "partial_tokens", source, min: 0);
        st.PartialSeconds = ConfigJson.GetDouble(p, "partial_seconds", source);
        st.PartialGradNormSum = ConfigJson.GetDouble(p, "partial_grad_norm_sum", source);
        if (st.NextStep > 0) st.EpochDataRngState = ParseRng(p["epoch_data_rng"], source, "progress.epoch_data_rng");
        if (p["history"] is not JsonArray hist) throw new InvalidDataException($"{source}: progress.history must be an array.");
        foreach (var h in hist) st.History.Add(ParseMetrics(h as JsonObject ?? throw new InvalidDataException($"{source}: progress.history holds a non-object."), source));
        if (st.History.Count != st.CompletedEpochs)
            throw new InvalidDataException($"{source}: {st.History.Count} epochs of history for {st.CompletedEpochs} completed epochs.");
        if (ConfigJson.GetBool(p, "has_carried_state", source))
        {
            var t = SafeTensors.Read<float>(Path.Combine(dir, StateFile)).Tensors;
            if (!t.TryGetValue("h", out var h)) throw new InvalidDataException($"{Path.Combine(dir, StateFile)}: tensor 'h' missing.");
            st.CarriedState = new LanguageModelState<float>(h, t.GetValueOrDefault("c"));
        }
    }

    private static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    private static JsonArray RngJson(ulong[] state) => new(state.Select(w => (JsonNode)JsonValue.Create(w.ToString("x16", CultureInfo.InvariantCulture))!).ToArray());

    private static ulong[] ParseRng(JsonNode? node, string source, string field)
    {
        if (node is not JsonArray a) throw new InvalidDataException($"{source}: field '{field}' must be an array of hex strings.");
        var r = new ulong[a.Count];
        for (int i = 0; i < r.Length; i++)
            if (a[i] is not JsonValue v || !v.TryGetValue(out string? s) || !ulong.TryParse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out r[i]))
                throw new InvalidDataException($"{source}: {field}[{i}] is not a hex string.");
        return r;
    }

    // ---------------------------------------------------------------------------------------- metrics

    private static JsonObject MetricsJson(EpochMetrics m) => new()
    {
        ["epoch"] = m.Epoch,
        ["train_loss"] = m.TrainLoss,
        ["val_loss"] = Finite(m.ValLoss),
        ["tokens_per_s"] = m.TokensPerSecond,
        ["train_seconds"] = m.Seconds,
        ["val_seconds"] = m.ValSeconds,
        ["grad_norm"] = Finite(m.MeanGradNorm),
        ["lr"] = m.LearningRate,
        ["steps"] = m.Steps,
        ["tokens"] = m.Tokens,
    };

    private static EpochMetrics ParseMetrics(JsonObject o, string source) => new(
        ConfigJson.GetInt(o, "epoch", source, min: 1),
        ConfigJson.GetDouble(o, "train_loss", source),
        o["val_loss"] is null ? double.NaN : ConfigJson.GetDouble(o, "val_loss", source),
        ConfigJson.GetDouble(o, "tokens_per_s", source),
        ConfigJson.GetDouble(o, "train_seconds", source),
        ConfigJson.GetDouble(o, "val_seconds", source),
        o["grad_norm"] is null ? double.NaN : ConfigJson.GetDouble(o, "grad_norm", source),
        ConfigJson.GetDouble(o, "lr", source),
        ConfigJson.GetInt(o, "steps", source, min: 0),
        (long)ConfigJson.GetDouble(o, "tokens", source, min: 0));

    private string BitsName => Settings.Level == TokenLevel.Char ? "bits_per_char" : "bits_per_word";

    /// <summary>metrics.csv: one row per completed epoch.</summary>
    public string MetricsCsv()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append($"epoch,train_loss,train_perplexity,train_{BitsName},val_loss,val_perplexity,val_{BitsName},tokens_per_s,train_seconds,val_seconds,grad_norm,lr\n");
        foreach (var m in Trainer.State.History)
        {
            string V(double x) => double.IsFinite(x) ? x.ToString("R", inv) : "";
            sb.Append(inv, $"{m.Epoch},{V(m.TrainLoss)},{V(m.TrainPerplexity)},{V(m.TrainBits)},{V(m.ValLoss)},{V(m.ValPerplexity)},{V(m.ValBits)},{m.TokensPerSecond.ToString("F1", inv)},{m.Seconds.ToString("F3", inv)},{m.ValSeconds.ToString("F3", inv)},{V(m.MeanGradNorm)},{V(m.LearningRate)}\n");
        }
        return sb.ToString();
    }

    /// <summary>metrics.json: the final (or latest) summary.</summary>
    public JsonObject MetricsJson(bool interrupted = false)
    {
        var st = Trainer.State;
        var h = st.History;
        var last = h.Count > 0 ? h[^1] : null;
        double seconds = h.Sum(m => m.Seconds);
        long tokens = h.Sum(m => m.Tokens);
        var best = st.BestEpoch > 0 ? h[st.BestEpoch - 1] : null;
        return new JsonObject
        {
            ["train_perplexity"] = last is null ? null : Finite(last.TrainPerplexity),
            ["val_perplexity"] = last is null ? null : Finite(last.ValPerplexity),
            ["best_val_perplexity"] = best is null || !best.HasValidation ? null : Finite(best.ValPerplexity),
            ["best_epoch"] = st.BestEpoch,
            [$"train_{BitsName}"] = last is null ? null : Finite(last.TrainBits),
            [$"val_{BitsName}"] = last is null ? null : Finite(last.ValBits),
            ["tokens_per_s"] = seconds > 0 ? Math.Round(tokens / seconds, 1) : null,
            ["epochs"] = st.CompletedEpochs,
            ["stopped_early"] = st.StoppedEarly,
            ["interrupted"] = interrupted,
            ["train_seconds"] = Math.Round(seconds, 3),
            ["parameters"] = Model.ParameterCount,
            ["vocab_size"] = Vocabulary.Count,
            ["train_tokens"] = TrainTokens.Length,
            ["val_tokens"] = ValidTokens.Length,
            ["cell"] = LanguageModelRunSettings.CellName(Settings.Mode),
            ["text"] = Corpus.Source,
        };
    }

    /// <summary>Writes metrics.csv and metrics.json into the run directory (atomically).</summary>
    public void WriteMetrics(string runDirectory, bool interrupted = false)
    {
        Directory.CreateDirectory(runDirectory);
        AtomicFile.WriteAllText(Path.Combine(runDirectory, "metrics.csv"), MetricsCsv());
        ConfigJson.WriteFile(Path.Combine(runDirectory, "metrics.json"), MetricsJson(interrupted));
    }

    /// <summary>Fills <paramref name="target"/> through <paramref name="write"/> in a fresh sibling directory, then
    /// swaps it in: target → target.old, new → target, delete target.old. Readers see a complete directory
    /// (or, after a crash in the swap, target.old, which <see cref="FindLast"/> falls back to).</summary>
    private static void WriteDirectorySwap(string target, Action<string> write)
    {
        string full = Path.GetFullPath(target);
        string partial = full + ".partial", old = full + ".old";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        try
        {
            write(partial);
        }
        catch
        {
            try { Directory.Delete(partial, recursive: true); } catch (IOException) { }
            throw;
        }
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(full)) Directory.Move(full, old);
        Directory.Move(partial, full);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }
}
