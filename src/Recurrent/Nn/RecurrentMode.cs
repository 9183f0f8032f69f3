// Which recurrent cell a layer runs, and the weights of one layer direction.
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>The cell of a recurrent layer: PyTorch's nn.RNN (tanh / relu), nn.LSTM, nn.GRU.</summary>
public enum RecurrentMode
{
    /// <summary>Elman RNN, <c>h = tanh(W_ih·x + b_ih + W_hh·h + b_hh)</c>.</summary>
    RnnTanh,
    /// <summary>Elman RNN with relu instead of tanh.</summary>
    RnnRelu,
    /// <summary>LSTM, gates i, f, g, o.</summary>
    Lstm,
    /// <summary>GRU, gates r, z, n.</summary>
    Gru,
}

/// <summary>Helpers on <see cref="RecurrentMode"/>.</summary>
public static class RecurrentModeExtensions
{
    /// <summary>Number of gate blocks of H rows in W_ih / W_hh: 4 (LSTM), 3 (GRU), 1 (RNN).</summary>
    public static int GateCount(this RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => 4,
        RecurrentMode.Gru => 3,
        RecurrentMode.RnnTanh or RecurrentMode.RnnRelu => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown recurrent mode"),
    };

    /// <summary>The PyTorch class name (used in error messages): RNN, LSTM, GRU.</summary>
    public static string DisplayName(this RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => "LSTM",
        RecurrentMode.Gru => "GRU",
        _ => "RNN",
    };
}

/// <summary>The parameters of one direction of one recurrent layer, in PyTorch's layout:
/// <c>W_ih</c> [G·H, I], <c>W_hh</c> [G·H, H], <c>b_ih</c>, <c>b_hh</c> [G·H] (G = gate count).</summary>
public sealed record RecurrentWeights<T>(Tensor<T> WeightIh, Tensor<T> WeightHh, Tensor<T>? BiasIh, Tensor<T>? BiasHh)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>The result of a recurrent stack or layer: outputs of the last layer, final hidden states
/// [L·D, B, H] and (LSTM only) final cell states.</summary>
public sealed record RecurrentResult<T>(Tensor<T> Output, Tensor<T> HN, Tensor<T>? CN)
    where T : unmanaged, IFloatingPointIeee754<T>;
