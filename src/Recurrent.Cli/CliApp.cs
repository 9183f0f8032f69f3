// Builds the command tree and runs it. Each verb lives in Commands/<Verb>Command.cs and is added here
// with ONE line; no math here, the library does the work.
using System.CommandLine;
using System.CommandLine.Parsing;
using System.CommandLine.Invocation;
using Recurrent.Cli.Commands;

namespace Recurrent.Cli;

/// <summary>The `recurrent` command tree and its conventions: results on stdout, progress and errors on
/// stderr, exit codes from <see cref="ExitCodes"/>.</summary>
public static class CliApp
{
    /// <summary>The command tree for one invocation.</summary>
    public static RootCommand Build(CliContext ctx)
    {
        var root = new RootCommand("Recurrent: recurrent neural networks (RNN, LSTM, GRU) in pure .NET.");
        root.Subcommands.Add(TrainCommand.Create(ctx));
        root.Subcommands.Add(CorpusCommand.Create(ctx));
        root.Subcommands.Add(GenerateCommand.Create(ctx));
        root.Subcommands.Add(RunCommand.Create(ctx));
        root.Subcommands.Add(BenchCommand.Create(ctx));
        root.Subcommands.Add(ForecastCommand.Create(ctx));
        root.Subcommands.Add(ClassifyCommand.Create(ctx));
        root.Subcommands.Add(DiagnoseCommand.Create(ctx));
        return root;
    }

    /// <summary>Entry point of the real process: console streams, Ctrl-C wired to the cancellation token.</summary>
    public static int Run(string[] args)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // First Ctrl-C: ask the command to stop cleanly (it saves a checkpoint and exits 130).
            // Second Ctrl-C: let the runtime kill the process.
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            cts.Cancel();
            Console.Error.WriteLine();
            Console.Error.WriteLine("interrupt: finishing the current step (Ctrl-C again to kill)...");
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return Run(args, Console.Out, Console.Error, !Console.IsErrorRedirected, cts.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            Console.Out.Flush();
        }
    }

    /// <summary>Runs the tool with the given streams (tests pass StringWriters).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
        => Run(args, stdout, stderr, errorIsTerminal: false, CancellationToken.None);

    /// <summary>Runs the tool with the given streams, terminal flag and cancellation token.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool errorIsTerminal, CancellationToken cancellation)
    {
        var ctx = new CliContext(stdout, stderr, errorIsTerminal, cancellation);
        return CliErrors.Run(stderr, () =>
        {
            var root = Build(ctx);
            var parse = root.Parse(args);
            if (parse.Action is ParseErrorAction)
                return ReportParseErrors(parse, stderr);
            using var helpOutput = new ProgramNameWriter(stdout);
            var config = new InvocationConfiguration
            {
                Output = helpOutput,                 // only help/version text goes here; commands write to ctx
                Error = stderr,
                // Exceptions reach CliErrors (one line, exit codes), and Ctrl-C is ours (see CliContext).
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            };
            return parse.Invoke(config);
        });
    }

    private static int ReportParseErrors(ParseResult parse, TextWriter stderr)
    {
        foreach (var error in parse.Errors.Select(e => CliErrors.ParseError(e.Message)).Distinct())
            stderr.WriteLine($"error: {error}");
        stderr.WriteLine($"see '{CommandPath(parse.CommandResult.Command)} --help' for usage.");
        return ExitCodes.Usage;
    }

    /// <summary>"recurrent train lm" for a subcommand.</summary>
    public static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Add(c is RootCommand ? "recurrent" : c.Name);
        names.Reverse();
        return string.Join(" ", names);
    }

    /// <summary>Writes the help of the command <paramref name="parse"/> resolved to (for verbs that print
    /// usage when called bare) to <paramref name="writer"/>.</summary>
    public static void WriteHelp(ParseResult parse, TextWriter writer)
    {
        var root = parse.RootCommandResult.Command;
        var path = new List<string>();
        for (var c = parse.CommandResult; c.Parent is CommandResult parent; c = parent) path.Add(c.Command.Name);
        path.Reverse();
        path.Add("--help");
        using var output = new ProgramNameWriter(writer);
        root.Parse(path).Invoke(new InvocationConfiguration { Output = output, Error = writer });
    }
}
