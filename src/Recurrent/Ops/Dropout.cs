// Inverted dropout (PyTorch's F.dropout): in training, each element is zeroed with probability p and
// the survivors are scaled by 1/(1−p), so evaluation is the identity.
//
// The mask is a pure function of (one 64-bit seed drawn from the caller's Rng, element index): a counter-based
// hash (SplitMix64's finaliser) gives two 32-bit uniforms per index pair. So the mask is never stored — backward
// recomputes it — and any block of elements can be computed on any thread with the same result; a layer's
// dropout costs one draw of the caller's generator, not one per element. (Masks cannot match PyTorch's anyway.)
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
        var y = new Tensor<T>(GC.AllocateUninitializedArray<T>(x.Length), x.Shape.ToArray());   // every element is written below
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
    /// <summary>The per-call seed of the hash.</summary>
    public readonly ulong Seed = seed;
    /// <summary>P(drop) = Threshold / 2³²; p = 1 drops everything (the threshold is past every uniform).</summary>
    public readonly ulong Threshold = p >= 1 ? 1UL << 32 : (ulong)Math.Round(p * 4294967296.0);
    /// <summary>The survivors' factor 1/(1−p) (0 when p = 1).</summary>
    public readonly T Scale = p >= 1 ? T.Zero : T.CreateChecked(1.0 / (1.0 - p));

    /// <summary><c>dst[i] = src[i]·m(first + i)</c>: the forward pass on any range of the flat index (exactly the values
    /// <see cref="DropoutPass{T}"/> writes there). With <paramref name="fromZero"/>, <c>dst[i] = 0 + src[i]·m</c>: the
    /// backward pass into a gradient that starts at zero, bit for bit (src and dst may be the same span).</summary>
    public void Apply(ReadOnlySpan<T> src, Span<T> dst, long first, bool fromZero)
    {
        if (dst.Length < src.Length) throw new ArgumentException("DropoutMask.Apply: destination shorter than source.");
        if (typeof(T) == typeof(float) && Avx2.IsSupported && Threshold <= uint.MaxValue && src.Length >= 16)
        {
            ApplyAvx2(MemoryMarshal.Cast<T, float>(src), MemoryMarshal.Cast<T, float>(dst[..src.Length]), first, fromZero);
            return;
        }
        ApplyScalar(src, dst, first, fromZero);
    }

    // Eight elements (four hash pairs) per iteration. AVX2 has no 64-bit multiply, so the hash's products are built from
    // three 32×32→64 products (mod 2⁶⁴, as the scalar ulong multiply); a pair's 64-bit hash read as two 32-bit lanes
    // is (even element, odd element) in order, so one unsigned compare per lane gives the eight keep bits. Each element
    // then gets exactly the scalar path's zero + src·factor (a multiply, then an add: no fused multiply-add).
    // A vector of 8 elements on this path takes ~0.5 ns per element against ~4.6 ns for the scalar hash (the dropout
    // between a 2-layer LM's layers: 2 × 524k elements per training step).
    private void ApplyAvx2(ReadOnlySpan<float> src, Span<float> dst, long first, bool fromZero)
    {
        int n = src.Length, i = 0;
        float scale = float.CreateTruncating(Scale), zero = fromZero ? 0f : -0f;
        if ((first & 1) != 0)                                                          // odd start: scalar up to an even index
        {
            ulong u = Pair(Seed, first >> 1);
            dst[0] = zero + src[0] * ((u >> 32) >= Threshold ? scale : 0f);
            i = 1;
        }
        long k = (first + i) >> 1;                                                     // pair of element i
        const ulong golden = 0x9E3779B97F4A7C15UL;
        var counter = Vector256.Create(Seed + (ulong)(k + 1) * golden, Seed + (ulong)(k + 2) * golden,
            Seed + (ulong)(k + 3) * golden, Seed + (ulong)(k + 4) * golden);              // SplitMix64's state for pairs k..k+3
        var advance = Vector256.Create(unchecked(4 * golden));
        var threshold = Vector256.Create((uint)Threshold);
        var scaleV = Vector256.Create(scale);
        var zeroV = Vector256.Create(zero);
        ref float s0 = ref MemoryMarshal.GetReference(src);
        ref float d0 = ref MemoryMarshal.GetReference(dst);
        for (; i + 8 <= n; i += 8)
        {
            var z = counter;
            counter += advance;
            z = Multiply(z ^ Vector256.ShiftRightLogical(z, 30), 0xBF58476D1CE4E5B9UL);
            z = Multiply(z ^ Vector256.ShiftRightLogical(z, 27), 0x94D049BB133111EBUL);
            var u = (z ^ Vector256.ShiftRightLogical(z, 31)).AsUInt32();             // lanes = elements i..i+7
            var keep = Avx2.CompareEqual(Avx2.Max(u, threshold), u);                  // u ≥ threshold, unsigned
            var factor = Vector256.ConditionalSelect(keep.AsSingle(), scaleV, Vector256<float>.Zero);
            var x = Vector256.LoadUnsafe(ref s0, (nuint)i);
            (zeroV + x * factor).StoreUnsafe(ref d0, (nuint)i);
        }
        for (; i < n; i++)                                                             // the last < 8 elements
        {
            long e = first + i;
            ulong u = Pair(Seed, e >> 1);
            dst[i] = zero + src[i] * (((e & 1) == 0 ? u & 0xFFFF_FFFFUL : u >> 32) >= Threshold ? scale : 0f);
        }
    }

    /// <summary>a·c mod 2⁶⁴ per 64-bit lane (AVX2): lo·lo + ((hi·lo + lo·hi) ≪ 32).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Multiply(Vector256<ulong> a, ulong c)
    {
        var cLo = Vector256.Create(c & 0xFFFF_FFFFUL).AsUInt32();
        var cHi = Vector256.Create(c >> 32).AsUInt32();
        var loLo = Avx2.Multiply(a.AsUInt32(), cLo);
        var hiLo = Avx2.Multiply(Vector256.ShiftRightLogical(a, 32).AsUInt32(), cLo);
        var loHi = Avx2.Multiply(a.AsUInt32(), cHi);
        return loLo + Vector256.ShiftLeft(hiLo + loHi, 32);
    }

    /// <summary><see cref="Apply"/> one element (pair) at a time: the reference twin of the vector path.</summary>
    internal void ApplyScalar(ReadOnlySpan<T> src, Span<T> dst, long first, bool fromZero)
    {
        int n = src.Length;
        T zero = fromZero ? T.Zero : T.NegativeZero;    // −0 + v = v exactly (forward); +0 + v is the backward's 0 + v
        int i = 0;
        if ((first & 1) != 0 && n > 0)                   // odd start: the high half of the pair before
        {
            ulong u = Pair(Seed, first >> 1);
            dst[0] = zero + src[0] * ((u >> 32) >= Threshold ? Scale : T.Zero);
            i = 1;
        }
        for (; i + 1 < n; i += 2)
        {
            ulong u = Pair(Seed, (first + i) >> 1);
            T even = (u & 0xFFFF_FFFFUL) >= Threshold ? Scale : T.Zero, odd = (u >> 32) >= Threshold ? Scale : T.Zero;
            dst[i] = zero + src[i] * even;
            dst[i + 1] = zero + src[i + 1] * odd;
        }
        if (i < n)                                        // a last element at an even index
        {
            ulong u = Pair(Seed, (first + i) >> 1);
            dst[i] = zero + src[i] * ((u & 0xFFFF_FFFFUL) >= Threshold ? Scale : T.Zero);
        }
    }

    /// <summary>Two uniforms for elements 2k (low half) and 2k+1 (high half): SplitMix64's output for counter k+1.</summary>
    public static ulong Pair(ulong seed, long k)
    {
        ulong z = seed + (ulong)(k + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
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
            int n = source.Length;
            long pairs = (n + 1L) / 2;
            long k0 = pairs * part / parts, k1 = pairs * (part + 1) / parts;
            if (k0 >= k1) return;
            // Locals and spans sized to the block, so the loop is one hash and two multiplies per pair.
            ulong seed = mask.Seed, threshold = mask.Threshold;
            T scale = mask.Scale, zero = T.Zero;
            int i0 = (int)(2 * k0), len = (int)Math.Min(n - 2 * k0, 2 * (k1 - k0));
            var src = source.AsSpan(i0, len);
            var dst = destination.AsSpan(i0, len);
            int full = len & ~1;
            for (int i = 0; i < full; i += 2)
            {
                ulong u = DropoutMask<T>.Pair(seed, k0 + (i >> 1));
                T even = (u & 0xFFFF_FFFFUL) >= threshold ? scale : zero, odd = (u >> 32) >= threshold ? scale : zero;
                if (backward) { dst[i] += src[i] * even; dst[i + 1] += src[i + 1] * odd; }
                else { dst[i] = src[i] * even; dst[i + 1] = src[i + 1] * odd; }
            }
            if (full < len)                                                       // the last element of an odd length
            {
                ulong u = DropoutMask<T>.Pair(seed, k0 + (full >> 1));
                T even = (u & 0xFFFF_FFFFUL) >= threshold ? scale : zero;
                if (backward) dst[full] += src[full] * even;
                else dst[full] = src[full] * even;
            }
        }
    }
}
