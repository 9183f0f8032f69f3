// Small span helpers used across ops. Vectorised through TensorPrimitives (generic, so double works too).
using System.Numerics;
using System.Numerics.Tensors;

namespace Recurrent.Kernels;

/// <summary>Elementwise span kernels; destination last, lengths checked once.</summary>
public static class Elementwise
{
    /// <summary><c>destination[i] += source[i]</c>.</summary>
    public static void AddInPlace<T>(Span<T> destination, ReadOnlySpan<T> source) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (source.Length != destination.Length) throw new ArgumentException($"AddInPlace: lengths {destination.Length} and {source.Length} differ.");
        TensorPrimitives.Add(destination, source, destination);
    }

    /// <summary><c>destination[i] += alpha · source[i]</c>.</summary>
    public static void AddScaledInPlace<T>(Span<T> destination, ReadOnlySpan<T> source, T alpha) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (source.Length != destination.Length) throw new ArgumentException($"AddScaledInPlace: lengths {destination.Length} and {source.Length} differ.");
        TensorPrimitives.MultiplyAdd(source, alpha, destination, destination);
    }

    /// <summary>Adds a row vector to every row: <c>matrix[r, c] += row[c]</c> for a row-major [rows, row.Length] matrix.</summary>
    public static void AddRowToEach<T>(Span<T> matrix, ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = row.Length;
        if (n == 0) return;
        if (matrix.Length % n != 0) throw new ArgumentException($"AddRowToEach: matrix of {matrix.Length} is not a multiple of rows of {n}.");
        for (int r = 0; r < matrix.Length; r += n)
        {
            var dst = matrix.Slice(r, n);
            TensorPrimitives.Add(dst, row, dst);
        }
    }

    /// <summary>Sums the rows of a row-major [rows, destination.Length] matrix into <paramref name="destination"/> (accumulating).</summary>
    public static void SumRowsInto<T>(ReadOnlySpan<T> matrix, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = destination.Length;
        if (n == 0) return;
        if (matrix.Length % n != 0) throw new ArgumentException($"SumRowsInto: matrix of {matrix.Length} is not a multiple of rows of {n}.");
        for (int r = 0; r < matrix.Length; r += n) TensorPrimitives.Add(destination, matrix.Slice(r, n), destination);
    }
}
