// Small writers for the lessons' run directories: JSON (non-finite numbers become null, since JSON has
// no NaN) and CSV with invariant-culture numbers. Every file is written to a temporary name and renamed.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Recurrent.IO;

namespace Recurrent.Cli.Commands;

internal static class LessonFiles
{
    /// <summary>Creates <paramref name="dir"/> or explains in one line why it cannot be used.</summary>
    /// <exception cref="UserErrorException">The path is a file or cannot be created.</exception>
    public static string PrepareOut(string dir)
    {
        if (string.IsNullOrWhiteSpace(dir)) throw new UsageException("--out: an output directory is required.");
        if (File.Exists(dir)) throw new UserErrorException($"--out: '{dir}' is a file, not a directory.");
        try { Directory.CreateDirectory(dir); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException($"--out: cannot create directory '{dir}': {ex.Message}");
        }
        return dir;
    }

    public static void WriteJson(string path, IReadOnlyDictionary<string, object?> values) => AtomicFile.WriteAllText(path, ToJson(values) + "\n");

    /// <summary>Indented JSON of a dictionary whose values are numbers, strings, bools, null, nested dictionaries or lists.</summary>
    public static string ToJson(IReadOnlyDictionary<string, object?> values)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            WriteValue(w, values);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteValue(Utf8JsonWriter w, object? v)
    {
        switch (v)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case int i: w.WriteNumberValue(i); break;
            case long l: w.WriteNumberValue(l); break;
            case ulong u: w.WriteNumberValue(u); break;
            case float f: WriteDouble(w, f); break;
            case double d: WriteDouble(w, d); break;
            case IReadOnlyDictionary<string, object?> dict:
                w.WriteStartObject();
                foreach (var (k, x) in dict) { w.WritePropertyName(k); WriteValue(w, x); }
                w.WriteEndObject();
                break;
            case System.Collections.IEnumerable list:
                w.WriteStartArray();
                foreach (var x in list) WriteValue(w, x);
                w.WriteEndArray();
                break;
            default: throw new ArgumentException($"cannot write a {v.GetType().Name} as JSON.");
        }
    }

    private static void WriteDouble(Utf8JsonWriter w, double d)
    {
        if (double.IsFinite(d)) w.WriteNumberValue(d);
        else w.WriteNullValue();
    }

    /// <summary>Writes a CSV with a header row; cells are formatted with <see cref="Cell"/>.</summary>
    public static void WriteCsv(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', header).Append('\n');
        foreach (var row in rows) sb.AppendJoin(',', row.Select(Cell)).Append('\n');
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>Invariant, round-trippable numbers; empty for null; "nan"/"inf" for non-finite values.</summary>
    public static string Cell(object? v) => v switch
    {
        null => "",
        double d => double.IsNaN(d) ? "nan" : double.IsInfinity(d) ? (d > 0 ? "inf" : "-inf") : d.ToString("R", CultureInfo.InvariantCulture),
        float f => Cell((double)f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString()!.Contains(',') ? $"\"{v.ToString()!.Replace("\"", "\"\"")}\"" : v.ToString()!,
    };

    /// <summary>A number for messages and tables: 4 significant digits, "nan" when not a number.</summary>
    public static string Short(double d) => double.IsNaN(d) ? "nan" : d.ToString("G4", CultureInfo.InvariantCulture);
}
