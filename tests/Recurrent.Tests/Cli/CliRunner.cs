// Runs the `recurrent` tool in-process with captured stdout/stderr, for end-to-end tests.
using Recurrent.Cli;

namespace Recurrent.Tests.Cli;

/// <summary>Exit code and captured output of one CLI invocation.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

public static class CliRunner
{
    /// <summary>Runs <c>recurrent args...</c> with StringWriters.</summary>
    public static CliResult Run(params string[] args) => Run(CancellationToken.None, args);

    /// <summary>Runs with a cancellation token (pass a cancelled one to simulate Ctrl-C).</summary>
    public static CliResult Run(CancellationToken cancellation, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr, errorIsTerminal: false, cancellation);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Asserts success (exit 0) and returns the result.</summary>
    public static CliResult AssertOk(this CliResult r)
    {
        Assert.True(r.ExitCode == 0, $"expected exit 0\n{r}");
        return r;
    }

    /// <summary>Asserts a user error: exit <paramref name="exitCode"/>, exactly one stderr line starting with
    /// "error:" that contains every fragment (case-insensitive), no stack trace, nothing on stdout.</summary>
    public static CliResult AssertUserError(this CliResult r, int exitCode = 1, params string[] fragments)
    {
        Assert.True(r.ExitCode == exitCode, $"expected exit {exitCode}\n{r}");
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected exactly one line on stderr\n{r}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.DoesNotContain("Exception", r.Stderr);
        foreach (var f in fragments)
            Assert.True(lines[0].Contains(f, StringComparison.OrdinalIgnoreCase), $"stderr should mention '{f}'\n{r}");
        Assert.Equal("", r.Stdout);
        return r;
    }
}
