// A language model on disk: model.safetensors (PyTorch names: embedding.weight, rnn.weight_ih_l0, …,
// head.weight) + config.json (the recurrent stack's PyTorch constructor arguments, the tokenizer and the
// vocabulary). Enough to generate text; the training state for --resume is stored beside it by
// LanguageModelRun.
using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.IO;
using Recurrent.Models;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Training;

/// <summary>A loaded language model with what is needed to turn text into ids and back.</summary>
public sealed record LanguageModelBundle(LanguageModel<float> Model, Vocabulary Vocabulary, TextPrep Prep, TokenLevel Level, JsonObject Config);

/// <summary>Saves and loads language-model directories.</summary>
public static class LanguageModelCheckpoint
{
    /// <summary>The task name in config.json.</summary>
    public const string Task = "lm";

    /// <summary>PyTorch's RNNBase mode string for a cell.</summary>
    public static string ModeName(RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => "LSTM",
        RecurrentMode.Gru => "GRU",
        RecurrentMode.RnnTanh => "RNN_TANH",
        RecurrentMode.RnnRelu => "RNN_RELU",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>Parses <see cref="ModeName"/>'s strings.</summary>
    /// <exception cref="InvalidDataException">Unknown mode.</exception>
    public static RecurrentMode ParseModeName(string name, string source) => name switch
    {
        "LSTM" => RecurrentMode.Lstm,
        "GRU" => RecurrentMode.Gru,
        "RNN_TANH" => RecurrentMode.RnnTanh,
        "RNN_RELU" => RecurrentMode.RnnRelu,
        _ => throw new InvalidDataException($"{source}: unknown rnn mode '{name}' (expected LSTM, GRU, RNN_TANH or RNN_RELU)."),
    };

    /// <summary>config.json for a model: <c>rnn</c> holds nn.LSTM/GRU/RNN's constructor arguments.</summary>
    public static JsonObject BuildConfig(LanguageModelConfig config, Vocabulary vocabulary, TextPrep prep, TokenLevel level, JsonObject? training = null)
    {
        var o = new JsonObject
        {
            ["task"] = Task,
            ["format_version"] = 1,
            ["vocab_size"] = config.VocabSize,
            ["embed_dim"] = config.EmbedDim,
            ["forget_bias"] = config.ForgetBias,
            ["rnn"] = new JsonObject
            {
                ["mode"] = ModeName(config.Mode),
                ["input_size"] = config.InputSize,
                ["hidden_size"] = config.HiddenSize,
                ["num_layers"] = config.NumLayers,
                ["bias"] = true,
                ["batch_first"] = true,
                ["dropout"] = config.NumLayers > 1 ? config.Dropout : 0,
                ["bidirectional"] = config.Bidirectional,
            },
            ["head"] = new JsonObject { ["in_features"] = config.HiddenSize * (config.Bidirectional ? 2 : 1), ["out_features"] = config.VocabSize },
            ["tokenizer"] = new JsonObject
            {
                ["prep"] = prep.ToString().ToLowerInvariant(),
                ["level"] = level.ToString().ToLowerInvariant(),
            },
            ["vocabulary"] = new JsonObject
            {
                ["has_unk"] = vocabulary.HasUnknown,
                ["tokens"] = new JsonArray(vocabulary.Tokens.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
            },
        };
        if (training is not null) o["training"] = training;
        return o;
    }

    /// <summary>Writes the model directory (weights first, then config; each file atomically).</summary>
    public static void Save(string directory, LanguageModel<float> model, Vocabulary vocabulary, TextPrep prep, TokenLevel level, JsonObject? training = null)
        => Checkpoint.Save(directory, model, BuildConfig(model.Config, vocabulary, prep, level, training));

    /// <summary>Reads the architecture, tokenizer and vocabulary from config.json.</summary>
    /// <exception cref="InvalidDataException">The config is not a language model's or is inconsistent; the message names the file and field.</exception>
    public static (LanguageModelConfig Config, Vocabulary Vocabulary, TextPrep Prep, TokenLevel Level) ParseConfig(JsonObject o, string source)
    {
        string task = ConfigJson.GetString(o, "task", source, "");
        if (task != Task)
            throw new InvalidDataException($"{source}: this is a '{(task.Length == 0 ? "unknown" : task)}' model, not a language model (task 'lm').");
        var rnn = ConfigJson.GetObject(o, "rnn", source)!;
        var mode = ParseModeName(ConfigJson.GetString(rnn, "mode", source), source);
        int vocabSize = ConfigJson.GetInt(o, "vocab_size", source, min: 2);
        int embed = ConfigJson.GetInt(o, "embed_dim", source, 0, min: 0);
        var config = new LanguageModelConfig(vocabSize, mode,
            ConfigJson.GetInt(rnn, "hidden_size", source, min: 1),
            ConfigJson.GetInt(rnn, "num_layers", source, 1, min: 1),
            ConfigJson.GetBool(rnn, "bidirectional", source, false),
            ConfigJson.GetDouble(rnn, "dropout", source, 0, min: 0, max: 0.999999),
            embed,
            ConfigJson.GetDouble(o, "forget_bias", source, 0, min: -1e6, max: 1e6));
        int inputSize = ConfigJson.GetInt(rnn, "input_size", source, min: 1);
        if (inputSize != config.InputSize)
            throw new InvalidDataException($"{source}: rnn.input_size {inputSize} does not match {(embed > 0 ? $"embed_dim {embed}" : $"vocab_size {vocabSize} (one-hot input)")}.");
        if (!ConfigJson.GetBool(rnn, "bias", source, true))
            throw new InvalidDataException($"{source}: rnn.bias = false is not supported for language models.");

        var tok = ConfigJson.GetObject(o, "tokenizer", source)!;
        TextPrep prep; TokenLevel level;
        try
        {
            prep = Tokenizer.ParsePrep(ConfigJson.GetString(tok, "prep", source));
            level = Tokenizer.ParseLevel(ConfigJson.GetString(tok, "level", source));
        }
        catch (ArgumentException ex) { throw new InvalidDataException($"{source}: tokenizer: {ex.Message}", ex); }

        var vo = ConfigJson.GetObject(o, "vocabulary", source)!;
        if (vo["tokens"] is not JsonArray arr) throw new InvalidDataException($"{source}: field 'vocabulary.tokens' must be an array of strings.");
        var tokens = new List<string>(arr.Count);
        foreach (var n in arr)
        {
            if (n is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.String)
                throw new InvalidDataException($"{source}: vocabulary.tokens[{tokens.Count}] is not a string.");
            tokens.Add(v.GetValue<string>());
        }
        if (tokens.Count != vocabSize)
            throw new InvalidDataException($"{source}: the vocabulary lists {tokens.Count} tokens but vocab_size is {vocabSize}.");
        var vocab = new Vocabulary(tokens, ConfigJson.GetBool(vo, "has_unk", source));
        return (config, vocab, prep, level);
    }

    /// <summary>Loads a model directory for inference.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">config.json or model.safetensors is missing.</exception>
    /// <exception cref="InvalidDataException">The files are inconsistent or not a language model's.</exception>
    public static LanguageModelBundle Load(string directory)
    {
        var json = Checkpoint.ReadConfig(directory);
        var (config, vocab, prep, level) = ParseConfig(json, Checkpoint.ConfigPath(directory));
        var model = new LanguageModel<float>(config, new Rng(0));        // weights are overwritten below
        Checkpoint.LoadWeights(directory, model);
        model.Eval();
        return new LanguageModelBundle(model, vocab, prep, level, json);
    }
}
