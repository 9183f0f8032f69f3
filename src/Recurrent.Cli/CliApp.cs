// Builds the command tree. Each verb lives in Commands/; no math here, the library does the work.
using System.CommandLine;

namespace Recurrent.Cli;

/// <summary>The `recurrent` command tree.</summary>
public static class CliApp
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("Recurrent: recurrent neural networks (RNN, LSTM, GRU) in pure .NET.");
        return root.Parse(args).Invoke();
    }
}
