// A GEMM B operand packed once into the micro-kernel's panel layout and reused for many products,
// e.g. the recurrent weight W_hh in h_{t-1}·W_hhᵀ, multiplied once per time step.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Recurrent.Kernels;

/// <summary>
/// The right-hand operand <c>op(B)</c> [K×N] of a float32 GEMM, stored in the packed panel layout of the
/// fast kernels so that <see cref="Gemm.MultiplyPacked(int, ReadOnlySpan{float}, int, PackedMatrix, Span{float}, int, bool)"/>
/// skips packing B on every call. Pack once (or <see cref="Pack"/> again in place after the weights change —
/// no allocation), multiply many times.
/// </summary>
/// <remarks>
/// Layout: for each depth block of <c>KC</c> rows of op(B), the columns in panels of <c>NR</c>
/// (zero-padded to a whole panel), each panel <c>[kc][NR]</c>. The panel width belongs to the micro-kernel
/// chosen when the matrix was created; products with it use that kernel. Results are bit-identical to
/// <see cref="Gemm.Multiply{T}(bool, bool, int, int, int, ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, Span{T}, int, bool)"/>
/// with the unpacked B (same panels, same kernel). Not thread-safe while being (re)packed.
/// </remarks>
public sealed unsafe class PackedMatrix
{
    private readonly float[] _data; // pinned
    private readonly nint _offset;

    /// <summary>Rows of op(B): the shared (inner) dimension of the product.</summary>
    public int K { get; }

    /// <summary>Columns of op(B) and of the product.</summary>
    public int N { get; }

    /// <summary>Whether <see cref="Pack"/> has filled the matrix.</summary>
    public bool IsPacked { get; private set; }

    internal GemmKernelKind Kind { get; }
    internal int PaddedN { get; }
    internal float* Pointer => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_data)) + _offset;

    /// <summary>Allocates room for a packed [k×n] operand (call <see cref="Pack"/> before use).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> or <paramref name="n"/> is negative.</exception>
    public PackedMatrix(int k, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        K = k; N = n;
        Kind = GemmF32.Active;
        int nr = GemmF32.NR(Kind);
        PaddedN = (n + nr - 1) / nr * nr;
        _data = GC.AllocateUninitializedArray<float>(checked(PaddedN * k) + 16, pinned: true);
        _offset = PackBuffers.AlignOffset(_data);
    }

    /// <summary>Allocates and packs: <c>op(B)</c> is B [k×n] with row stride <paramref name="ldb"/>, or
    /// B [n×k] when <paramref name="transposeB"/> (e.g. a PyTorch weight [out×in] used as <c>x·Wᵀ</c>).</summary>
    /// <exception cref="ArgumentException">The span or leading dimension does not fit the shape.</exception>
    public static PackedMatrix Create(bool transposeB, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        var packed = new PackedMatrix(k, n);
        packed.Pack(transposeB, b, ldb);
        return packed;
    }

    /// <summary>Contiguous shorthand for <see cref="Create(bool, int, int, ReadOnlySpan{float}, int)"/>.</summary>
    public static PackedMatrix Create(bool transposeB, int k, int n, ReadOnlySpan<float> b)
        => Create(transposeB, k, n, b, transposeB ? k : n);

    /// <summary>(Re)packs from B in place; no allocation. Same meaning of the arguments as
    /// <see cref="Create(bool, int, int, ReadOnlySpan{float}, int)"/>.</summary>
    /// <exception cref="ArgumentException">The span or leading dimension does not fit [K×N].</exception>
    public void Pack(bool transposeB, ReadOnlySpan<float> b, int ldb)
    {
        int rows = transposeB ? N : K, cols = transposeB ? K : N;
        if (rows > 0 && cols > 0)
        {
            if (ldb < cols) throw new ArgumentException($"PackedMatrix.Pack: leading dimension {ldb} is less than the {cols} columns of B.");
            long needed = (long)(rows - 1) * ldb + cols;
            if (needed > b.Length) throw new ArgumentException($"PackedMatrix.Pack: B is [{rows}×{cols}] with leading dimension {ldb} and needs {needed} elements, but the span has {b.Length}.");
            int nr = GemmF32.NR(Kind);
            fixed (float* pb = b)
            {
                for (int pc = 0; pc < K; pc += GemmF32.KC)
                {
                    int kc = Math.Min(GemmF32.KC, K - pc);
                    GemmPacking.PackB(transposeB, pb, ldb, 0, N, pc, kc, nr, Pointer + (nint)pc * PaddedN);
                }
            }
        }
        IsPacked = true;
    }

    /// <summary>Column panels of the packed layout (NR columns each, the last zero-padded).</summary>
    internal int Panels => PaddedN / GemmF32.NR(Kind);

    /// <summary>
    /// Packs only column panels [<paramref name="panel0"/>, <paramref name="panel1"/>) of <see cref="Pack"/>'s result, the
    /// same values in the same places: callers split <see cref="Panels"/> across threads to pack one matrix in parallel
    /// and must pack every panel before the matrix is used (it is marked packed here).
    /// </summary>
    /// <exception cref="ArgumentException">The span or leading dimension does not fit, or the panel range is outside 0..Panels.</exception>
    internal void PackPanels(bool transposeB, ReadOnlySpan<float> b, int ldb, int panel0, int panel1)
    {
        int nr = GemmF32.NR(Kind);
        if (panel0 < 0 || panel1 > Panels || panel0 > panel1) throw new ArgumentException($"PackedMatrix.PackPanels: panels [{panel0}, {panel1}) are not within the {Panels} panels.");
        int rows = transposeB ? N : K, cols = transposeB ? K : N;
        if (rows > 0 && cols > 0)
        {
            if (ldb < cols) throw new ArgumentException($"PackedMatrix.PackPanels: leading dimension {ldb} is less than the {cols} columns of B.");
            long needed = (long)(rows - 1) * ldb + cols;
            if (needed > b.Length) throw new ArgumentException($"PackedMatrix.PackPanels: B is [{rows}×{cols}] with leading dimension {ldb} and needs {needed} elements, but the span has {b.Length}.");
            int j0 = panel0 * nr, nc = Math.Min(N, panel1 * nr) - j0;
            if (nc > 0)
                fixed (float* pb = b)
                    for (int pc = 0; pc < K; pc += GemmF32.KC)
                    {
                        int kc = Math.Min(GemmF32.KC, K - pc);
                        GemmPacking.PackB(transposeB, pb, ldb, j0, nc, pc, kc, nr, Pointer + (nint)pc * PaddedN + (nint)j0 * kc);
                    }
        }
        IsPacked = true;
    }
}
