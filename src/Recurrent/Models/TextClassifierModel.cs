// The common face of the sequence classifiers: padded token ids with per-sample lengths in, class
// logits out. Dimension letters: B batch, T longest sequence, C classes.
using System.Numerics;
using System.Text.Json.Nodes;
using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Models;

/// <summary>A classifier of token sequences: <see cref="PaddedBatch"/> → logits [B, C]. Implementations look
/// only at each sample's first <c>Lengths[b]</c> tokens, so padding never changes a prediction.</summary>
public abstract class TextClassifierModel<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    protected TextClassifierModel(int vocabularySize, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        VocabularySize = vocabularySize;
        Classes = classes;
    }

    /// <summary>V: token ids are in 0..V−1.</summary>
    public int VocabularySize { get; }
    /// <summary>C: number of classes.</summary>
    public int Classes { get; }

    /// <summary>Logits [B, C] of a padded batch.</summary>
    public abstract Tensor<T> Forward(PaddedBatch batch);

    /// <summary>The architecture part of config.json.</summary>
    public abstract JsonObject ArchitectureJson();

    /// <summary>Class probabilities [B][C] (no graph, dropout off for the call).</summary>
    public double[][] PredictProbabilities(PaddedBatch batch)
    {
        bool wasTraining = Training;
        Eval();
        try
        {
            using var _ = GradMode.Disable();
            var p = Op.Softmax(Forward(batch)).Data;
            var result = new double[batch.BatchSize][];
            for (int b = 0; b < result.Length; b++)
            {
                result[b] = new double[Classes];
                for (int c = 0; c < Classes; c++) result[b][c] = double.CreateChecked(p[b * Classes + c]);
            }
            return result;
        }
        finally { Train(wasTraining); }
    }
}

/// <summary>How a recurrent classifier turns the per-step outputs into one vector per sample.</summary>
public enum Pooling
{
    /// <summary>The final hidden state (both directions' final states when bidirectional).</summary>
    Last,
    /// <summary>The mean of the outputs over the valid steps.</summary>
    Mean,
    /// <summary>The elementwise maximum of the outputs over the valid steps.</summary>
    Max,
}
