// Inverted dropout (PyTorch's F.dropout): in training, each element is zeroed with probability p and
// the survivors are scaled by 1/(1−p), so evaluation is the identity.
//
// The mask is a pure function of (one 64-bit seed drawn from the caller's Rng, element index): a counter-based
// hash (SplitMix64's finaliser) gives two 32-bit uniforms per index pair. So the mask is never stored — backward
// recomputes it — and any block of elements can be computed on any thread with the same result; a layer's
// dropout costs one draw of the caller's generator, not one per element. (Masks cannot match PyTorch's anyway.)
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary><c>y = x ⊙ m / (1 − p)</c> with <c>m ~ Bernoulli(1 − p)</c> derived from one draw of <paramref name="rng"/>;
    /// returns x itself when not <paramref name="training"/> or p = 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">p is outside [0, 1].</exception>
    public static Tensor<T> Dropout<T>(Tensor<T> x, double p, Rng rng, bool training = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: probability must be in [0, 1].");
        if (!training || p == 0) return x;
        var mask = new DropoutMask<T>(rng.NextUInt64(), p);
        var y = new Tensor<T>(x.Shape.ToArray());
        DropoutPass<T>.Run(mask, x.Array, y.Array, backward: false);            // y = x ⊙ m
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("Dropout", [x], () =>
            {
                if (y.Grad is not { } dy || !x.RequiresGrad) return;
                // y = x ⊙ m  ⇒  dx += dy ⊙ m (the same m, recomputed from the seed)
                x.GradForAccumulation();                                            // allocates the gradient on first use
                DropoutPass<T>.Run(mask, dy.Array, x.Grad!.Array, backward: true);
            }, y);
        }
        return y;
    }
}

/// <summary>The dropout mask of one call: element i is kept when its 32-bit uniform is at least p·2³².</summary>
internal readonly struct DropoutMask<T>(ulong seed, double p) where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ulong _seed = seed;
    // P(drop) = threshold / 2³²; p = 1 drops everything (threshold past every uniform).
    private readonly ulong _threshold = p >= 1 ? 1UL << 32 : (ulong)Math.Round(p * 4294967296.0);
    /// <summary>The survivors' factor 1/(1−p) (0 when p = 1).</summary>
    public readonly T Scale = p >= 1 ? T.Zero : T.CreateChecked(1.0 / (1.0 - p));

    /// <summary>Two uniforms for elements 2k (low half) and 2k+1 (high half).</summary>
    private ulong Pair(long k)
    {
        ulong z = _seed + (ulong)(k + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The mask value (0 or the scale) of elements 2k and 2k+1.</summary>
    public (T Even, T Odd) Values(long k)
    {
        ulong u = Pair(k);
        return ((u & 0xFFFF_FFFFUL) >= _threshold ? Scale : T.Zero, (u >> 32) >= _threshold ? Scale : T.Zero);
    }
}

/// <summary>Forward <c>y = x ⊙ m</c> or backward <c>dx += dy ⊙ m</c> over all elements, split across threads in
/// blocks of index pairs (the mask is a function of the index, so the split never changes a value).</summary>
internal static class DropoutPass<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int ParallelMinElements = 1 << 16;

    public static void Run(DropoutMask<T> mask, T[] source, T[] destination, bool backward)
    {
        int parts = source.Length >= ParallelMinElements ? Math.Min(Parallelism.Threads, 16) : 1;
        var body = new Body(mask, source, destination, backward);
        if (parts == 1) body.Run(0, 1);
        else Parallelism.Run(parts, ref body);
    }

    private readonly struct Body(DropoutMask<T> mask, T[] source, T[] destination, bool backward) : IParallelBody
    {
        public void Run(int part, int parts)
        {
            long pairs = (source.Length + 1L) / 2;
            long k0 = pairs * part / parts, k1 = pairs * (part + 1) / parts;
            int n = source.Length;
            for (long k = k0; k < k1; k++)
            {
                var (even, odd) = mask.Values(k);
                int i = (int)(2 * k);
                if (backward)
                {
                    destination[i] += source[i] * even;
                    if (i + 1 < n) destination[i + 1] += source[i + 1] * odd;
                }
                else
                {
                    destination[i] = source[i] * even;
                    if (i + 1 < n) destination[i + 1] = source[i + 1] * odd;
                }
            }
        }
    }
}
