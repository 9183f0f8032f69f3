// System.CommandLine prints the executable's file name in the "Usage:" lines of the help ("Recurrent.Cli",
// or "testhost" under a test runner) and offers no public way to change it. The tool is called `recurrent`
// (its dotnet-tool command name), so the help text goes through this writer, which renames the program at
// the start of the usage lines and passes everything else through unchanged.
using System.CommandLine;
using System.Text;

namespace Recurrent.Cli;

/// <summary>A line-buffered <see cref="TextWriter"/> that rewrites "  &lt;executable&gt; …" at the start of a
/// line to "  recurrent …". Used only for the output System.CommandLine writes itself (help, version).</summary>
public sealed class ProgramNameWriter(TextWriter inner, string executableName) : TextWriter
{
    /// <summary>The name the help shows.</summary>
    public const string ProgramName = "recurrent";

    private readonly StringBuilder _line = new();

    /// <summary>Wraps <paramref name="inner"/> for the running executable's name.</summary>
    public ProgramNameWriter(TextWriter inner) : this(inner, RootCommand.ExecutableName) { }

    /// <inheritdoc/>
    public override Encoding Encoding => inner.Encoding;

    /// <inheritdoc/>
    public override void Write(char value)
    {
        if (value == '\n') { inner.Write(Rename(_line.ToString())); inner.Write('\n'); _line.Clear(); }
        else _line.Append(value);
    }

    /// <inheritdoc/>
    public override void Write(string? value)
    {
        if (value is null) return;
        foreach (char c in value) Write(c);
    }

    /// <inheritdoc/>
    public override void Flush()
    {
        if (_line.Length > 0) { inner.Write(Rename(_line.ToString())); _line.Clear(); }
        inner.Flush();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) Flush();
        base.Dispose(disposing);
    }

    private string Rename(string line)
    {
        string prefix = "  " + executableName;
        if (executableName.Length == 0 || !line.StartsWith(prefix, StringComparison.Ordinal)) return line;
        if (line.Length > prefix.Length && line[prefix.Length] != ' ') return line;   // another word that merely starts alike
        return "  " + ProgramName + line[prefix.Length..];
    }
}
