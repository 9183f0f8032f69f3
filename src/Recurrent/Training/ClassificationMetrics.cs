// Accuracy, the confusion matrix and macro-F1 (the unweighted mean of per-class F1, so a rare class
// counts as much as a common one — accuracy alone hides a model that ignores the rare class).
namespace Recurrent.Training;

/// <summary>Metrics of a C-class classifier from true and predicted class indices.</summary>
public static class ClassificationMetrics
{
    /// <summary>Fraction of predictions equal to the truth; NaN when empty.</summary>
    public static double Accuracy(ReadOnlySpan<int> actual, ReadOnlySpan<int> predicted)
    {
        Check(actual, predicted);
        int hit = 0;
        for (int i = 0; i < actual.Length; i++) if (actual[i] == predicted[i]) hit++;
        return actual.Length == 0 ? double.NaN : (double)hit / actual.Length;
    }

    /// <summary>[C, C] counts: row = true class, column = predicted class.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A class index is outside [0, C).</exception>
    public static int[,] ConfusionMatrix(ReadOnlySpan<int> actual, ReadOnlySpan<int> predicted, int classes)
    {
        Check(actual, predicted);
        var m = new int[classes, classes];
        for (int i = 0; i < actual.Length; i++)
        {
            if ((uint)actual[i] >= (uint)classes || (uint)predicted[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(actual), $"class index {actual[i]}/{predicted[i]} outside [0, {classes}).");
            m[actual[i], predicted[i]]++;
        }
        return m;
    }

    /// <summary>Per-class F1 = 2·TP / (2·TP + FP + FN); NaN for a class that is neither present nor predicted.</summary>
    public static double[] PerClassF1(int[,] confusion)
    {
        int c = confusion.GetLength(0);
        var f1 = new double[c];
        for (int k = 0; k < c; k++)
        {
            long tp = confusion[k, k], fp = 0, fn = 0;
            for (int j = 0; j < c; j++)
            {
                if (j == k) continue;
                fp += confusion[j, k];
                fn += confusion[k, j];
            }
            f1[k] = tp + fp + fn == 0 ? double.NaN : 2.0 * tp / (2.0 * tp + fp + fn);
        }
        return f1;
    }

    /// <summary>Mean of per-class F1 over the classes that occur in the truth or the predictions.</summary>
    public static double MacroF1(int[,] confusion)
    {
        var f1 = PerClassF1(confusion).Where(double.IsFinite).ToArray();
        return f1.Length == 0 ? double.NaN : f1.Average();
    }

    /// <summary>Macro-F1 straight from labels.</summary>
    public static double MacroF1(ReadOnlySpan<int> actual, ReadOnlySpan<int> predicted, int classes)
        => MacroF1(ConfusionMatrix(actual, predicted, classes));

    private static void Check(ReadOnlySpan<int> a, ReadOnlySpan<int> p)
    {
        if (a.Length != p.Length) throw new ArgumentException($"classification metrics: {a.Length} labels but {p.Length} predictions.");
    }
}
