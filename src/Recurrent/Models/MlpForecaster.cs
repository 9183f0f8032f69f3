// The book's baseline (d2l "Sequence Models"): an MLP on the last W lagged values,
// nn.Sequential(nn.Linear(W·F, 10), nn.ReLU(), nn.Linear(10, K)).
using System.Numerics;
using System.Text.Json.Nodes;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Models;

/// <summary><c>ŷ = W₂·relu(W₁·vec(x) + b₁) + b₂</c> on the flattened window; parameter names
/// <c>net.0.*</c> and <c>net.2.*</c> as in the PyTorch nn.Sequential.</summary>
public sealed class MlpForecaster<T> : ForecastModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A new MLP with PyTorch-style initialisation.</summary>
    public MlpForecaster(int lookback, int features, int horizon, int hiddenSize, Rng rng) : base(lookback, features, horizon)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        Hidden = RegisterModule("net.0", new Linear<T>(lookback * features, hiddenSize, rng));
        Output = RegisterModule("net.2", new Linear<T>(hiddenSize, horizon, rng));
    }

    /// <summary>The hidden layer.</summary>
    public Linear<T> Hidden { get; }
    /// <summary>The output layer.</summary>
    public Linear<T> Output { get; }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x)
    {
        var flat = Op.Reshape(x, x.Dim(0), Lookback * Features);         // [B, W·F]
        return Output.Forward(Op.Relu(Hidden.Forward(flat)));           // [B, K]
    }

    /// <inheritdoc/>
    public override JsonObject ArchitectureJson() => new()
    {
        ["type"] = "mlp",
        ["mlp"] = new JsonObject { ["in_features"] = Hidden.InFeatures, ["hidden_size"] = Hidden.OutFeatures, ["out_features"] = Output.OutFeatures },
    };
}
