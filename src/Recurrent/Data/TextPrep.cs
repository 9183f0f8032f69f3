// Text preprocessing and tokenization: d2l's (letters only, lower case) or raw (every code point kept).
using System.Text;

namespace Recurrent.Data;

/// <summary>How text is cleaned before tokenization.</summary>
public enum TextPrep
{
    /// <summary>d2l: per line, every run of non-letters becomes one space, stripped, lower-cased; lines glued without separator.</summary>
    D2l,
    /// <summary>Every Unicode code point kept exactly, newlines included.</summary>
    Raw,
}

/// <summary>Token granularity.</summary>
public enum TokenLevel { Char, Word }

/// <summary>Preprocessing and tokenization (d2l's read_time_machine + tokenize).</summary>
public static class Tokenizer
{
    /// <summary>Parses "d2l"/"raw".</summary>
    public static TextPrep ParsePrep(string value) => value.ToLowerInvariant() switch
    {
        "d2l" => TextPrep.D2l,
        "raw" => TextPrep.Raw,
        _ => throw new ArgumentException($"unknown preprocessing '{value}' (expected d2l or raw)."),
    };

    /// <summary>Parses "char"/"word".</summary>
    public static TokenLevel ParseLevel(string value) => value.ToLowerInvariant() switch
    {
        "char" => TokenLevel.Char,
        "word" => TokenLevel.Word,
        _ => throw new ArgumentException($"unknown token level '{value}' (expected char or word)."),
    };

    /// <summary>Splits at universal newlines (\r\n, \r, \n), like Python's readlines.</summary>
    public static string[] SplitLines(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');

    /// <summary>d2l line cleaning: runs of [^A-Za-z] → one space, trimmed, ASCII lower case.</summary>
    public static string CleanD2lLine(string line)
    {
        var sb = new StringBuilder(line.Length);
        bool inRun = false;
        foreach (char ch in line)
        {
            bool letter = ch is >= 'A' and <= 'Z' or >= 'a' and <= 'z';
            if (letter)
            {
                sb.Append(ch is >= 'A' and <= 'Z' ? (char)(ch + 32) : ch);
                inRun = false;
            }
            else if (!inRun)
            {
                sb.Append(' ');
                inRun = true;
            }
        }
        return sb.ToString().Trim(' ');
    }

    /// <summary>The token sequence of a text: characters (code points, as strings) or words.</summary>
    public static List<string> Tokenize(string text, TextPrep prep, TokenLevel level)
    {
        var tokens = new List<string>();
        if (prep == TextPrep.D2l)
        {
            foreach (var raw in SplitLines(text))
            {
                string line = CleanD2lLine(raw);
                if (level == TokenLevel.Char) foreach (char ch in line) tokens.Add(ch.ToString());
                else tokens.AddRange(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
            return tokens;
        }
        if (level == TokenLevel.Char)
        {
            foreach (var rune in text.EnumerateRunes()) tokens.Add(rune.ToString());
            return tokens;
        }
        // Raw words: split on whitespace, keep punctuation attached (the user asked for raw text).
        foreach (var line in SplitLines(text))
            tokens.AddRange(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return tokens;
    }

    /// <summary>Joins tokens back to text: characters directly, words with spaces.</summary>
    public static string Detokenize(IEnumerable<string> tokens, TokenLevel level)
        => level == TokenLevel.Char ? string.Concat(tokens) : string.Join(' ', tokens);
}
