// A lookup table of token vectors, PyTorch's nn.Embedding: parameter "weight" [V, D], initialised N(0, 1).
using System.Numerics;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>Maps token ids to rows of <c>weight</c> [numEmbeddings, dim]. With a padding index, that row starts at
/// zero and never receives gradient (PyTorch's padding_idx; a negative index counts from the end).</summary>
public sealed class Embedding<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <exception cref="ArgumentException">A size is not positive, or paddingIdx is outside −V..V−1.</exception>
    public Embedding(int numEmbeddings, int dim, Rng rng, int? paddingIdx = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numEmbeddings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        if (paddingIdx is int p)
        {
            if (p < -numEmbeddings || p >= numEmbeddings)
                throw new ArgumentException($"Embedding: padding index {p} is outside {-numEmbeddings}..{numEmbeddings - 1}.");
            PaddingIdx = p < 0 ? p + numEmbeddings : p;
        }
        NumEmbeddings = numEmbeddings;
        Dim = dim;
        Weight = RegisterParameter("weight", Tensor<T>.Normal(rng, T.Zero, T.One, numEmbeddings, dim));
        if (PaddingIdx is int pad) Weight.Data.Slice(pad * dim, dim).Clear();
    }

    public int NumEmbeddings { get; }
    public int Dim { get; }
    /// <summary>The padding row (non-negative), or null.</summary>
    public int? PaddingIdx { get; }
    public Tensor<T> Weight { get; }

    /// <summary>ids of shape <paramref name="idsShape"/> (null = [ids.Length]) → [...idsShape, D].</summary>
    /// <exception cref="ArgumentException">An id is outside 0..V−1.</exception>
    public Tensor<T> Forward(int[] ids, int[]? idsShape = null) => Op.Embedding(Weight, ids, idsShape, PaddingIdx);
}
