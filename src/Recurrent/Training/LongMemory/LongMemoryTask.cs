// The two long-memory benchmarks as one data source: sizes, batches (inputs + targets), baselines and
// the "solved" criterion, so the trainer and the gradient diagnostics treat them alike.
using System.Numerics;
using Recurrent.Data.Tasks;
using Recurrent.Tensors;

namespace Recurrent.Training.LongMemory;

/// <summary>Which long-memory task.</summary>
public enum LongMemoryTask
{
    /// <summary>The adding problem: regress the sum of two marked values (MSE).</summary>
    Adding,
    /// <summary>Copy-memory: reproduce 10 symbols after T blanks (cross-entropy per step).</summary>
    Copy,
}

/// <summary>One batch: inputs <c>X [B, S, I]</c> and either real targets <c>[B, 1]</c> (adding) or class ids
/// <c>[B·S]</c> (copy), where S is the sequence length (T for adding, T + 20 for copy).</summary>
public sealed record LongMemoryBatch<T>(Tensor<T> X, Tensor<T>? Values, int[]? Classes) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>B.</summary>
    public int BatchSize => X.Dim(0);
    /// <summary>S, the number of input steps.</summary>
    public int Steps => X.Dim(1);
}

/// <summary>Sizes, sampling and baselines of the tasks.</summary>
public static class LongMemoryTasks
{
    /// <summary>"adding" or "copy".</summary>
    public static string Name(this LongMemoryTask task) => task == LongMemoryTask.Adding ? "adding" : "copy";

    /// <summary>Parses "adding" / "copy".</summary>
    /// <exception cref="ArgumentException">Another name.</exception>
    public static LongMemoryTask Parse(string name) => name switch
    {
        "adding" => LongMemoryTask.Adding,
        "copy" => LongMemoryTask.Copy,
        _ => throw new ArgumentException($"unknown long-memory task '{name}' (expected adding or copy)."),
    };

    /// <summary>Features per input step.</summary>
    public static int InputSize(this LongMemoryTask task) => task == LongMemoryTask.Adding ? AddingProblem.InputSize : CopyMemory.Classes;

    /// <summary>Outputs of the head: 1 (adding) or 10 class logits per step (copy).</summary>
    public static int OutputSize(this LongMemoryTask task) => task == LongMemoryTask.Adding ? 1 : CopyMemory.Classes;

    /// <summary>The smallest valid length T: 2 (two marked values) or 1 (one blank before the delimiter).</summary>
    public static int MinLength(this LongMemoryTask task) => task == LongMemoryTask.Adding ? 2 : 1;

    /// <summary>Input steps of a sequence for length T: T (adding), T + 20 (copy).</summary>
    public static int SequenceLength(this LongMemoryTask task, int length) => task == LongMemoryTask.Adding ? length : CopyMemory.SequenceLength(length);

    /// <summary>The loss of the best memoryless predictor: 1/6 (adding, predicting 1) or 10·ln 8/(T + 20) (copy).</summary>
    public static double BaselineLoss(this LongMemoryTask task, int length) =>
        task == LongMemoryTask.Adding ? AddingProblem.BaselineMse : CopyMemory.BaselineCrossEntropy(length);

    /// <summary>Draws a batch of <paramref name="batchSize"/> sequences of length T = <paramref name="length"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The batch size or length is too small.</exception>
    public static LongMemoryBatch<T> Sample<T>(this LongMemoryTask task, int batchSize, int length, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (task == LongMemoryTask.Adding)
        {
            var a = AddingProblem.Generate<T>(batchSize, length, rng);
            return new LongMemoryBatch<T>(a.X, a.Y, null);
        }
        var c = CopyMemory.Generate(batchSize, length, rng);
        return new LongMemoryBatch<T>(CopyMemory.OneHotInputs<T>(c), null, c.Targets);
    }
}
