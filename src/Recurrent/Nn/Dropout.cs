// PyTorch's nn.Dropout as a module: active in training mode, identity after Eval().
using System.Numerics;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>Inverted dropout with probability <see cref="P"/>; the mask stream comes from its own Rng.</summary>
public sealed class Dropout<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Rng _rng;

    /// <param name="p">Probability of zeroing an element, in [0, 1].</param>
    /// <param name="rng">Source of the masks (forked, so the caller's stream is consumed once).</param>
    /// <exception cref="ArgumentOutOfRangeException">p is outside [0, 1].</exception>
    public Dropout(double p, Rng rng)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: probability must be in [0, 1].");
        ArgumentNullException.ThrowIfNull(rng);
        P = p;
        _rng = rng.Fork();
    }

    /// <summary>The drop probability.</summary>
    public double P { get; }

    /// <summary>The mask generator (exposed so a checkpoint can save and restore its state).</summary>
    public Rng Rng => _rng;

    /// <summary>Dropout in training mode, identity in evaluation mode.</summary>
    public Tensor<T> Forward(Tensor<T> x) => Op.Dropout(x, P, _rng, Training);
}
