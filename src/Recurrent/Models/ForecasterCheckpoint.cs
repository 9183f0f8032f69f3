// Saving and loading a trained forecaster: the weights plus everything needed to use it on new data
// (columns, lookback, horizon, the training scaler), so `recurrent forecast` needs nothing else.
using System.Numerics;
using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.IO;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Models;

/// <summary>What a forecaster checkpoint records besides the weights.</summary>
public sealed record ForecasterInfo(string[] Features, string? TimeColumn, int Lookback, int Horizon, StandardScaler Scaler, int? Season, string Source)
{
    /// <summary>The predicted column (the first feature).</summary>
    public string Target => Features[0];
}

/// <summary>Model directory I/O for forecasters (config.json <c>"task": "forecast"</c>).</summary>
public static class ForecasterCheckpoint
{
    /// <summary>The task name in config.json.</summary>
    public const string Task = "forecast";

    /// <summary>Writes model.safetensors and config.json into <paramref name="directory"/>.</summary>
    public static void Save<T>(string directory, ForecastModel<T> model, ForecasterInfo info) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var config = new JsonObject
        {
            ["task"] = Task,
            ["model"] = model.ArchitectureJson(),
            ["lookback"] = info.Lookback,
            ["horizon"] = info.Horizon,
            ["target"] = info.Target,
            ["features"] = new JsonArray(info.Features.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray()),
            ["time_column"] = info.TimeColumn,
            ["season"] = info.Season,
            ["scaler"] = info.Scaler.ToJson(),
            ["source"] = info.Source,
        };
        Checkpoint.Save(directory, model, config);
    }

    /// <summary>Rebuilds the model described by config.json and loads its weights.</summary>
    /// <exception cref="InvalidDataException">Not a forecaster, or the config/weights are inconsistent; the message names the file and field.</exception>
    /// <exception cref="DirectoryNotFoundException">No such directory.</exception>
    /// <exception cref="FileNotFoundException">A file of the model directory is missing.</exception>
    public static (ForecastModel<T> Model, ForecasterInfo Info) Load<T>(string directory) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (config, src) = Checkpoint.ReadTaskConfig(directory, Task, "a forecaster");
        int lookback = ConfigJson.GetInt(config, "lookback", src, min: 1);
        int horizon = ConfigJson.GetInt(config, "horizon", src, min: 1);
        var features = config["features"] is JsonArray fa
            ? fa.Select(f => f?.GetValueKind() == System.Text.Json.JsonValueKind.String ? f.GetValue<string>() : throw new InvalidDataException($"{src}: 'features' must hold column names.")).ToArray()
            : throw new InvalidDataException($"{src}: field 'features' is missing.");
        if (features.Length == 0) throw new InvalidDataException($"{src}: 'features' is empty.");
        var scaler = StandardScaler.FromJson(config["scaler"]);
        if (scaler.Features != features.Length) throw new InvalidDataException($"{src}: the scaler has {scaler.Features} features but 'features' lists {features.Length}.");
        string? time = config["time_column"] is JsonValue tv ? tv.GetValue<string>() : null;
        int? season = config["season"] is JsonValue sv ? sv.GetValue<int>() : null;
        var info = new ForecasterInfo(features, time, lookback, horizon, scaler, season, ConfigJson.GetString(config, "source", src, ""));

        var arch = ConfigJson.GetObject(config, "model", src)!;
        var rng = new Rng(0);                                              // weights are overwritten below
        ForecastModel<T> model = ConfigJson.GetString(arch, "type", src) switch
        {
            "rnn" => BuildRecurrent<T>(arch, info, rng, src),
            "mlp" => new MlpForecaster<T>(lookback, features.Length, horizon,
                ConfigJson.GetInt(ConfigJson.GetObject(arch, "mlp", src)!, "hidden_size", src, min: 1), rng),
            var other => throw new InvalidDataException($"{src}: unknown model type '{other}' (expected rnn or mlp)."),
        };
        Checkpoint.LoadWeights(directory, model);
        model.Eval();
        return (model, info);
    }

    private static RecurrentForecaster<T> BuildRecurrent<T>(JsonObject arch, ForecasterInfo info, Rng rng, string src) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = ConfigJson.GetObject(arch, "rnn", src)!;
        RecurrentMode mode;
        try { mode = RecurrentJson.ParseMode(ConfigJson.GetString(r, "mode", src)); }
        catch (ArgumentException e) { throw new InvalidDataException($"{src}: {e.Message}"); }
        int input = ConfigJson.GetInt(r, "input_size", src, min: 1);
        if (input != info.Features.Length) throw new InvalidDataException($"{src}: rnn.input_size {input} differs from the {info.Features.Length} features.");
        return new RecurrentForecaster<T>(mode, info.Lookback, info.Features.Length, info.Horizon,
            ConfigJson.GetInt(r, "hidden_size", src, min: 1), rng,
            ConfigJson.GetInt(r, "num_layers", src, 1, min: 1, max: 64), ConfigJson.GetDouble(r, "dropout", src, 0, 0, 1));
    }
}
