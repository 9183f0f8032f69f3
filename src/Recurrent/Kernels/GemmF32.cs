// Fast float32 GEMM: Goto/BLIS-style blocking (NC → KC → MC → NR → MR) over packed panels with a
// register-blocked micro-kernel (AVX-512 12×32, AVX2/FMA 6×16, or portable Vector<T> 4×2W).
// Validation and zero sizes are handled by Gemm.Multiply; this file assumes m, n, k > 0.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Recurrent.Kernels;

/// <summary>Which register-blocked micro-kernel the float32 GEMM uses.</summary>
public enum GemmKernelKind
{
    /// <summary><c>Vector&lt;T&gt;</c>, 4 × (2·Vector&lt;float&gt;.Count): any accelerated width.</summary>
    Portable,
    /// <summary><c>Vector256</c> with FMA, 6×16.</summary>
    Avx2,
    /// <summary><c>Vector512</c>, 12×32.</summary>
    Avx512,
}

/// <summary>float32 GEMM kernels (AVX-512 / AVX2 / portable) behind <see cref="Gemm"/>.</summary>
internal static unsafe class GemmF32
{
    /// <summary>Depth of a packed block: a KC×NR panel of B (16 KB for AVX2, 32 KB for AVX-512) stays in L1
    /// while the micro-kernel walks the MC×KC block of A held in L2.</summary>
    internal const int KC = 256;

    /// <summary>Below this many flops (2·m·n·k) a GEMM is not split across threads: waking a worker costs
    /// a few microseconds, more than it saves.</summary>
    internal const long ParallelMinFlops = 2_000_000;

    /// <summary>The kernel picked for this machine: the widest one whose instructions are accelerated.
    /// Vector512 is used only when the hardware runs it natively (an emulated Vector512 measured 2–3× slower
    /// than Vector256 on the AVX2-only development VM).</summary>
    public static GemmKernelKind Best { get; } =
        MicroKernelAvx512.IsSupported ? GemmKernelKind.Avx512
        : MicroKernelAvx2.IsSupported ? GemmKernelKind.Avx2
        : GemmKernelKind.Portable;

    /// <summary>Per-thread override (tests and benchmarks compare kernels); null = <see cref="Best"/>.</summary>
    [ThreadStatic] internal static GemmKernelKind? ForcedKernel;

    /// <summary>The kernel a GEMM started on this thread will use.</summary>
    internal static GemmKernelKind Active => ForcedKernel ?? Best;

    internal static int NR(GemmKernelKind kind) => kind switch
    {
        GemmKernelKind.Avx512 => MicroKernelAvx512.NR,
        GemmKernelKind.Avx2 => MicroKernelAvx2.NR,
        _ => MicroKernelPortable.NR,
    };

    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
        {
            var job = new GemmJob
            {
                Kind = Active, TransposeA = transposeA, TransposeB = transposeB, M = m, N = n, K = k,
                A = pa, Lda = lda, B = pb, Ldb = ldb, C = pc, Ldc = ldc, Accumulate = accumulate,
            };
            Run(ref job, Parallelism.Threads);
        }
    }

    /// <summary><c>C (+)= op(A)·B</c> with B pre-packed (see <see cref="PackedMatrix"/>).</summary>
    public static void MultiplyPacked(bool transposeA, int m, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        Span<float> c, int ldc, bool accumulate)
    {
        fixed (float* pa = a) fixed (float* pc = c)
        {
            var job = new GemmJob
            {
                Kind = b.Kind, TransposeA = transposeA, M = m, N = b.N, K = b.K,
                A = pa, Lda = lda, C = pc, Ldc = ldc, Accumulate = accumulate,
                Packed = b.Pointer, PackedStride = b.PaddedN,
            };
            Run(ref job, Parallelism.Threads);
        }
    }

    /// <summary>Splits the job into parts (columns in whole NR panels, or rows in whole MR panels when there are
    /// too few columns) and runs them. The split never changes any element's sequence of operations, so the
    /// result is bit-identical for every thread count.</summary>
    internal static void Run(ref GemmJob job, int threads)
    {
        int nr = NR(job.Kind), mr = MR(job.Kind);
        int parts = 1;
        if (threads > 1 && 2L * job.M * job.N * job.K >= ParallelMinFlops)
        {
            int nPanels = (job.N + nr - 1) / nr, mPanels = (job.M + mr - 1) / mr;
            // Each part packs the whole of the operand it does not split. Split columns, and every thread packs all of
            // op(A); split rows, and every thread packs all of op(B) (nothing when B is pre-packed). Weight gradients
            // dW = dGᵀ·X have a tall, transposed A (G×N tokens) and a narrow B: there rows duplicate far less.
            long packA = (long)job.M * job.K * (job.TransposeA ? 2 : 1);
            long packB = job.Packed != null ? 0 : (long)job.K * job.N * (job.TransposeB ? 2 : 1);
            job.SplitRows = (nPanels < 2 * threads && mPanels > nPanels)
                || (job.Packed == null && mPanels >= 4 * threads && packA > packB);
            parts = Math.Min(threads, job.SplitRows ? mPanels : nPanels);
        }
        job.Parts = parts;
        if (parts == 1) job.Run(0, 1);
        else Parallelism.Run(parts, ref job);
    }

    /// <summary>One micro-kernel call of the given kind (benchmarks measure the kernel's ceiling with it).</summary>
    internal static void RunMicroKernel(GemmKernelKind kind, int rows, int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        switch (kind)
        {
            case GemmKernelKind.Avx512: MicroKernelAvx512.Run(rows, kc, a, b, c, ldc, add); break;
            case GemmKernelKind.Avx2: MicroKernelAvx2.Run(rows, kc, a, b, c, ldc, add); break;
            default: MicroKernelPortable.Run(rows, kc, a, b, c, ldc, add); break;
        }
    }

    internal static int MR(GemmKernelKind kind) => kind switch
    {
        GemmKernelKind.Avx512 => MicroKernelAvx512.MR,
        GemmKernelKind.Avx2 => MicroKernelAvx2.MR,
        _ => MicroKernelPortable.MR,
    };

    /// <summary>One GEMM's operands as raw pointers (pinned by the caller for the duration of the call).</summary>
    internal struct GemmJob : IParallelBody
    {
        public GemmKernelKind Kind;
        public bool TransposeA, TransposeB, Accumulate, SplitRows;
        public int M, N, K, Lda, Ldb, Ldc, Parts;
        public float* A, B, C;
        /// <summary>Pre-packed B (null when B is packed on the fly) and its padded column count.</summary>
        public float* Packed;
        public int PackedStride;

        public readonly void Run(int part, int parts)
        {
            int m0 = 0, m1 = M, n0 = 0, n1 = N;
            if (parts > 1)
            {
                int unit = SplitRows ? GemmF32.MR(Kind) : NR(Kind);
                int total = SplitRows ? M : N;
                int panels = (total + unit - 1) / unit;
                int lo = (int)((long)panels * part / parts) * unit, hi = Math.Min(total, (int)((long)panels * (part + 1) / parts) * unit);
                if (SplitRows) { m0 = lo; m1 = hi; } else { n0 = lo; n1 = hi; }
                if (lo >= hi) return;
            }
            switch (Kind)
            {
                case GemmKernelKind.Avx512: Blocked<MicroKernelAvx512>(in this, m0, m1, n0, n1, mc: 144, nc: 1024); break;
                case GemmKernelKind.Avx2: Blocked<MicroKernelAvx2>(in this, m0, m1, n0, n1, mc: 120, nc: 1024); break;
                default: Blocked<MicroKernelPortable>(in this, m0, m1, n0, n1, mc: 128, nc: 1024); break;
            }
        }
    }

    /// <summary>The blocked loop nest for rows [m0, m1) and columns [n0, n1) of C (n0 a multiple of NR).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static void Blocked<TKernel>(in GemmJob j, int m0, int m1, int n0, int n1, int mc, int nc)
        where TKernel : struct, IGemmMicroKernel
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        // Edge tiles (fewer than NR columns) are computed into this scratch tile and copied out.
        float* tile = stackalloc float[12 * 32];
        float* packA = PackBuffers.A(mc * KC);
        float* packB = j.Packed == null ? PackBuffers.B(nc * KC) : null;
        for (int jc = n0; jc < n1; jc += nc)
        {
            int ncb = Math.Min(nc, n1 - jc);
            for (int pc = 0; pc < j.K; pc += KC)
            {
                int kc = Math.Min(KC, j.K - pc);
                float* bBlock;
                if (j.Packed != null) bBlock = j.Packed + (nint)pc * j.PackedStride + (nint)jc * kc;
                else
                {
                    GemmPacking.PackB(j.TransposeB, j.B, j.Ldb, jc, ncb, pc, kc, nr, packB);
                    bBlock = packB;
                }
                bool add = j.Accumulate || pc > 0;
                for (int ic = m0; ic < m1; ic += mc)
                {
                    int mcb = Math.Min(mc, m1 - ic);
                    GemmPacking.PackA(j.TransposeA, j.A, j.Lda, ic, mcb, pc, kc, mr, packA);
                    for (int jr = 0; jr < ncb; jr += nr)
                    {
                        int cols = Math.Min(nr, ncb - jr);
                        float* bPanel = bBlock + (nint)jr * kc;
                        int rows;
                        for (int ir = 0; ir < mcb; ir += rows)
                        {
                            rows = GemmPacking.TileRows(mcb - ir, mr);
                            float* aPanel = packA + (nint)ir * kc;
                            float* cTile = j.C + (nint)(ic + ir) * j.Ldc + jc + jr;
                            if (cols == nr) TKernel.Run(rows, kc, aPanel, bPanel, cTile, j.Ldc, add);
                            else
                            {
                                TKernel.Run(rows, kc, aPanel, bPanel, tile, nr, add: false);
                                CopyEdge(tile, nr, cTile, j.Ldc, rows, cols, add);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Writes the valid part of an edge tile: the same single add per element as the full-tile store.</summary>
    private static void CopyEdge(float* tile, int nr, float* c, int ldc, int rows, int cols, bool add)
    {
        for (int i = 0; i < rows; i++)
        {
            float* t = tile + i * nr;
            float* d = c + (nint)i * ldc;
            if (add) for (int jj = 0; jj < cols; jj++) d[jj] += t[jj];
            else for (int jj = 0; jj < cols; jj++) d[jj] = t[jj];
        }
    }
}
