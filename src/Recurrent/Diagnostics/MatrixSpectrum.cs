// Power-iteration estimates of how much a matrix can stretch a vector: the largest singular value
// (worst case for one step) and the spectral radius (growth per step in the long run). For a vanilla
// RNN, ‖∂h_t/∂h_{t−k}‖ ≤ (σ_max(W_hh)·max|tanh'|)^k, so σ_max < 1 guarantees vanishing gradients and
// ρ > 1 is needed for them to explode. Span in, numbers out; no tensors or models here.
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Diagnostics;

/// <summary>Spectral radius and largest singular value of a dense row-major matrix, by power iteration in double.</summary>
public static class MatrixSpectrum
{
    /// <summary>σ_max(W) = ‖W‖₂ for <c>W [rows, cols]</c>: power iteration on <c>WᵀW</c> from a random start.</summary>
    /// <exception cref="ArgumentException">The span does not hold rows·cols elements, or a dimension is not positive.</exception>
    public static double LargestSingularValue<T>(ReadOnlySpan<T> matrix, int rows, int cols, int iterations = 300, ulong seed = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = ToDouble(matrix, rows, cols);
        var v = RandomUnit(cols, seed);
        var u = new double[rows];
        double sigma = 0;
        for (int it = 0; it < iterations; it++)
        {
            MultiplyInto(w, rows, cols, v, u);                          // u = W·v
            double nu = Norm(u);
            if (nu == 0) return 0;                                        // v in the null space of a zero matrix
            MultiplyTransposedInto(w, rows, cols, u, v);                 // v = Wᵀ·u
            double nv = Norm(v);
            if (nv == 0) return 0;
            Scale(v, 1 / nv);
            double next = Math.Sqrt(nv);                                  // ‖WᵀW v‖ for unit v → σ²
            if (it > 10 && Math.Abs(next - sigma) <= 1e-12 * next) return next;
            sigma = next;
        }
        return sigma;
    }

    /// <summary>ρ(W) = max |λ| for a square <c>W [n, n]</c>, as the long-run growth rate of ‖W^k v‖:
    /// the mean of ln‖W v_k‖ over the second half of <paramref name="iterations"/> normalised steps.
    /// This also converges when the dominant eigenvalues are a complex pair (where the plain
    /// Rayleigh-quotient power iteration does not); its error shrinks like 1/iterations.</summary>
    /// <exception cref="ArgumentException">The span does not hold n·n elements, or n is not positive.</exception>
    public static double SpectralRadius<T>(ReadOnlySpan<T> matrix, int n, int iterations = 2000, ulong seed = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (iterations < 2) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "spectral radius: at least 2 iterations.");
        var w = ToDouble(matrix, n, n);
        var v = RandomUnit(n, seed);
        var next = new double[n];
        double logGrowth = 0;
        int counted = 0;
        for (int it = 0; it < iterations; it++)
        {
            MultiplyInto(w, n, n, v, next);
            double norm = Norm(next);
            if (norm == 0) return 0;                                      // nilpotent direction: W^k v = 0
            if (it >= iterations / 2) { logGrowth += Math.Log(norm); counted++; }
            Scale(next, 1 / norm);
            (v, next) = (next, v);
        }
        return Math.Exp(logGrowth / counted);
    }

    private static double[] ToDouble<T>(ReadOnlySpan<T> matrix, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows < 1 || cols < 1) throw new ArgumentException($"matrix spectrum: dimensions must be positive, got [{rows}, {cols}].");
        if (matrix.Length != (long)rows * cols)
            throw new ArgumentException($"matrix spectrum: {matrix.Length} elements do not form a [{rows}, {cols}] matrix.");
        var w = new double[matrix.Length];
        for (int i = 0; i < w.Length; i++) w[i] = double.CreateChecked(matrix[i]);
        return w;
    }

    private static double[] RandomUnit(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.NextNormal();
        Scale(v, 1 / Norm(v));
        return v;
    }

    // y[r] = Σ_c W[r, c]·x[c]
    private static void MultiplyInto(double[] w, int rows, int cols, double[] x, double[] y)
    {
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            var row = w.AsSpan(r * cols, cols);
            for (int c = 0; c < cols; c++) s += row[c] * x[c];
            y[r] = s;
        }
    }

    // y[c] = Σ_r W[r, c]·x[r]
    private static void MultiplyTransposedInto(double[] w, int rows, int cols, double[] x, double[] y)
    {
        Array.Clear(y);
        for (int r = 0; r < rows; r++)
        {
            double xr = x[r];
            var row = w.AsSpan(r * cols, cols);
            for (int c = 0; c < cols; c++) y[c] += row[c] * xr;
        }
    }

    private static double Norm(double[] v)
    {
        double s = 0;
        foreach (double a in v) s += a * a;
        return Math.Sqrt(s);
    }

    private static void Scale(double[] v, double factor)
    {
        for (int i = 0; i < v.Length; i++) v[i] *= factor;
    }
}
