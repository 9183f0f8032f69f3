// The baseline that ignores order: multinomial logistic regression on the token frequencies of a text.
// If it does as well as the recurrent model, the task did not need a recurrent model.
using System.Numerics;
using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Models;

/// <summary><c>logits = W·f + b</c> where <c>f[v]</c> is the fraction of the sample's valid tokens equal to v
/// (&lt;pad&gt; never counts). Parameters <c>linear.weight</c> [C, V], <c>linear.bias</c> [C].</summary>
public sealed class BagOfWordsClassifier<T> : TextClassifierModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A new model with PyTorch-style initialisation.</summary>
    public BagOfWordsClassifier(int vocabularySize, int classes, Rng rng, int padId = 1) : base(vocabularySize, classes)
    {
        Linear = RegisterModule("linear", new Linear<T>(vocabularySize, classes, rng));
        PadId = padId;
    }

    /// <summary>The logistic-regression layer.</summary>
    public Linear<T> Linear { get; }
    /// <summary>The id that is never counted.</summary>
    public int PadId { get; }

    /// <summary>Token frequencies [B, V] of the valid part of each sample (input data, not differentiated).</summary>
    public Tensor<T> Frequencies(PaddedBatch batch)
    {
        int B = batch.BatchSize, T_ = batch.Steps, V = VocabularySize;
        var f = new Tensor<T>(B, V);                                       // [B, V]
        for (int b = 0; b < B; b++)
        {
            int len = batch.Lengths[b];
            if (len < 1 || len > T_) throw new ArgumentException($"BagOfWords: length {len} of sample {b} is outside 1..{T_}.");
            T w = T.One / T.CreateChecked(len);
            for (int t = 0; t < len; t++)
            {
                int id = batch.Ids[b * T_ + t];
                if ((uint)id >= (uint)V) throw new ArgumentException($"BagOfWords: token id {id} is outside 0..{V - 1}.");
                if (id != PadId) f.Data[b * V + id] += w;
            }
        }
        return f;
    }

    /// <inheritdoc/>
    public override Tensor<T> Forward(PaddedBatch batch) => Linear.Forward(Frequencies(batch));   // [B, C]

    /// <inheritdoc/>
    public override JsonObject ArchitectureJson() => new()
    {
        ["type"] = "bow",
        ["linear"] = new JsonObject { ["in_features"] = Linear.InFeatures, ["out_features"] = Linear.OutFeatures },
    };
}
