// The built-in classification task that needs order and memory. Every text has exactly one sentiment
// word and exactly one negation word among random filler. The label is the sentiment word's polarity,
// flipped when the negation comes BEFORE it (2–6 tokens earlier); a negation AFTER it is a distractor
// that changes nothing. Both placements are equally likely and independent of the polarity, so the
// bag of words (which words, how often) carries no information about the label: a bag-of-words model
// stays at chance, while a recurrent model that remembers "a negation was seen" solves it.
using Recurrent.Tensors;

namespace Recurrent.Data;

/// <summary>Generator of the negation-scope sentiment task (labels "negative"/"positive").</summary>
public static class NegationTask
{
    /// <summary>Words that carry polarity.</summary>
    public static readonly string[] Positive = ["good", "great", "excellent", "wonderful", "superb", "delightful", "brilliant", "enjoyable"];
    /// <summary>Words that carry polarity.</summary>
    public static readonly string[] Negative = ["bad", "awful", "terrible", "boring", "dreadful", "poor", "dull", "horrible"];
    /// <summary>Negation words.</summary>
    public static readonly string[] Negations = ["not", "never", "hardly"];
    /// <summary>Neutral filler words.</summary>
    public static readonly string[] Fillers =
        ["the", "movie", "film", "plot", "was", "really", "acting", "story", "quite", "very", "and", "a", "with", "cast",
         "ending", "music", "director", "scenes", "overall", "i", "found", "it", "this", "honestly", "script", "at", "times", "so"];

    /// <summary>Nearest and farthest distance (in tokens) of a preceding negation from the sentiment word.</summary>
    public const int MinGap = 2, MaxGap = 6;

    /// <summary><paramref name="count"/> texts (words separated by single spaces) and their labels, fixed by the seed.</summary>
    public static (string[] Texts, string[] Labels) Generate(ulong seed, int count, int minLength = 10, int maxLength = 24)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (minLength < MaxGap + 2 || maxLength < minLength) throw new ArgumentException($"NegationTask: lengths [{minLength}, {maxLength}] must be at least {MaxGap + 2}.");
        var rng = new Rng(seed);
        var texts = new string[count];
        var labels = new string[count];
        for (int n = 0; n < count; n++)
        {
            int length = rng.NextInt(minLength, maxLength + 1);
            var words = new string[length];
            for (int i = 0; i < length; i++) words[i] = Fillers[rng.NextInt(Fillers.Length)];
            bool positive = rng.NextInt(2) == 1;
            bool before = rng.NextInt(2) == 1;
            int gap = rng.NextInt(MinGap, MaxGap + 1);
            // Sentiment position p so that the negation at p − gap (before) or p + gap (after) fits.
            int p = before ? rng.NextInt(gap, length) : rng.NextInt(0, length - gap);
            words[p] = positive ? Positive[rng.NextInt(Positive.Length)] : Negative[rng.NextInt(Negative.Length)];
            words[before ? p - gap : p + gap] = Negations[rng.NextInt(Negations.Length)];
            texts[n] = string.Join(' ', words);
            labels[n] = positive ^ before ? "positive" : "negative";
        }
        return (texts, labels);
    }
}
