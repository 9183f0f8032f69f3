// The exception a command throws for a mistake the user can fix (bad file, bad value, bad combination).
namespace Recurrent.Cli;

/// <summary>A user error: the CLI prints <c>error: {Message}</c> as ONE line on stderr and exits with
/// <see cref="ExitCode"/> (1 by default). Never shown with a stack trace. Keep the message a single
/// sentence that names the file, line/column, option or field at fault.</summary>
public class UserErrorException : Exception
{
    /// <summary>The process exit code (1 = bad input/data, 2 = bad usage).</summary>
    public int ExitCode { get; }

    public UserErrorException(string message, int exitCode = ExitCodes.UserError) : base(message) => ExitCode = exitCode;

    public UserErrorException(string message, Exception inner, int exitCode = ExitCodes.UserError) : base(message, inner) => ExitCode = exitCode;
}

/// <summary>A bad combination of command-line arguments the parser could not catch: exit code 2.</summary>
public sealed class UsageException(string message) : UserErrorException(message, ExitCodes.Usage);

/// <summary>Process exit codes of the <c>recurrent</c> tool.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Bad input file or value (a user error).</summary>
    public const int UserError = 1;
    /// <summary>Bad command line (unknown option, missing argument, bad combination).</summary>
    public const int Usage = 2;
    /// <summary>An unexpected exception: a bug in Recurrent.</summary>
    public const int InternalError = 3;
    /// <summary>Interrupted by Ctrl-C (128 + SIGINT), after saving what could be saved.</summary>
    public const int Cancelled = 130;
}
