// The fast float32 GEMM (every micro-kernel, packed and unpacked, 1 and 2 threads) against the
// reference twin over awkward shapes, padded leading dimensions and accumulation.
using Recurrent.Kernels;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Kernels;

public class GemmFastTests
{
    private static readonly GemmKernelKind[] Kernels = [GemmKernelKind.Portable, GemmKernelKind.Avx2, GemmKernelKind.Avx512];

    /// <summary>m, n, k: edges of MR (6/12/4), NR (16/32), KC (256), MC (120/144), NC (1024), and zeros.</summary>
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 7, 13, 5 }, { 33, 257, 1025 }, { 0, 5, 3 }, { 4, 0, 3 }, { 4, 5, 0 },
        { 13, 33, 257 }, { 145, 17, 9 }, { 2, 1041, 3 }, { 32, 64, 48 },
    };

    /// <summary>A strided operand: rows×cols stored with leading dimension cols+pad; the padding is NaN
    /// so that any read of it poisons the result.</summary>
    private static float[] Strided(Rng rng, int rows, int cols, int ld)
    {
        var x = new float[rows == 0 ? 0 : (rows - 1) * ld + cols];
        Array.Fill(x, float.NaN);
        for (int r = 0; r < rows; r++) rng.FillUniform<float>(x.AsSpan(r * ld, cols), -1, 1);
        return x;
    }

    private static double[] ToDouble(float[] x) => Array.ConvertAll(x, v => (double)v);

    private static void WithKernel(GemmKernelKind kind, Action action)
    {
        var saved = GemmF32.ForcedKernel;
        GemmF32.ForcedKernel = kind;
        try { action(); }
        finally { GemmF32.ForcedKernel = saved; }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryKernelMatchesReferenceWithPaddedLeadingDimensions(int m, int n, int k)
    {
        var rng = new Rng((ulong)(m * 7919 + n * 31 + k));
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
        {
            int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
            int lda = aCols + 3, ldb = bCols + 5, ldc = n + 2;
            var a = Strided(rng, aRows, aCols, lda);
            var b = Strided(rng, bRows, bCols, ldb);
            var c0 = Strided(rng, m, n, ldc);
            foreach (bool acc in new[] { false, true })
            {
                var expected = ToDouble(c0);
                GemmReference.Multiply<double>(ta, tb, m, n, k, ToDouble(a), lda, ToDouble(b), ldb, expected, ldc, acc);
                foreach (var kind in Kernels)
                {
                    var c = (float[])c0.Clone();
                    WithKernel(kind, () => Gemm.Multiply<float>(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, acc));
                    string what = $"{kind} gemm m={m} n={n} k={k} ta={ta} tb={tb} acc={acc}";
                    AssertMatches(expected, c, m, n, ldc, k, what);
                }
            }
        }
    }

    /// <summary>Valid elements close to the reference; C's padding untouched (still NaN).</summary>
    private static void AssertMatches(double[] expected, float[] actual, int m, int n, int ldc, int k, string what)
    {
        var e = new double[m * n]; var g = new double[m * n];
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) { e[i * n + j] = expected[i * ldc + j]; g[i * n + j] = actual[i * ldc + j]; }
        Tolerance.AssertClose(e, g, 1e-5, 1e-5 * Math.Sqrt(k + 1), what);
        for (int i = 0; i + 1 < m; i++)
        for (int j = n; j < ldc; j++)
            Assert.True(float.IsNaN(actual[i * ldc + j]), $"{what}: padding C[{i},{j}] was overwritten with {actual[i * ldc + j]}.");
    }

    [Fact]
    public void PackedMatchesUnpackedBitForBit()
    {
        var rng = new Rng(11);
        foreach (var kind in Kernels)
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 13, 5), (33, 257, 300), (32, 96, 64), (5, 40, 0) })
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
        foreach (bool acc in new[] { false, true })
        {
            var a = new float[m * k]; var b = new float[k * n]; var c0 = new float[m * n];
            rng.FillUniform<float>(a, -1, 1); rng.FillUniform<float>(b, -1, 1); rng.FillUniform<float>(c0, -1, 1);
            var plain = (float[])c0.Clone(); var packedOut = (float[])c0.Clone();
            int lda = ta ? m : k;
            WithKernel(kind, () =>
            {
                Gemm.Multiply<float>(ta, tb, m, n, k, a, lda, b, tb ? k : n, plain, n, acc);
                var packed = PackedMatrix.Create(tb, k, n, b);
                Gemm.MultiplyPacked(ta, m, a, lda, packed, packedOut, n, acc);
            });
            AssertBitIdentical(plain, packedOut, $"{kind} packed vs plain m={m} n={n} k={k} ta={ta} tb={tb} acc={acc}");
        }
    }

    [Fact]
    public void PackedMatrixRepacksInPlaceAndRejectsMisuse()
    {
        var rng = new Rng(5);
        int m = 3, n = 20, k = 9;
        var w = new float[n * k]; var h = new float[m * k];
        rng.FillUniform<float>(w, -1, 1); rng.FillUniform<float>(h, -1, 1);
        var packed = new PackedMatrix(k, n);
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyPacked(m, h, k, packed, new float[m * n], n, false));
        Assert.Throws<ArgumentException>(() => packed.Pack(true, w, k - 1));
        Assert.Throws<ArgumentException>(() => packed.Pack(true, w.AsSpan(1), k));
        packed.Pack(true, w, k);
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyPacked(m, h, k, packed, new float[m * n - 1], n, false));
        // Change the weights, repack into the same storage, and the product follows.
        rng.FillUniform<float>(w, -1, 1);
        packed.Pack(true, w, k);
        var got = new float[m * n]; var want = new float[m * n];
        Gemm.MultiplyPacked(m, h, k, packed, got, n, false);
        Gemm.Multiply<float>(false, true, m, n, k, h, k, w, k, want, n, false);
        AssertBitIdentical(want, got, "repacked");
    }

    [Theory]
    [InlineData(64, 300, 129)]   // enough columns: split N into NR panels
    [InlineData(200, 20, 300)]   // few columns, many rows: split M into MR panels
    [InlineData(32, 1024, 256)]  // the per-step recurrent shape
    public void TwoThreadsAreBitIdenticalToOne(int m, int n, int k)
    {
        var rng = new Rng((ulong)(m + n + k));
        foreach (bool tb in new[] { false, true })
        {
            var a = new float[m * k]; var b = new float[k * n]; var c0 = new float[m * n];
            rng.FillUniform<float>(a, -1, 1); rng.FillUniform<float>(b, -1, 1); rng.FillUniform<float>(c0, -1, 1);
            var one = (float[])c0.Clone(); var two = (float[])c0.Clone(); var viaApi = (float[])c0.Clone();
            RunWithThreads(1, tb, m, n, k, a, b, one);
            RunWithThreads(2, tb, m, n, k, a, b, two);
            AssertBitIdentical(one, two, $"threads 1 vs 2, m={m} n={n} k={k} tb={tb}");

            int saved = Parallelism.Threads;
            Parallelism.Threads = 2;
            try
            {
                Gemm.Multiply<float>(false, tb, m, n, k, a, b, viaApi, accumulate: true);
                var packed = PackedMatrix.Create(tb, k, n, b);
                var packedOut = (float[])c0.Clone();
                Gemm.MultiplyPacked(m, a, k, packed, packedOut, n, accumulate: true);
                AssertBitIdentical(one, packedOut, $"packed with Threads=2, m={m} n={n} k={k} tb={tb}");
            }
            finally { Parallelism.Threads = saved; }
            AssertBitIdentical(one, viaApi, $"Parallelism.Threads=2, m={m} n={n} k={k} tb={tb}");

            var expected = Array.ConvertAll(c0, v => (double)v);
            GemmReference.Multiply<double>(false, tb, m, n, k, ToDouble(a), k, ToDouble(b), tb ? k : n, expected, n, true);
            Tolerance.AssertClose(expected, Tolerance.ToDouble(two), 1e-5, 1e-5 * Math.Sqrt(k + 1), $"2 threads vs reference m={m} n={n} k={k}");
        }
    }

    private static unsafe void RunWithThreads(int threads, bool tb, int m, int n, int k, float[] a, float[] b, float[] c)
    {
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
        {
            var job = new GemmF32.GemmJob
            {
                Kind = GemmF32.Best, TransposeB = tb, M = m, N = n, K = k,
                A = pa, Lda = k, B = pb, Ldb = tb ? k : n, C = pc, Ldc = n, Accumulate = true,
            };
            GemmF32.Run(ref job, threads);
            Assert.Equal(threads, job.Parts); // the shape is big enough to be split
        }
    }

    private static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element [{i}] is {actual[i]:R}, expected exactly {expected[i]:R}.");
    }

    [Fact]
    public void SmallGemmsAllocateNothingAfterWarmUp()
    {
        var rng = new Rng(3);
        int m = 8, n = 40, k = 16;
        var a = new float[m * k]; var b = new float[k * n]; var c = new float[m * n];
        rng.FillUniform<float>(a, -1, 1); rng.FillUniform<float>(b, -1, 1);
        var packed = PackedMatrix.Create(true, k, n, b);
        void Calls()
        {
            for (int variant = 0; variant < 4; variant++) // every transpose combination, without allocating
                Gemm.Multiply<float>((variant & 1) != 0, (variant & 2) != 0, m, n, k, a, b, c, accumulate: false);
            Gemm.MultiplyPacked(m, a, k, packed, c, n, accumulate: true);
        }
        Calls(); // warm-up: grows this thread's packing buffers
        // Measure several rounds and take the smallest, so a one-off allocation by the runtime on this
        // thread (e.g. tiering) cannot fail the test; a per-call allocation shows in every round.
        long least = long.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 50; i++) Calls();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(least == 0, $"250 small GEMMs allocated {least} bytes after warm-up; expected 0.");
    }

    private struct CountParts : IParallelBody
    {
        public int[] Counts;
        public readonly void Run(int part, int parts) => Interlocked.Increment(ref Counts[part]);
    }

    private struct Throwing : IParallelBody
    {
        public readonly void Run(int part, int parts)
        {
            if (part == parts - 1) throw new InvalidOperationException("part failed");
        }
    }

    [Fact]
    public void ParallelismRunsEveryPartOnceAndPropagatesFailures()
    {
        foreach (int parts in new[] { 1, 2, 3 })
        {
            var body = new CountParts { Counts = new int[parts] };
            for (int call = 0; call < 20; call++) Parallelism.Run(parts, ref body);
            Assert.All(body.Counts, count => Assert.Equal(20, count));
        }
        // Concurrent callers: one owns the workers, the other runs its parts inline; every part still runs once per call.
        var bodies = new[] { new CountParts { Counts = new int[3] }, new CountParts { Counts = new int[3] } };
        Parallel.For(0, 2, t => { for (int call = 0; call < 200; call++) Parallelism.Run(3, ref bodies[t]); });
        foreach (var b in bodies) Assert.All(b.Counts, count => Assert.Equal(200, count));
        var bad = new Throwing();
        Assert.Throws<InvalidOperationException>(() => Parallelism.Run(2, ref bad));
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.Threads = 0);
    }

    [Fact]
    public void CpuInfoAndFmaPeakReportTheMachine()
    {
        string description = CpuInfo.Describe();
        Assert.Contains($"{Environment.ProcessorCount} logical cores", description);
        Assert.False(string.IsNullOrWhiteSpace(CpuInfo.ModelName));
        double gflops = FmaPeak.MeasureGflops(1, seconds: 0.02);
        Assert.True(gflops > 0.1 && gflops < 100_000, $"FMA peak {gflops} GFLOP/s is not plausible.");
    }
}
