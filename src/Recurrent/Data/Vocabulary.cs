// Token ↔ index mapping: reserved tokens first, then tokens by descending frequency (ties by ordinal
// order, i.e. code point ascending for characters), optional <unk> and minimum frequency.
namespace Recurrent.Data;

/// <summary>A vocabulary like d2l's Vocab: <c>[&lt;unk&gt;?] + reserved + tokens by frequency</c>.</summary>
public sealed class Vocabulary
{
    /// <summary>The unknown token's text.</summary>
    public const string UnknownToken = "<unk>";

    private readonly List<string> _tokens;
    private readonly Dictionary<string, int> _index;

    /// <summary>Builds from a token sequence.</summary>
    /// <param name="tokens">the corpus tokens</param>
    /// <param name="minFrequency">tokens seen fewer times are left out (they map to &lt;unk&gt; when present)</param>
    /// <param name="reserved">tokens placed right after &lt;unk&gt; (e.g. &lt;pad&gt;, &lt;bos&gt;)</param>
    /// <param name="withUnknown">prepend &lt;unk&gt; at index 0</param>
    public Vocabulary(IEnumerable<string> tokens, int minFrequency = 0, IEnumerable<string>? reserved = null, bool withUnknown = true)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var t in tokens) counts[t] = counts.GetValueOrDefault(t) + 1;
        Counts = counts;
        _tokens = [];
        if (withUnknown) _tokens.Add(UnknownToken);
        foreach (var r in reserved ?? []) if (!_tokens.Contains(r)) _tokens.Add(r);
        var special = _tokens.ToHashSet(StringComparer.Ordinal);
        _tokens.AddRange(counts
            .Where(kv => kv.Value >= minFrequency && !special.Contains(kv.Key))
            .OrderByDescending(kv => kv.Value)
            .ThenBy(kv => kv.Key, CodePointComparer.Instance)
            .Select(kv => kv.Key));
        _index = BuildIndex(_tokens);
        HasUnknown = withUnknown;
    }

    /// <summary>Restores a vocabulary from its token list (as stored in a checkpoint).</summary>
    public Vocabulary(IReadOnlyList<string> idToToken, bool hasUnknown)
    {
        _tokens = idToToken.ToList();
        _index = BuildIndex(_tokens);
        if (hasUnknown && (_tokens.Count == 0 || _tokens[0] != UnknownToken))
            throw new InvalidDataException($"vocabulary: '{UnknownToken}' must be the first token.");
        HasUnknown = hasUnknown;
        Counts = new Dictionary<string, long>();
    }

    private static Dictionary<string, int> BuildIndex(List<string> tokens)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
            if (!index.TryAdd(tokens[i], i)) throw new InvalidDataException($"vocabulary: token '{tokens[i]}' appears twice.");
        return index;
    }

    /// <summary>Number of tokens (the one-hot / output size).</summary>
    public int Count => _tokens.Count;

    /// <summary>Whether index 0 is &lt;unk&gt; (unknown tokens map to it).</summary>
    public bool HasUnknown { get; }

    /// <summary>Token frequencies of the corpus the vocabulary was built from (empty when restored).</summary>
    public IReadOnlyDictionary<string, long> Counts { get; }

    /// <summary>Tokens in index order.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>The token at <paramref name="index"/>.</summary>
    public string this[int index] => _tokens[index];

    /// <summary>True when the token has its own index.</summary>
    public bool Contains(string token) => _index.ContainsKey(token);

    /// <summary>The index of a token; unknown tokens give &lt;unk&gt;'s index.</summary>
    /// <exception cref="KeyNotFoundException">The token is unknown and the vocabulary has no &lt;unk&gt;.</exception>
    public int IndexOf(string token)
    {
        if (_index.TryGetValue(token, out int i)) return i;
        if (HasUnknown) return 0;
        throw new KeyNotFoundException($"token '{Escape(token)}' is not in the vocabulary.");
    }

    /// <summary>Indices of a token sequence.</summary>
    public int[] Encode(IReadOnlyList<string> tokens)
    {
        var ids = new int[tokens.Count];
        for (int i = 0; i < ids.Length; i++) ids[i] = IndexOf(tokens[i]);
        return ids;
    }

    /// <summary>Tokens of an index sequence.</summary>
    public IEnumerable<string> Decode(IEnumerable<int> ids) => ids.Select(i => _tokens[i]);

    /// <summary>A printable form of a token (newlines and tabs escaped).</summary>
    public static string Escape(string token) => token.Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t");
}

/// <summary>Orders strings by Unicode code points (UTF-16 ordinal order differs above U+FFFF).</summary>
public sealed class CodePointComparer : IComparer<string>
{
    /// <summary>The shared instance.</summary>
    public static CodePointComparer Instance { get; } = new();

    /// <inheritdoc/>
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        var ex = x.EnumerateRunes(); var ey = y.EnumerateRunes();
        while (true)
        {
            bool hx = ex.MoveNext(), hy = ey.MoveNext();
            if (!hx || !hy) return hx == hy ? 0 : hx ? 1 : -1;
            int c = ex.Current.Value.CompareTo(ey.Current.Value);
            if (c != 0) return c;
        }
    }
}
