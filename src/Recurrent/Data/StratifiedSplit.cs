// Random train/validation/test split that keeps each class's share in every part, so a rare class
// is not missing from the test set by bad luck.
using Recurrent.Tensors;

namespace Recurrent.Data;

/// <summary>Row indices of the three parts of a stratified split.</summary>
public sealed record StratifiedSplit(int[] Train, int[] Validation, int[] Test)
{
    /// <summary>Splits rows by class: within each class, a seeded shuffle, then the first
    /// <paramref name="trainFraction"/> to train, the next <paramref name="valFraction"/> to validation, the rest to test
    /// (each class with at least 3 rows puts at least one row in every part). Parts come back sorted.</summary>
    /// <exception cref="ArgumentException">Fractions out of range.</exception>
    public static StratifiedSplit Create(ReadOnlySpan<int> labels, int classes, Rng rng, double trainFraction = 0.7, double valFraction = 0.15)
    {
        if (!(trainFraction > 0 && trainFraction < 1) || !(valFraction >= 0) || trainFraction + valFraction >= 1)
            throw new ArgumentException($"split fractions train={trainFraction}, validation={valFraction} must leave a test part.");
        var byClass = new List<int>[classes];
        for (int c = 0; c < classes; c++) byClass[c] = [];
        for (int i = 0; i < labels.Length; i++) byClass[labels[i]].Add(i);
        List<int> train = [], val = [], test = [];
        foreach (var rows in byClass)
        {
            var r = rows.ToArray();
            rng.Shuffle<int>(r);
            int n = r.Length;
            int nTest = Math.Max(n >= 3 ? 1 : 0, (int)Math.Round(n * (1 - trainFraction - valFraction)));
            int nVal = Math.Max(n >= 3 && valFraction > 0 ? 1 : 0, (int)Math.Round(n * valFraction));
            int nTrain = n - nTest - nVal;
            if (nTrain < 1 && n >= 1) { nTrain = 1; nTest = Math.Max(0, n - 1 - nVal); nVal = n - 1 - nTest; }
            train.AddRange(r[..nTrain]);
            val.AddRange(r[nTrain..(nTrain + nVal)]);
            test.AddRange(r[(nTrain + nVal)..]);
        }
        train.Sort(); val.Sort(); test.Sort();
        return new StratifiedSplit(train.ToArray(), val.ToArray(), test.ToArray());
    }
}

/// <summary>Per-class loss weights for imbalanced labels.</summary>
public static class ClassWeights
{
    /// <summary>"Balanced" weights <c>n / (C·n_c)</c> (scikit-learn's class_weight="balanced"): each class
    /// contributes equally to the loss. A class absent from <paramref name="labels"/> gets weight 0.</summary>
    public static double[] Balanced(ReadOnlySpan<int> labels, int classes)
    {
        var counts = new int[classes];
        foreach (int l in labels) counts[l]++;
        var w = new double[classes];
        for (int c = 0; c < classes; c++) w[c] = counts[c] == 0 ? 0 : (double)labels.Length / (classes * counts[c]);
        return w;
    }
}
