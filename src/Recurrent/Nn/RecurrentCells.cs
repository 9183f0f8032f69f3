// Single-step cells with PyTorch's names (nn.RNNCell, nn.LSTMCell, nn.GRUCell): parameters weight_ih
// [G·H, I], weight_hh [G·H, H], bias_ih, bias_hh [G·H], initialised U(−1/√H, 1/√H). Each Forward is one
// autograd op (Op.RecurrentCell) running the same fused kernels as the layers.
using System.Numerics;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>Shared parameters of the three cells.</summary>
public abstract class RecurrentCellBase<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private protected RecurrentCellBase(RecurrentMode mode, int inputSize, int hiddenSize, Rng rng, bool bias)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        Mode = mode; InputSize = inputSize; HiddenSize = hiddenSize;
        int G = mode.GateCount() * hiddenSize;
        T bound = T.One / T.Sqrt(T.CreateChecked(hiddenSize));
        var wIh = RegisterParameter("weight_ih", Tensor<T>.Uniform(rng, -bound, bound, G, inputSize));
        var wHh = RegisterParameter("weight_hh", Tensor<T>.Uniform(rng, -bound, bound, G, hiddenSize));
        Tensor<T>? bIh = null, bHh = null;
        if (bias)
        {
            bIh = RegisterParameter("bias_ih", Tensor<T>.Uniform(rng, -bound, bound, G));
            bHh = RegisterParameter("bias_hh", Tensor<T>.Uniform(rng, -bound, bound, G));
        }
        Weights = new RecurrentWeights<T>(wIh, wHh, bIh, bHh);
    }

    /// <summary>The cell.</summary>
    public RecurrentMode Mode { get; }
    /// <summary>I.</summary>
    public int InputSize { get; }
    /// <summary>H.</summary>
    public int HiddenSize { get; }
    /// <summary>The parameters.</summary>
    public RecurrentWeights<T> Weights { get; }
}

/// <summary>PyTorch's nn.RNNCell: <c>h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)</c> (or relu).</summary>
public sealed class RnnCell<T> : RecurrentCellBase<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the cell; <paramref name="nonlinearity"/> is "tanh" or "relu".</summary>
    public RnnCell(int inputSize, int hiddenSize, Rng rng, bool bias = true, string nonlinearity = "tanh")
        : base(Rnn<T>.ParseNonlinearity(nonlinearity), inputSize, hiddenSize, rng, bias) { }

    /// <summary>x [B, I], h [B, H] (null = zeros) → h' [B, H].</summary>
    public Tensor<T> Forward(Tensor<T> x, Tensor<T>? h = null) => Op.RecurrentCell(Mode, x, Weights, h).H;
}

/// <summary>PyTorch's nn.LSTMCell (gates i, f, g, o).</summary>
public sealed class LstmCell<T> : RecurrentCellBase<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the cell.</summary>
    public LstmCell(int inputSize, int hiddenSize, Rng rng, bool bias = true)
        : base(RecurrentMode.Lstm, inputSize, hiddenSize, rng, bias) { }

    /// <summary>x [B, I], h, c [B, H] (null = zeros) → (h', c') [B, H].</summary>
    public (Tensor<T> H, Tensor<T> C) Forward(Tensor<T> x, Tensor<T>? h = null, Tensor<T>? c = null)
    {
        var (hOut, cOut) = Op.RecurrentCell(Mode, x, Weights, h, c);
        return (hOut, cOut!);
    }
}

/// <summary>PyTorch's nn.GRUCell (gates r, z, n; <c>n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn))</c>).</summary>
public sealed class GruCell<T> : RecurrentCellBase<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the cell.</summary>
    public GruCell(int inputSize, int hiddenSize, Rng rng, bool bias = true)
        : base(RecurrentMode.Gru, inputSize, hiddenSize, rng, bias) { }

    /// <summary>x [B, I], h [B, H] (null = zeros) → h' [B, H].</summary>
    public Tensor<T> Forward(Tensor<T> x, Tensor<T>? h = null) => Op.RecurrentCell(Mode, x, Weights, h).H;
}
