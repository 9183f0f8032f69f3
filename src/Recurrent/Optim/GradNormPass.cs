// The two passes of clip_grad_norm_ with the L2 norm, vectorised and split across threads: Σ g² in double
// over fixed chunks, then g ← g·coef. The chunks depend only on the gradients' lengths (never on the thread
// count) and their partial sums are added in chunk order, so the norm is identical for every thread count.
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Recurrent.Kernels;

namespace Recurrent.Optim;

/// <summary>Σ g² and g ← g·c over a list of gradient arrays.</summary>
internal static class GradNormPass<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Elements per chunk (128 KB of float).</summary>
    internal const int ChunkSize = 1 << 15;
    /// <summary>Total elements below which one thread does everything.</summary>
    internal const long ParallelMinElements = 1 << 18;

    private readonly record struct Chunk(int Array, int Start, int Length);

    /// <summary>Σ x² over all elements of <paramref name="grads"/>, accumulated in double.</summary>
    public static double SumOfSquares(IReadOnlyList<T[]> grads)
    {
        var chunks = Split(grads, out long total);
        var partial = new double[chunks.Length];
        var body = new Body(grads, chunks, partial, default, square: true);
        Run(chunks.Length, total, ref body);
        double sum = 0;
        foreach (double s in partial) sum += s;
        return sum;
    }

    /// <summary><c>g ← g·c</c> for every element.</summary>
    public static void Scale(IReadOnlyList<T[]> grads, T c)
    {
        var chunks = Split(grads, out long total);
        var body = new Body(grads, chunks, [], c, square: false);
        Run(chunks.Length, total, ref body);
    }

    private static Chunk[] Split(IReadOnlyList<T[]> grads, out long total)
    {
        var chunks = new List<Chunk>();
        total = 0;
        for (int a = 0; a < grads.Count; a++)
        {
            int n = grads[a].Length;
            total += n;
            for (int start = 0; start < n; start += ChunkSize) chunks.Add(new Chunk(a, start, Math.Min(ChunkSize, n - start)));
        }
        return chunks.ToArray();
    }

    private static void Run(int count, long total, ref Body body)
    {
        int parts = total >= ParallelMinElements ? Math.Min(Math.Min(Parallelism.Threads, count), 255) : 1;
        if (parts <= 1) body.Run(0, 1);
        else Parallelism.Run(parts, ref body);
    }

    private readonly struct Body(IReadOnlyList<T[]> grads, Chunk[] chunks, double[] partial, T scale, bool square) : IParallelBody
    {
        public void Run(int part, int parts)
        {
            int lo = (int)((long)chunks.Length * part / parts), hi = (int)((long)chunks.Length * (part + 1) / parts);
            for (int i = lo; i < hi; i++)
            {
                var c = chunks[i];
                var span = grads[c.Array].AsSpan(c.Start, c.Length);
                if (square) partial[i] = SquaresOf(span);
                else System.Numerics.Tensors.TensorPrimitives.Multiply<T>(span, scale, span);   // each element g·c, as the scalar loop
            }
        }
    }

    /// <summary>Σ x² of one chunk in double: four double lanes for float and double, scalar otherwise.</summary>
    private static double SquaresOf(ReadOnlySpan<T> x)
    {
        int j = 0;
        double s = 0;
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
        {
            var f = MemoryMarshal.Cast<T, float>(x);
            var acc = Vector256<double>.Zero;
            for (; j <= f.Length - 4; j += 4)
            {
                var d = Vector256.WidenLower(Vector256.Create(Vector128.Create(f.Slice(j, 4)), default));
                acc += d * d;
            }
            s = Vector256.Sum(acc);
        }
        else if (typeof(T) == typeof(double) && Vector256.IsHardwareAccelerated)
        {
            var f = MemoryMarshal.Cast<T, double>(x);
            var acc = Vector256<double>.Zero;
            for (; j <= f.Length - 4; j += 4)
            {
                var d = Vector256.Create(f.Slice(j, 4));
                acc += d * d;
            }
            s = Vector256.Sum(acc);
        }
        for (; j < x.Length; j++)
        {
            double d = double.CreateChecked(x[j]);
            s += d * d;
        }
        return s;
    }
}
