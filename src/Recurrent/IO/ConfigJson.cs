// Typed, validated access to config.json fields: every problem becomes one InvalidDataException that
// names the file and the field, so task owners do not each write their own checks.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Recurrent.IO;

/// <summary>Reads fields of a JSON object (a parsed config.json) with clear errors naming
/// <c>source</c> (the file) and the field.</summary>
public static class ConfigJson
{
    /// <summary>Indented output, as written to config.json.</summary>
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Parses a JSON object from a file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a JSON object; the message names it (and line/column).</exception>
    public static JsonObject ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        var info = new FileInfo(path);
        if (info.Length > 64L << 20)
            throw new InvalidDataException($"{path}: {info.Length} bytes is far too large for a config file.");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses a JSON object from text; <paramref name="source"/> names it in errors.</summary>
    public static JsonObject Parse(string text, string source)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            string where = ex.LineNumber is long line ? $" at line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1}" : "";
            throw new InvalidDataException($"{source}: not valid JSON{where}.");
        }
        return node as JsonObject ?? throw new InvalidDataException($"{source}: expected a JSON object {{...}} at the top level.");
    }

    /// <summary>Writes <paramref name="config"/> indented, atomically.</summary>
    public static void WriteFile(string path, JsonObject config) => AtomicFile.WriteAllText(path, config.ToJsonString(Indented) + "\n");

    /// <summary>A required or defaulted integer field (JSON number without fraction).</summary>
    public static int GetInt(JsonObject o, string key, string source, int? defaultValue = null, int min = int.MinValue, int max = int.MaxValue)
    {
        var node = o[key];
        if (node is null)
            return defaultValue ?? throw Missing(key, source, "an integer");
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !TryGetInteger(v, out long value))
            throw Wrong(key, source, "an integer", node);
        if (value < min || value > max)
            throw new InvalidDataException($"{source}: field '{key}' = {value} is out of range (expected {Range(min, max)}).");
        return (int)value;
    }

    /// <summary>A required or defaulted number field.</summary>
    public static double GetDouble(JsonObject o, string key, string source, double? defaultValue = null, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        var node = o[key];
        if (node is null)
            return defaultValue ?? throw Missing(key, source, "a number");
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !TryGetNumber(v, out double value))
            throw Wrong(key, source, "a number", node);
        if (!(value >= min && value <= max))
            throw new InvalidDataException($"{source}: field '{key}' = {value} is out of range (expected {min} to {max}).");
        return value;
    }

    /// <summary>A required or defaulted boolean field.</summary>
    public static bool GetBool(JsonObject o, string key, string source, bool? defaultValue = null)
    {
        var node = o[key];
        if (node is null)
            return defaultValue ?? throw Missing(key, source, "true or false");
        if (node is not JsonValue v || v.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            throw Wrong(key, source, "true or false", node);
        return v.GetValue<bool>();
    }

    /// <summary>A required or defaulted string field.</summary>
    public static string GetString(JsonObject o, string key, string source, string? defaultValue = null)
    {
        var node = o[key];
        if (node is null)
            return defaultValue ?? throw Missing(key, source, "a string");
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            throw Wrong(key, source, "a string", node);
        return v.GetValue<string>();
    }

    /// <summary>A required nested object, or null when absent and not <paramref name="required"/>.</summary>
    public static JsonObject? GetObject(JsonObject o, string key, string source, bool required = true)
    {
        var node = o[key];
        if (node is null)
            return required ? throw Missing(key, source, "an object") : null;
        return node as JsonObject ?? throw Wrong(key, source, "an object", node);
    }

    // A JsonValue holds either parsed JSON or the CLR value it was built from (int, double, ...); its JSON
    // text is the one representation both share.
    private static bool TryGetNumber(JsonValue v, out double value) =>
        double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    private static bool TryGetInteger(JsonValue v, out long value)
    {
        if (long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out value)) return true;
        // 2.0 is accepted as 2 (some writers emit integers as floats); 2.5 is not.
        if (!TryGetNumber(v, out double d) || d != Math.Floor(d) || Math.Abs(d) > 9e15) return false;
        value = (long)d;
        return true;
    }

    private static string Range(int min, int max) =>
        max == int.MaxValue ? $"≥ {min}" : min == int.MinValue ? $"≤ {max}" : $"{min} to {max}";

    private static InvalidDataException Missing(string key, string source, string what) =>
        new($"{source}: missing field '{key}' ({what}).");

    private static InvalidDataException Wrong(string key, string source, string what, JsonNode node) =>
        new($"{source}: field '{key}' must be {what}, found {Shorten(node.ToJsonString())}.");

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";
}
