// The one place that turns exceptions into exit codes and one-line messages on stderr.
namespace Recurrent.Cli;

/// <summary>Central error handling: user errors (bad files, bad values) become one line
/// <c>error: ...</c> and exit 1; anything else is a bug: one line, a hint, exit 3, and the stack trace
/// only when the environment variable <c>RECURRENT_DEBUG=1</c>.</summary>
public static class CliErrors
{
    /// <summary>True when <c>RECURRENT_DEBUG</c> is set to 1/true: bugs are printed with stack traces.</summary>
    public static bool DebugFromEnvironment =>
        Environment.GetEnvironmentVariable("RECURRENT_DEBUG") is "1" or "true" or "TRUE" or "True";

    /// <summary>Runs <paramref name="body"/> and maps its exceptions to exit codes, writing to <paramref name="stderr"/>.</summary>
    public static int Run(TextWriter stderr, Func<int> body, bool? debug = null)
    {
        try
        {
            return body();
        }
        catch (Exception ex)
        {
            return Report(stderr, ex, debug ?? DebugFromEnvironment);
        }
    }

    /// <summary>Writes the message for <paramref name="ex"/> and returns its exit code.</summary>
    public static int Report(TextWriter stderr, Exception ex, bool debug)
    {
        if (ex is System.Reflection.TargetInvocationException { InnerException: { } inner }) ex = inner;
        if (ex is AggregateException { InnerExceptions.Count: 1 } agg) ex = agg.InnerExceptions[0];

        switch (ex)
        {
            case UserErrorException user:
                stderr.WriteLine($"error: {OneLine(user.Message)}");
                if (debug) stderr.WriteLine(ex);
                return user.ExitCode;
            case OperationCanceledException:
                stderr.WriteLine("interrupted.");
                return ExitCodes.Cancelled;
            // Errors reading or writing user files: the message names the file.
            case InvalidDataException or FileNotFoundException or DirectoryNotFoundException
                or PathTooLongException or UnauthorizedAccessException or IOException:
                stderr.WriteLine($"error: {OneLine(ex.Message)}");
                if (debug) stderr.WriteLine(ex);
                return ExitCodes.UserError;
            default:
                stderr.WriteLine($"error: internal error ({ex.GetType().Name}): {OneLine(ex.Message)}");
                if (debug) stderr.WriteLine(ex);
                else stderr.WriteLine("set RECURRENT_DEBUG=1 for the stack trace");
                return ExitCodes.InternalError;
        }
    }

    /// <summary>Collapses a multi-line message to one line.</summary>
    public static string OneLine(string message)
    {
        var parts = message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" ", parts);
    }

    /// <summary>A System.CommandLine parse error in the user's words: "Cannot parse argument '3000000000' for option
    /// '--length' as expected type 'System.Nullable`1[System.Int32]'" names the type as "a whole number from
    /// -2147483648 to 2147483647" rather than as a .NET type.</summary>
    public static string ParseError(string message)
    {
        string line = OneLine(message);
        return System.Text.RegularExpressions.Regex.Replace(line,
            @"as expected type '(?:System\.Nullable`1\[)?System\.(\w+)\]?'",
            m => m.Groups[1].Value switch
            {
                "Int32" => "as a whole number from -2147483648 to 2147483647",
                "Int64" => "as a whole number from -9223372036854775808 to 9223372036854775807",
                "UInt64" => "as a whole number from 0 to 18446744073709551615",
                "Double" or "Single" => "as a number",
                "Boolean" => "as true or false",
                _ => m.Value,
            });
    }
}
