// A recurrent stack over the window and a linear head on the last hidden state: one-step (K = 1) or
// direct multi-output (K > 1) forecasts.
using System.Numerics;
using System.Text.Json.Nodes;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Models;

/// <summary><c>ŷ = head(h_W)</c> where <c>h_W</c> is the top layer's hidden state after the last window step.
/// Parameters: <c>rnn.*</c> (PyTorch names of nn.RNN/LSTM/GRU) and <c>head.weight</c> [K, H], <c>head.bias</c> [K].</summary>
public sealed class RecurrentForecaster<T> : ForecastModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A new forecaster with PyTorch-style initialisation from <paramref name="rng"/>
    /// (<paramref name="forgetBias"/>: LSTM only, added to the forget-gate bias, Keras' unit_forget_bias = 1).</summary>
    public RecurrentForecaster(RecurrentMode mode, int lookback, int features, int horizon, int hiddenSize, Rng rng,
        int numLayers = 1, double dropout = 0, double forgetBias = 0) : base(lookback, features, horizon)
    {
        Rnn = RegisterModule("rnn", new RecurrentStack<T>(mode, features, hiddenSize, rng, numLayers, bidirectional: false, dropout: dropout, forgetBias: forgetBias));
        Head = RegisterModule("head", new Linear<T>(hiddenSize, horizon, rng));
    }

    /// <summary>The recurrent stack (batch-first).</summary>
    public RecurrentStack<T> Rnn { get; }
    /// <summary>The output layer on the last hidden state.</summary>
    public Linear<T> Head { get; }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x)
    {
        var r = Rnn.Forward(x);                                          // Output [B, W, H]
        var last = Op.SelectFirst(r.HN, Rnn.NumLayers - 1);             // [B, H] top layer after step W
        return Head.Forward(last);                                       // [B, K]
    }

    /// <inheritdoc/>
    public override JsonObject ArchitectureJson() => new()
    {
        ["type"] = "rnn",
        ["rnn"] = RecurrentJson.Describe(Rnn),
        ["head"] = new JsonObject { ["in_features"] = Head.InFeatures, ["out_features"] = Head.OutFeatures },
    };
}
