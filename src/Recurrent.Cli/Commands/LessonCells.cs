// The cell names the lessons' commands accept (--cell), parsed once so messages are the same everywhere.
using Recurrent.Nn;

namespace Recurrent.Cli.Commands;

/// <summary>Parses and prints cell names: rnn (tanh), rnn-relu, gru, lstm.</summary>
internal static class LessonCells
{
    public const string Valid = "rnn, rnn-relu, gru or lstm";

    /// <exception cref="UsageException">An unknown name; the message names the option.</exception>
    public static RecurrentMode Parse(string? name, string option = "--cell") => name?.Trim().ToLowerInvariant() switch
    {
        "rnn" or "rnn-tanh" or "tanh" => RecurrentMode.RnnTanh,
        "rnn-relu" or "relu" => RecurrentMode.RnnRelu,
        "gru" => RecurrentMode.Gru,
        "lstm" => RecurrentMode.Lstm,
        _ => throw new UsageException($"{option}: unknown cell '{name}' (expected {Valid})."),
    };

    public static string Name(RecurrentMode mode) => mode switch
    {
        RecurrentMode.RnnTanh => "rnn",
        RecurrentMode.RnnRelu => "rnn-relu",
        RecurrentMode.Gru => "gru",
        _ => "lstm",
    };
}
