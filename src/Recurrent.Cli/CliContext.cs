// What every command needs from the outside world: where to write, whether stderr is a terminal,
// and the Ctrl-C token. Passed to each XCommand.Create so tests can capture output.
namespace Recurrent.Cli;

/// <summary>The streams and cancellation token of one CLI invocation.</summary>
/// <param name="Out">Results (JSON or text) go here (stdout).</param>
/// <param name="Error">Progress, warnings and errors go here (stderr).</param>
/// <param name="ErrorIsTerminal">Whether <paramref name="Error"/> is an interactive terminal
/// (live progress bar with <c>\r</c>) or a file/pipe (plain lines).</param>
/// <param name="Cancellation">Signalled on the first Ctrl-C. Long-running commands check it between
/// steps, save a checkpoint and return <see cref="ExitCodes.Cancelled"/> (or throw
/// <see cref="OperationCanceledException"/>, which the error handler maps to the same code).</param>
public sealed record CliContext(TextWriter Out, TextWriter Error, bool ErrorIsTerminal, CancellationToken Cancellation)
{
    /// <summary>A progress reporter on stderr; silent when <paramref name="quiet"/>.</summary>
    public ProgressReporter Progress(bool quiet) => new(Error, ErrorIsTerminal, quiet);
}
