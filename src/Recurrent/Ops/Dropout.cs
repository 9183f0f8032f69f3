// Inverted dropout (PyTorch's F.dropout): in training, each element is zeroed with probability p and
// the survivors are scaled by 1/(1−p), so evaluation is the identity.
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary><c>y = x ⊙ m / (1 − p)</c> with <c>m ~ Bernoulli(1 − p)</c> drawn from <paramref name="rng"/>;
    /// returns x itself when not <paramref name="training"/> or p = 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">p is outside [0, 1].</exception>
    public static Tensor<T> Dropout<T>(Tensor<T> x, double p, Rng rng, bool training = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: probability must be in [0, 1].");
        if (!training || p == 0) return x;
        var mask = new T[x.Length];                                   // 0 or 1/(1−p), kept for backward
        T scale = p >= 1 ? T.Zero : T.CreateChecked(1.0 / (1.0 - p));
        for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextDouble() < p ? T.Zero : scale;
        var y = new Tensor<T>(x.Shape.ToArray());
        System.Numerics.Tensors.TensorPrimitives.Multiply<T>(x.Data, mask, y.Data);
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("Dropout", [x], () =>
            {
                if (y.Grad is not { } dy || !x.RequiresGrad) return;
                var dx = x.GradForAccumulation();
                // y = x ⊙ mask  ⇒  dx += dy ⊙ mask
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<T>(dy.Data, mask, dx, dx);
            }, y);
        }
        return y;
    }
}
