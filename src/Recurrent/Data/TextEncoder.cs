// Turns texts into token-id sequences for classification: the existing tokenizer, a vocabulary
// built from the training texts only (unseen words become <unk>), and <pad> reserved at index 1.
using System.Text.Json.Nodes;

namespace Recurrent.Data;

/// <summary>Tokenizer settings plus a vocabulary with <c>&lt;unk&gt;</c> = 0 and <c>&lt;pad&gt;</c> = 1.</summary>
public sealed class TextEncoder
{
    /// <summary>The padding token; its id is <see cref="PadId"/>.</summary>
    public const string PadToken = "<pad>";

    /// <summary>Wraps a vocabulary (which must have &lt;unk&gt; at 0 and &lt;pad&gt; at 1).</summary>
    /// <exception cref="ArgumentException">The vocabulary lacks &lt;unk&gt;/&lt;pad&gt; at 0/1.</exception>
    public TextEncoder(Vocabulary vocabulary, TextPrep prep, TokenLevel level, bool lowercase)
    {
        if (!vocabulary.HasUnknown || vocabulary.Count < 2 || vocabulary[1] != PadToken)
            throw new ArgumentException("TextEncoder: the vocabulary needs <unk> at 0 and <pad> at 1.");
        Vocabulary = vocabulary;
        Prep = prep;
        Level = level;
        Lowercase = lowercase;
    }

    /// <summary>The token ↔ id map.</summary>
    public Vocabulary Vocabulary { get; }
    /// <summary>Text cleaning.</summary>
    public TextPrep Prep { get; }
    /// <summary>Characters or words.</summary>
    public TokenLevel Level { get; }
    /// <summary>Whether text is lower-cased before tokenizing (raw preparation only; d2l always lower-cases).</summary>
    public bool Lowercase { get; }
    /// <summary>Id of &lt;pad&gt;.</summary>
    public int PadId => 1;

    /// <summary>The tokens of one text under these settings.</summary>
    public static List<string> Tokenize(string text, TextPrep prep, TokenLevel level, bool lowercase)
        => Tokenizer.Tokenize(lowercase ? text.ToLowerInvariant() : text, prep, level);

    /// <summary>Builds the vocabulary from the training texts only; tokens seen fewer than
    /// <paramref name="minFrequency"/> times in training map to &lt;unk&gt;.</summary>
    public static TextEncoder Fit(IEnumerable<string> trainingTexts, TextPrep prep, TokenLevel level, bool lowercase, int minFrequency = 1)
    {
        var tokens = trainingTexts.SelectMany(t => Tokenize(t, prep, level, lowercase));
        return new TextEncoder(new Vocabulary(tokens, minFrequency, reserved: [PadToken]), prep, level, lowercase);
    }

    /// <summary>The ids of a text, cut to the first <paramref name="maxLength"/> tokens when positive.</summary>
    /// <exception cref="InvalidDataException">The text is empty or has no tokens after preparation;
    /// <paramref name="where"/> names the row in the message.</exception>
    public int[] Encode(string text, string where, int maxLength = 0)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new InvalidDataException($"{where}: empty text.");
        var tokens = Tokenize(text, Prep, Level, Lowercase);
        if (tokens.Count == 0)
            throw new InvalidDataException($"{where}: the text '{Shorten(text)}' has no tokens after {Prep.ToString().ToLowerInvariant()} preparation.");
        if (maxLength > 0 && tokens.Count > maxLength) tokens.RemoveRange(maxLength, tokens.Count - maxLength);
        return Vocabulary.Encode(tokens);
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";

    /// <summary>The JSON form for the checkpoint config.</summary>
    public JsonObject ToJson() => new()
    {
        ["prep"] = Prep.ToString().ToLowerInvariant(),
        ["level"] = Level.ToString().ToLowerInvariant(),
        ["lowercase"] = Lowercase,
        ["tokens"] = new JsonArray(Vocabulary.Tokens.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
    };

    /// <summary>Reads the JSON form.</summary>
    /// <exception cref="InvalidDataException">Missing or malformed fields.</exception>
    public static TextEncoder FromJson(JsonNode? node)
    {
        try
        {
            var o = node as JsonObject ?? throw new InvalidDataException("config: 'text' must be an object.");
            var tokens = (o["tokens"] as JsonArray ?? throw new InvalidDataException("config: text.tokens is missing.")).Select(t => t!.GetValue<string>()).ToList();
            return new TextEncoder(new Vocabulary(tokens, hasUnknown: true),
                Tokenizer.ParsePrep((string?)o["prep"] ?? "raw"), Tokenizer.ParseLevel((string?)o["level"] ?? "word"), (bool?)o["lowercase"] ?? false);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or NullReferenceException)
        { throw new InvalidDataException($"config: the text vocabulary is malformed ({e.Message})."); }
    }
}

/// <summary>A padded batch of id sequences: Ids [B, T] (T = longest), per-row Lengths.</summary>
public sealed record PaddedBatch(int[] Ids, int[] Lengths, int BatchSize, int Steps)
{
    /// <summary>Pads <paramref name="sequences"/> to the longest with <paramref name="padId"/>.</summary>
    /// <exception cref="ArgumentException">A sequence is empty (a zero-length row has no last state).</exception>
    public static PaddedBatch Create(IReadOnlyList<int[]> sequences, int padId)
    {
        int b = sequences.Count, t = 0;
        foreach (var s in sequences)
        {
            if (s.Length == 0) throw new ArgumentException("PaddedBatch: empty sequence.");
            t = Math.Max(t, s.Length);
        }
        var ids = new int[b * t];
        Array.Fill(ids, padId);
        var lengths = new int[b];
        for (int i = 0; i < b; i++)
        {
            sequences[i].CopyTo(ids, i * t);
            lengths[i] = sequences[i].Length;
        }
        return new PaddedBatch(ids, lengths, b, t);
    }
}
