// Corpus statistics of the book's language-model section: unigram, bigram and trigram frequencies.
namespace Recurrent.Data;

/// <summary>Counts of n-grams (n = 1..3) over a token sequence.</summary>
public static class NGramStatistics
{
    /// <summary>The most frequent n-grams, by count descending then ordinal order; tokens joined by a tab internally.</summary>
    public static List<(string[] Gram, long Count)> MostFrequent(IReadOnlyList<string> tokens, int n, int top)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        return Counts(tokens, n)
            .OrderByDescending(kv => kv.Value)
            .ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(top)
            .Select(kv => (kv.Key.Split('\u0001'), kv.Value))
            .ToList();
    }

    /// <summary>All n-gram counts (keys are the tokens joined with U+0001).</summary>
    public static Dictionary<string, long> Counts(IReadOnlyList<string> tokens, int n)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i + n <= tokens.Count; i++)
        {
            string key = n == 1 ? tokens[i] : string.Join('\u0001', Enumerable.Range(i, n).Select(j => tokens[j]));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts;
    }

    /// <summary>Frequencies sorted descending (for a Zipf plot: rank r ↦ frequency).</summary>
    public static long[] RankedFrequencies(IReadOnlyList<string> tokens, int n)
        => Counts(tokens, n).Values.OrderByDescending(v => v).ToArray();
}
