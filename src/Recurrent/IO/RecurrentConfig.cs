// The constructor arguments of a recurrent stack under PyTorch's names, as stored in config.json:
// {"mode": "LSTM", "input_size": 4, "hidden_size": 8, "num_layers": 2, "bias": true,
//  "batch_first": false, "dropout": 0.0, "bidirectional": true, "nonlinearity": "tanh"}
// so that a PyTorch nn.RNN/LSTM/GRU exported as state_dict + these arguments runs here unchanged.
using System.Numerics;
using System.Text.Json.Nodes;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.IO;

/// <summary>PyTorch's <c>nn.RNN</c>/<c>nn.LSTM</c>/<c>nn.GRU</c> constructor arguments. <see cref="BatchFirst"/>
/// defaults to false like PyTorch: inputs are then <c>[T, B, I]</c> on the command line (the library API
/// itself is always batch-first). Task configs keep these keys at the top level of config.json and add
/// their own (task, vocabulary, scaler, head).</summary>
public sealed record RecurrentConfig(
    RecurrentMode Mode,
    int InputSize,
    int HiddenSize,
    int NumLayers = 1,
    bool Bias = true,
    bool BatchFirst = false,
    double Dropout = 0,
    bool Bidirectional = false)
{
    /// <summary>PyTorch's <c>nonlinearity</c> argument: "relu" for <see cref="RecurrentMode.RnnRelu"/>, else "tanh".</summary>
    public string Nonlinearity => Mode == RecurrentMode.RnnRelu ? "relu" : "tanh";

    /// <summary>D: 2 when bidirectional.</summary>
    public int NumDirections => Bidirectional ? 2 : 1;

    /// <summary>PyTorch's RNNBase mode string: LSTM, GRU, RNN_TANH, RNN_RELU.</summary>
    public static string ModeName(RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => "LSTM",
        RecurrentMode.Gru => "GRU",
        RecurrentMode.RnnTanh => "RNN_TANH",
        RecurrentMode.RnnRelu => "RNN_RELU",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown recurrent mode"),
    };

    /// <summary>The arguments of an existing stack.</summary>
    public static RecurrentConfig FromStack<T>(RecurrentStack<T> stack, bool batchFirst = true) where T : unmanaged, IFloatingPointIeee754<T>
        => new(stack.Mode, stack.InputSize, stack.HiddenSize, stack.NumLayers, stack.HasBias, batchFirst, stack.Dropout, stack.Bidirectional);

    /// <summary>A new stack with these arguments (PyTorch initialisation from <paramref name="rng"/>).</summary>
    public RecurrentStack<T> CreateStack<T>(Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
        => new(Mode, InputSize, HiddenSize, rng, NumLayers, Bidirectional, Dropout, Bias);

    /// <summary>The JSON object with PyTorch's argument names (all keys written, defaults included).</summary>
    public JsonObject ToJson() => new()
    {
        ["mode"] = ModeName(Mode),
        ["input_size"] = InputSize,
        ["hidden_size"] = HiddenSize,
        ["num_layers"] = NumLayers,
        ["bias"] = Bias,
        ["batch_first"] = BatchFirst,
        ["dropout"] = Dropout,
        ["bidirectional"] = Bidirectional,
        ["nonlinearity"] = Nonlinearity,
    };

    /// <summary>Copies these keys into <paramref name="config"/> (a task's config.json object) and returns it.</summary>
    public JsonObject WriteTo(JsonObject config)
    {
        foreach (var (k, v) in ToJson()) config[k] = v?.DeepClone();
        return config;
    }

    /// <summary>Reads the arguments from a config object; <paramref name="source"/> (the file) names it in errors.
    /// <c>mode</c> is LSTM, GRU, RNN_TANH, RNN_RELU or RNN (with <c>nonlinearity</c> tanh|relu); other keys
    /// take PyTorch's defaults when absent.</summary>
    /// <exception cref="InvalidDataException">A field is missing, mistyped, out of range or contradictory.</exception>
    public static RecurrentConfig FromJson(JsonObject o, string source)
    {
        string modeText = ConfigJson.GetString(o, "mode", source);
        string? nonlinearity = o["nonlinearity"] is null ? null : ConfigJson.GetString(o, "nonlinearity", source).ToLowerInvariant();
        if (nonlinearity is not (null or "tanh" or "relu"))
            throw new InvalidDataException($"{source}: field 'nonlinearity' must be \"tanh\" or \"relu\", found \"{nonlinearity}\".");

        RecurrentMode mode = modeText.ToUpperInvariant() switch
        {
            "LSTM" => RecurrentMode.Lstm,
            "GRU" => RecurrentMode.Gru,
            "RNN_TANH" => RecurrentMode.RnnTanh,
            "RNN_RELU" => RecurrentMode.RnnRelu,
            "RNN" => nonlinearity == "relu" ? RecurrentMode.RnnRelu : RecurrentMode.RnnTanh,
            _ => throw new InvalidDataException($"{source}: field 'mode' must be one of LSTM, GRU, RNN_TANH, RNN_RELU, RNN; found \"{modeText}\"."),
        };
        if (nonlinearity is not null)
        {
            bool conflict = mode switch
            {
                RecurrentMode.RnnTanh => nonlinearity != "tanh",
                RecurrentMode.RnnRelu => nonlinearity != "relu",
                // nn.LSTM / nn.GRU take no nonlinearity; "tanh" (what some exporters write) is harmless.
                _ => nonlinearity != "tanh",
            };
            if (conflict)
                throw new InvalidDataException($"{source}: mode \"{modeText}\" contradicts nonlinearity \"{nonlinearity}\".");
        }
        if (o["proj_size"] is not null && ConfigJson.GetInt(o, "proj_size", source, min: 0) != 0)
            throw new InvalidDataException($"{source}: proj_size (LSTM with projections) is not supported; export a model with proj_size=0.");

        return new RecurrentConfig(
            mode,
            ConfigJson.GetInt(o, "input_size", source, min: 1),
            ConfigJson.GetInt(o, "hidden_size", source, min: 1),
            ConfigJson.GetInt(o, "num_layers", source, 1, min: 1, max: 1024),
            ConfigJson.GetBool(o, "bias", source, true),
            ConfigJson.GetBool(o, "batch_first", source, false),
            ConfigJson.GetDouble(o, "dropout", source, 0, 0, 1),
            ConfigJson.GetBool(o, "bidirectional", source, false));
    }

    /// <summary>Reads config.json of a model directory and builds the stack with its weights from
    /// model.safetensors. A bare stack (a PyTorch export) has the arguments at the top level of config.json
    /// and exactly the stack's tensors. A task model (language model, forecaster, classifier) keeps them in
    /// an <c>"rnn"</c> object and registers the stack as the module <c>rnn</c>: then only the tensors under
    /// <c>rnn.</c> are used. <paramref name="prefix"/> overrides the tensor-name prefix.</summary>
    /// <exception cref="InvalidDataException">Bad config or weights that do not match it; the message names the file and tensor.</exception>
    public static (RecurrentConfig Config, RecurrentStack<T> Stack) LoadStack<T>(string directory, string? prefix = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var json = Checkpoint.ReadConfig(directory);
        string source = Checkpoint.ConfigPath(directory);
        RecurrentConfig config;
        if (json["mode"] is null && json["rnn"] is JsonObject nested)
        {
            config = FromJson(nested, source + ": rnn");
            prefix ??= "rnn.";
        }
        else
        {
            config = FromJson(json, source);
            prefix ??= "";
        }
        // The initial values are overwritten; the seed only has to be valid.
        var stack = config.CreateStack<T>(new Rng(0));
        var weights = Checkpoint.ReadWeights<T>(directory);
        if (prefix.Length > 0)
            weights = weights.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
        try
        {
            stack.LoadStateDict(weights, strict: true);
        }
        catch (InvalidDataException ex)
        {
            string detail = ex.Message.StartsWith("state dict: ", StringComparison.Ordinal) ? ex.Message["state dict: ".Length..] : ex.Message;
            string what = $"{ModeName(config.Mode)}(input_size={config.InputSize}, hidden_size={config.HiddenSize}, num_layers={config.NumLayers}, " +
                          $"bias={config.Bias.ToString().ToLowerInvariant()}, bidirectional={config.Bidirectional.ToString().ToLowerInvariant()})";
            throw new InvalidDataException($"{Checkpoint.WeightsPath(directory)} does not match {Checkpoint.ConfigFileName} {what}: {detail}{(prefix.Length > 0 ? $" (names under '{prefix}')" : "")}", ex);
        }
        stack.Eval();
        return (config, stack);
    }
}
