// The adding problem (Hochreiter & Schmidhuber 1997, in the form of Le et al. 2015 / Arjovsky et al. 2016):
// T random values with two of them marked; the answer is the sum of the two marked values. A model has
// to carry the first marked value across at least T/2 steps, which a vanilla RNN cannot learn.
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Data.Tasks;

/// <summary>One batch of the adding problem: inputs <c>X [B, T, 2]</c> (channel 0 the value in [0, 1),
/// channel 1 the marker 0/1) and targets <c>Y [B, 1]</c> = the sum of the two marked values.</summary>
public sealed record AddingBatch<T>(Tensor<T> X, Tensor<T> Y) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Number of sequences B.</summary>
    public int BatchSize => X.Dim(0);

    /// <summary>Sequence length T.</summary>
    public int Length => X.Dim(1);
}

/// <summary>Generates adding-problem batches from a seeded <see cref="Rng"/>.</summary>
public static class AddingProblem
{
    /// <summary>Input features per step: the value and the marker.</summary>
    public const int InputSize = 2;

    /// <summary>The error of always predicting 1 (the mean target): the variance of a sum of two
    /// independent U(0, 1) values, <c>2·(1/12) = 1/6 ≈ 0.167</c>.</summary>
    public const double BaselineMse = 1.0 / 6.0;

    /// <summary>The test MSE below which the task counts as solved (the usual threshold in the literature).</summary>
    public const double SolvedMse = 0.01;

    /// <summary>Draws <paramref name="batchSize"/> sequences of <paramref name="length"/> steps. The first marker
    /// is uniform in the first half <c>[0, ⌊T/2⌋)</c>, the second in the second half <c>[⌊T/2⌋, T)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is not positive or the length is below 2.</exception>
    public static AddingBatch<T> Generate<T>(int batchSize, int length, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "adding problem: the batch size must be at least 1.");
        if (length < 2) throw new ArgumentOutOfRangeException(nameof(length), length, "adding problem: the length must be at least 2 (two marked values).");
        var x = new Tensor<T>(batchSize, length, InputSize);             // [B, T, 2]
        var y = new Tensor<T>(batchSize, 1);                             // [B, 1]
        var xs = x.Data;
        int half = length / 2;
        for (int b = 0; b < batchSize; b++)
        {
            int row = b * length * InputSize;
            for (int t = 0; t < length; t++) xs[row + t * InputSize] = T.CreateChecked(rng.NextDouble());
            int first = rng.NextInt(half), second = rng.NextInt(half, length);
            xs[row + first * InputSize + 1] = T.One;
            xs[row + second * InputSize + 1] = T.One;
            y.Data[b] = xs[row + first * InputSize] + xs[row + second * InputSize];
        }
        return new AddingBatch<T>(x, y);
    }

    /// <summary>The MSE of always predicting <paramref name="constant"/> (1 gives the baseline) on the given targets.</summary>
    public static double ConstantPredictionMse<T>(Tensor<T> targets, double constant = 1.0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Length == 0) throw new ArgumentException("adding problem: no targets.", nameof(targets));
        double sum = 0;
        foreach (var v in targets.Data)
        {
            double d = double.CreateChecked(v) - constant;
            sum += d * d;
        }
        return sum / targets.Length;
    }
}
