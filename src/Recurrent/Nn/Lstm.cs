// Convenience stacks with PyTorch's class names: nn.LSTM, nn.GRU, nn.RNN (batch_first=True).
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>PyTorch's nn.LSTM (batch-first): a <see cref="RecurrentStack{T}"/> of LSTM layers.</summary>
public sealed class Lstm<T> : RecurrentStack<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc cref="RecurrentStack{T}(RecurrentMode, int, int, Rng, int, bool, double, bool, double)"/>
    public Lstm(int inputSize, int hiddenSize, Rng rng, int numLayers = 1, bool bidirectional = false,
        double dropout = 0, bool bias = true, double forgetBias = 0)
        : base(RecurrentMode.Lstm, inputSize, hiddenSize, rng, numLayers, bidirectional, dropout, bias, forgetBias) { }
}

/// <summary>PyTorch's nn.GRU (batch-first): a <see cref="RecurrentStack{T}"/> of GRU layers.</summary>
public sealed class Gru<T> : RecurrentStack<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc cref="RecurrentStack{T}(RecurrentMode, int, int, Rng, int, bool, double, bool, double)"/>
    public Gru(int inputSize, int hiddenSize, Rng rng, int numLayers = 1, bool bidirectional = false,
        double dropout = 0, bool bias = true)
        : base(RecurrentMode.Gru, inputSize, hiddenSize, rng, numLayers, bidirectional, dropout, bias) { }
}

/// <summary>PyTorch's nn.RNN (batch-first): Elman layers with tanh (default) or relu.</summary>
public sealed class Rnn<T> : RecurrentStack<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the stack; <paramref name="nonlinearity"/> is "tanh" or "relu" as in PyTorch.</summary>
    /// <exception cref="ArgumentException">nonlinearity is neither "tanh" nor "relu".</exception>
    public Rnn(int inputSize, int hiddenSize, Rng rng, int numLayers = 1, bool bidirectional = false,
        double dropout = 0, bool bias = true, string nonlinearity = "tanh")
        : base(ParseNonlinearity(nonlinearity), inputSize, hiddenSize, rng, numLayers, bidirectional, dropout, bias) { }

    /// <summary>"tanh" → RnnTanh, "relu" → RnnRelu.</summary>
    public static RecurrentMode ParseNonlinearity(string nonlinearity) => nonlinearity switch
    {
        "tanh" => RecurrentMode.RnnTanh,
        "relu" => RecurrentMode.RnnRelu,
        _ => throw new ArgumentException($"RNN: nonlinearity '{nonlinearity}' is not 'tanh' or 'relu'."),
    };
}
