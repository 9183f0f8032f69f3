// Saving and loading a trained text classifier: weights, tokenizer settings, the training vocabulary
// and the class names, so `recurrent classify` needs nothing else.
using System.Numerics;
using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.IO;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Models;

/// <summary>What a classifier checkpoint records besides the weights.</summary>
public sealed record ClassifierInfo(TextEncoder Encoder, LabelEncoder Labels, string TextColumn, string? LabelColumn, int MaxLength, string Source);

/// <summary>Model directory I/O for text classifiers (config.json <c>"task": "classify"</c>).</summary>
public static class ClassifierCheckpoint
{
    /// <summary>The task name in config.json.</summary>
    public const string Task = "classify";

    /// <summary>Writes model.safetensors and config.json into <paramref name="directory"/>.</summary>
    public static void Save<T>(string directory, TextClassifierModel<T> model, ClassifierInfo info) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var config = new JsonObject
        {
            ["task"] = Task,
            ["model"] = model.ArchitectureJson(),
            ["classes"] = info.Labels.ToJson(),
            ["text"] = info.Encoder.ToJson(),
            ["text_column"] = info.TextColumn,
            ["label_column"] = info.LabelColumn,
            ["max_length"] = info.MaxLength,
            ["source"] = info.Source,
        };
        Checkpoint.Save(directory, model, config);
    }

    /// <summary>Rebuilds the classifier described by config.json and loads its weights.</summary>
    /// <exception cref="InvalidDataException">Not a classifier, or config and weights disagree.</exception>
    /// <exception cref="DirectoryNotFoundException">No such directory.</exception>
    /// <exception cref="FileNotFoundException">A file of the model directory is missing.</exception>
    public static (TextClassifierModel<T> Model, ClassifierInfo Info) Load<T>(string directory) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (config, src) = Checkpoint.ReadTaskConfig(directory, Task, "a text classifier");
        var labels = LabelEncoder.FromJson(config["classes"]);
        var encoder = TextEncoder.FromJson(config["text"]);
        var info = new ClassifierInfo(encoder, labels, ConfigJson.GetString(config, "text_column", src, "text"),
            config["label_column"] is JsonValue lv ? lv.GetValue<string>() : null,
            ConfigJson.GetInt(config, "max_length", src, 0, min: 0), ConfigJson.GetString(config, "source", src, ""));
        var arch = ConfigJson.GetObject(config, "model", src)!;
        var rng = new Rng(0);
        int V = encoder.Vocabulary.Count, C = labels.Count;
        TextClassifierModel<T> model;
        switch (ConfigJson.GetString(arch, "type", src))
        {
            case "rnn":
                var r = ConfigJson.GetObject(arch, "rnn", src)!;
                var emb = ConfigJson.GetObject(arch, "embedding", src)!;
                RecurrentMode mode;
                try { mode = RecurrentJson.ParseMode(ConfigJson.GetString(r, "mode", src)); }
                catch (ArgumentException e) { throw new InvalidDataException($"{src}: {e.Message}"); }
                if (ConfigJson.GetInt(emb, "num_embeddings", src, min: 1) != V)
                    throw new InvalidDataException($"{src}: embedding.num_embeddings differs from the {V} vocabulary tokens.");
                Pooling pooling = ConfigJson.GetString(arch, "pooling", src, "last") switch
                {
                    "last" => Pooling.Last,
                    "mean" => Pooling.Mean,
                    "max" => Pooling.Max,
                    var p => throw new InvalidDataException($"{src}: unknown pooling '{p}' (expected last, mean or max)."),
                };
                model = new SequenceClassifier<T>(mode, V, ConfigJson.GetInt(emb, "embedding_dim", src, min: 1),
                    ConfigJson.GetInt(r, "hidden_size", src, min: 1), C, rng,
                    ConfigJson.GetInt(r, "num_layers", src, 1, min: 1, max: 64), ConfigJson.GetBool(r, "bidirectional", src, false),
                    pooling, ConfigJson.GetDouble(r, "dropout", src, 0, 0, 1), encoder.PadId);
                break;
            case "bow":
                model = new BagOfWordsClassifier<T>(V, C, rng, encoder.PadId);
                break;
            case var other:
                throw new InvalidDataException($"{src}: unknown model type '{other}' (expected rnn or bow).");
        }
        Checkpoint.LoadWeights(directory, model);
        model.Eval();
        return (model, info);
    }
}
