// Reuse of the large per-call buffers of the recurrent layers (activations [T, B, G], states, gradients,
// packed W_hh): a forward pass rents them, and they go back when the layer's backward has run (or at the
// end of the forward pass when no graph is recorded). After warm-up a training step therefore allocates
// none of them — without reuse, each step would put megabytes on the large-object heap.
// Exact-length arrays, so spans over whole arrays keep their meaning. Thread-safe (a lock per rent/return).
using System.Numerics;
using Recurrent.Kernels;

namespace Recurrent.Ops;

internal static class RecurrentBuffers<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int MaxPerLength = 16;           // enough for deep bidirectional stacks, bounded memory
    private static readonly Dictionary<int, Stack<T[]>> s_free = [];

    /// <summary>An array of exactly <paramref name="length"/> elements, zero-filled when <paramref name="clear"/>.</summary>
    public static T[] Rent(int length, bool clear)
    {
        if (length == 0) return [];
        T[]? array = null;
        lock (s_free)
            if (s_free.TryGetValue(length, out var stack) && stack.Count > 0) array = stack.Pop();
        if (array is null) return new T[length];
        if (clear) System.Array.Clear(array);
        return array;
    }

    /// <summary>Gives an array back (null and empty arrays are ignored).</summary>
    public static void Return(T[]? array)
    {
        if (array is null || array.Length == 0) return;
        lock (s_free)
        {
            if (!s_free.TryGetValue(array.Length, out var stack)) s_free[array.Length] = stack = new Stack<T[]>();
            if (stack.Count < MaxPerLength) stack.Push(array);
        }
    }
}

/// <summary>Reused <see cref="PackedMatrix"/> operands by (K, N); repacked by each renter.</summary>
internal static class PackedBuffers
{
    private const int MaxPerShape = 8;
    private static readonly Dictionary<(int K, int N), Stack<PackedMatrix>> s_free = [];

    public static PackedMatrix Rent(bool transposeB, int k, int n, ReadOnlySpan<float> b)
    {
        PackedMatrix? m = null;
        lock (s_free)
            if (s_free.TryGetValue((k, n), out var stack) && stack.Count > 0) m = stack.Pop();
        m ??= new PackedMatrix(k, n);
        m.Pack(transposeB, b, transposeB ? k : n);
        return m;
    }

    public static void Return(PackedMatrix? m)
    {
        if (m is null) return;
        lock (s_free)
        {
            if (!s_free.TryGetValue((m.K, m.N), out var stack)) s_free[(m.K, m.N)] = stack = new Stack<PackedMatrix>();
            if (stack.Count < MaxPerShape) stack.Push(m);
        }
    }
}
