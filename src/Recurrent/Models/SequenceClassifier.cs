// Embedding → (bi)recurrent stack with per-sample lengths → pooling → linear: the standard recurrent
// text classifier. Lengths make padded positions invisible: the recurrence stops at each sample's end
// and the pooling reads only valid steps.
using System.Numerics;
using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Models;

/// <summary><c>logits = head(pool(rnn(embedding(ids), lengths)))</c>. Parameters <c>embedding.weight</c> [V, E],
/// <c>rnn.*</c> (PyTorch names), <c>head.weight</c> [C, D·H], <c>head.bias</c> [C].</summary>
public sealed class SequenceClassifier<T> : TextClassifierModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A new classifier; <paramref name="padId"/> is the embedding's padding row; <paramref name="forgetBias"/>
    /// (LSTM only) is added to the forget-gate bias at initialisation (Keras' unit_forget_bias = 1).</summary>
    public SequenceClassifier(RecurrentMode mode, int vocabularySize, int embeddingDim, int hiddenSize, int classes, Rng rng,
        int numLayers = 1, bool bidirectional = false, Pooling pooling = Pooling.Last, double dropout = 0, int padId = 1, double forgetBias = 0)
        : base(vocabularySize, classes)
    {
        Embedding = RegisterModule("embedding", new Embedding<T>(vocabularySize, embeddingDim, rng, padId));
        Rnn = RegisterModule("rnn", new RecurrentStack<T>(mode, embeddingDim, hiddenSize, rng, numLayers, bidirectional, dropout, forgetBias: forgetBias));
        Head = RegisterModule("head", new Linear<T>(Rnn.OutputSize, classes, rng));
        Pooling = pooling;
    }

    /// <summary>Token vectors.</summary>
    public Embedding<T> Embedding { get; }
    /// <summary>The recurrent stack.</summary>
    public RecurrentStack<T> Rnn { get; }
    /// <summary>The output layer.</summary>
    public Linear<T> Head { get; }
    /// <summary>How outputs are pooled.</summary>
    public Pooling Pooling { get; }

    /// <inheritdoc/>
    public override Tensor<T> Forward(PaddedBatch batch)
    {
        int B = batch.BatchSize, T_ = batch.Steps;
        var x = Embedding.Forward(batch.Ids, [B, T_]);                     // [B, T, E]
        var r = Rnn.Forward(x, lengths: batch.Lengths);                    // Output [B, T, D·H], HN [L·D, B, H]
        Tensor<T> pooled = Pooling switch                                  // [B, D·H]
        {
            // The final states: forward = after step len−1, reverse = after step 0 (it starts at len−1).
            Pooling.Last when Rnn.Bidirectional => Op.ConcatLastDim(
                Op.SelectFirst(r.HN, 2 * (Rnn.NumLayers - 1)), Op.SelectFirst(r.HN, 2 * (Rnn.NumLayers - 1) + 1)),
            Pooling.Last => Op.SelectFirst(r.HN, Rnn.NumLayers - 1),
            Pooling.Mean => Op.MeanOverTime(r.Output, batch.Lengths),
            Pooling.Max => Op.MaxOverTime(r.Output, batch.Lengths),
            _ => throw new InvalidOperationException($"unknown pooling {Pooling}"),
        };
        return Head.Forward(pooled);                                       // [B, C]
    }

    /// <inheritdoc/>
    public override JsonObject ArchitectureJson() => new()
    {
        ["type"] = "rnn",
        ["embedding"] = new JsonObject { ["num_embeddings"] = Embedding.NumEmbeddings, ["embedding_dim"] = Embedding.Dim, ["padding_idx"] = Embedding.PaddingIdx },
        ["rnn"] = RecurrentJson.Describe(Rnn),
        ["pooling"] = Pooling.ToString().ToLowerInvariant(),
        ["head"] = new JsonObject { ["in_features"] = Head.InFeatures, ["out_features"] = Head.OutFeatures },
    };
}
