// A text file turned into tokens: strict UTF-8 reading, preprocessing and tokenization in one place,
// so `corpus`, `train lm` and tests all see the same token sequence for the same options.
namespace Recurrent.Data;

/// <summary>The token sequence of a text file under a given preprocessing and token level.</summary>
public sealed class TextCorpus
{
    private TextCorpus(string source, TextPrep prep, TokenLevel level, List<string> tokens, int characters)
    {
        Source = source;
        Prep = prep;
        Level = level;
        Tokens = tokens;
        Characters = characters;
    }

    /// <summary>The file name (or label) the text came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The preprocessing applied.</summary>
    public TextPrep Prep { get; }

    /// <summary>Characters or words.</summary>
    public TokenLevel Level { get; }

    /// <summary>The tokens in order.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Number of characters (code points) in the file, before preprocessing.</summary>
    public int Characters { get; }

    /// <summary>Reads and tokenizes a file.</summary>
    /// <param name="path">a UTF-8 text file</param>
    /// <param name="prep">d2l or raw</param>
    /// <param name="level">char or word</param>
    /// <param name="maxCharacters">keep only the first this many characters of the file before preprocessing
    /// (d2l's book experiments use the first 10,000); 0 = all</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, binary or invalid UTF-8, or has no tokens after preprocessing.</exception>
    public static TextCorpus Load(string path, TextPrep prep, TokenLevel level, int maxCharacters = 0)
        => FromText(TextFile.ReadUtf8(path), Path.GetFileName(path), prep, level, maxCharacters);

    /// <summary>Tokenizes text already in memory; <paramref name="source"/> names it in messages.</summary>
    public static TextCorpus FromText(string text, string source, TextPrep prep, TokenLevel level, int maxCharacters = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCharacters);
        if (maxCharacters > 0) text = FirstCodePoints(text, maxCharacters);
        var tokens = Tokenizer.Tokenize(text, prep, level);
        if (tokens.Count == 0)
            throw new InvalidDataException($"{source}: no {(level == TokenLevel.Char ? "characters" : "words")} left after --prep {prep.ToString().ToLowerInvariant()}" +
                (prep == TextPrep.D2l ? " (d2l keeps only the letters A–Z; try --prep raw)." : "."));
        int characters = 0;
        foreach (var _ in text.EnumerateRunes()) characters++;
        return new TextCorpus(source, prep, level, tokens, characters);
    }

    /// <summary>The vocabulary a language model uses for this corpus: tokens by descending frequency (ties by code
    /// point), with &lt;unk&gt; first for d2l text, word tokens or <paramref name="minFrequency"/> &gt; 1; raw
    /// characters get no &lt;unk&gt; (tiny Shakespeare: 65 tokens), as the torch_lm_quality protocol says.</summary>
    public Vocabulary BuildVocabulary(int minFrequency = 0)
    {
        bool withUnknown = Prep == TextPrep.D2l || Level == TokenLevel.Word || minFrequency > 1;
        return new Vocabulary(Tokens, minFrequency, withUnknown: withUnknown);
    }

    /// <summary>The first <paramref name="count"/> code points of <paramref name="text"/> (a surrogate pair is never split).</summary>
    public static string FirstCodePoints(string text, int count)
    {
        int units = 0, seen = 0;
        while (units < text.Length && seen < count)
        {
            units += char.IsHighSurrogate(text[units]) && units + 1 < text.Length && char.IsLowSurrogate(text[units + 1]) ? 2 : 1;
            seen++;
        }
        return text[..units];
    }
}
