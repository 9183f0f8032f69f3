// The recurrent stack's constructor arguments in PyTorch's names, as stored in config.json, so a
// PyTorch user can rebuild the same nn.LSTM/GRU/RNN and load the weights.
using System.Numerics;
using System.Text.Json.Nodes;
using Recurrent.Nn;

namespace Recurrent.Models;

/// <summary>Reads and writes <c>{"mode": "LSTM", "input_size": …, "hidden_size": …, "num_layers": …,
/// "bidirectional": …, "dropout": …, "bias": …}</c>.</summary>
public static class RecurrentJson
{
    /// <summary>The JSON description of a stack.</summary>
    public static JsonObject Describe<T>(RecurrentStack<T> rnn) where T : unmanaged, IFloatingPointIeee754<T> => new()
    {
        ["mode"] = ModeName(rnn.Mode),
        ["input_size"] = rnn.InputSize,
        ["hidden_size"] = rnn.HiddenSize,
        ["num_layers"] = rnn.NumLayers,
        ["bidirectional"] = rnn.Bidirectional,
        ["dropout"] = rnn.Dropout,
        ["bias"] = rnn.HasBias,
    };

    /// <summary>PyTorch's class / mode name: RNN_TANH, RNN_RELU, LSTM, GRU.</summary>
    public static string ModeName(RecurrentMode mode) => mode switch
    {
        RecurrentMode.RnnTanh => "RNN_TANH",
        RecurrentMode.RnnRelu => "RNN_RELU",
        RecurrentMode.Lstm => "LSTM",
        RecurrentMode.Gru => "GRU",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>Parses a mode name (PyTorch's, or the CLI's rnn|lstm|gru).</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static RecurrentMode ParseMode(string name) => name.ToUpperInvariant() switch
    {
        "RNN" or "RNN_TANH" or "TANH" => RecurrentMode.RnnTanh,
        "RNN_RELU" or "RELU" => RecurrentMode.RnnRelu,
        "LSTM" => RecurrentMode.Lstm,
        "GRU" => RecurrentMode.Gru,
        _ => throw new ArgumentException($"unknown cell '{name}' (expected rnn, gru or lstm)."),
    };
}
