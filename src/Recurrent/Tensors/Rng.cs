// The one seeded random source of a run: xoshiro256** seeded through SplitMix64.
// Same seed, same sequence, on every machine and .NET version (unlike System.Random's algorithm choice).
using System.Numerics;

namespace Recurrent.Tensors;

/// <summary>A small, fast, deterministic random number generator (xoshiro256**).</summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    /// <summary>Creates a generator whose whole sequence is fixed by <paramref name="seed"/>.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="exclusiveMax"/>).</summary>
    public int NextInt(int exclusiveMax)
    {
        if (exclusiveMax <= 0) throw new ArgumentOutOfRangeException(nameof(exclusiveMax));
        // Lemire's multiply-shift: unbiased enough for 32-bit ranges from 64 random bits.
        return (int)(((NextUInt64() >> 32) * (ulong)exclusiveMax) >> 32);
    }

    /// <summary>Uniform integer in [<paramref name="min"/>, <paramref name="exclusiveMax"/>).</summary>
    public int NextInt(int min, int exclusiveMax) => min + NextInt(exclusiveMax - min);

    /// <summary>Standard normal (Box–Muller, the spare value is kept for the next call).</summary>
    public double NextNormal()
    {
        if (_spareNormal is double spare) { _spareNormal = null; return spare; }
        double u1;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fills with uniform values in [low, high).</summary>
    public void FillUniform<T>(Span<T> destination, T low, T high) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double lo = double.CreateChecked(low), span = double.CreateChecked(high) - lo;
        for (int i = 0; i < destination.Length; i++) destination[i] = T.CreateChecked(lo + span * NextDouble());
    }

    /// <summary>Fills with normal values of the given mean and standard deviation.</summary>
    public void FillNormal<T>(Span<T> destination, T mean, T std) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double m = double.CreateChecked(mean), s = double.CreateChecked(std);
        for (int i = 0; i < destination.Length; i++) destination[i] = T.CreateChecked(m + s * NextNormal());
    }

    /// <summary>Shuffles in place (Fisher–Yates).</summary>
    public void Shuffle<TItem>(Span<TItem> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The full generator state (for checkpoints that resume exactly).</summary>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3, _spareNormal is double d ? 1UL : 0UL, BitConverter.DoubleToUInt64Bits(_spareNormal ?? 0)];

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    /// <exception cref="ArgumentException">The state does not have 6 words or is all zero.</exception>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 6 || (state[0] | state[1] | state[2] | state[3]) == 0)
            throw new ArgumentException("Rng: a state has 6 words and a non-zero generator part.");
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
        _spareNormal = state[4] != 0 ? BitConverter.UInt64BitsToDouble(state[5]) : null;
    }

    /// <summary>A new generator seeded from this one (for independent streams, e.g. per-worker dropout).</summary>
    public Rng Fork() => new(NextUInt64());
}
