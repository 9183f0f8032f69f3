// Layer normalisation over the last dimension, PyTorch's nn.LayerNorm(D): parameters "weight" (ones) and "bias" (zeros).
using System.Numerics;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary><c>y = (x − μ)/√(σ² + eps)·weight + bias</c> over the last dimension of size D.</summary>
public sealed class LayerNorm<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <param name="normalizedShape">D, the size of the last dimension.</param>
    /// <param name="eps">Added to the variance (PyTorch's default 1e-5).</param>
    /// <param name="elementwiseAffine">Whether to learn weight (and bias).</param>
    /// <param name="bias">Whether to learn a bias when affine.</param>
    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(normalizedShape);
        NormalizedShape = normalizedShape;
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Tensor<T>.Full(T.One, normalizedShape));
            if (bias) Bias = RegisterParameter("bias", new Tensor<T>(normalizedShape));
        }
    }

    public int NormalizedShape { get; }
    public double Eps { get; }
    public Tensor<T>? Weight { get; }
    public Tensor<T>? Bias { get; }

    /// <summary>x [..., D] → [..., D].</summary>
    /// <exception cref="ArgumentException">The last dimension is not D.</exception>
    public Tensor<T> Forward(Tensor<T> x)
    {
        if (x.Rank == 0 || x.Dim(-1) != NormalizedShape)
            throw new ArgumentException($"LayerNorm: input {Tensor<T>.FormatShape(x.Shape)} does not end in {NormalizedShape}.");
        return Op.LayerNorm(x, Weight, Bias, Eps);
    }
}
