// The pieces of the hidden-unit split of a recurrent step: StepGemm on a column range, the gate kernels on a unit
// range, and Parallelism.RunTeam with a SpinBarrier. Each range version must reproduce the whole call bit for bit on
// its range and leave everything else untouched; together the ranges must give the whole call.
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Tests.Kernels;

public class UnitSplitKernelTests
{
    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R}");
    }

    private static float[] Random(Rng rng, int n, float scale = 2f)
    {
        var v = new float[n];
        rng.FillUniform<float>(v, -scale, scale);
        return v;
    }

    /// <summary>Splits 0..n into ranges at the given cut points (sorted, inside 0..n).</summary>
    private static IEnumerable<(int Lo, int Hi)> Ranges(int n, params int[] cuts)
    {
        int lo = 0;
        foreach (int c in cuts.Where(c => c > 0 && c < n).Append(n))
        {
            yield return (lo, c);
            lo = c;
        }
    }

    [Theory]
    [InlineData(1, 1, 1, new[] { 0 })]
    [InlineData(3, 17, 5, new[] { 16 })]
    [InlineData(32, 64, 256, new[] { 16, 48 })]
    [InlineData(32, 80, 513, new[] { 5, 21, 40, 79 })]         // cuts inside panels
    [InlineData(7, 160, 40, new[] { 40, 80, 120 })]            // gate boundaries of an LSTM with H = 40
    [InlineData(13, 1024, 300, new[] { 128, 256, 640 })]
    public void StepGemmColumnRangesMatchTheWholeProduct(int m, int n, int k, int[] cuts)
    {
        var rng = new Rng((ulong)(m * 7919 + n * 31 + k));
        int lda = k + 2, ldc = n + 3;
        var a = Random(rng, m * lda); var w = Random(rng, n * k); var c0 = Random(rng, m * ldc);
        var packed = PackedMatrix.Create(transposeB: true, k, n, w);
        Assert.True(StepGemm.SupportsColumns(packed) == (GemmF32.Active == GemmKernelKind.Avx2));
        if (!StepGemm.SupportsColumns(packed)) return;                                  // other kernels keep the row split
        foreach (bool accumulate in new[] { false, true })
        {
            var whole = (float[])c0.Clone();
            StepGemm.MultiplyPacked(m, a, lda, packed, whole, ldc, accumulate);
            var pieces = (float[])c0.Clone();
            foreach (var (lo, hi) in Ranges(n, cuts))
            {
                var one = (float[])c0.Clone();
                StepGemm.MultiplyPackedColumns(m, a, lda, packed, lo, hi, one, ldc, accumulate);
                for (int i = 0; i < m; i++)                                             // only [lo, hi) written
                    for (int j = 0; j < ldc; j++)
                        if (j < lo || j >= hi)
                            Assert.True(BitConverter.SingleToInt32Bits(c0[i * ldc + j]) == BitConverter.SingleToInt32Bits(one[i * ldc + j]),
                                $"m={m} n={n} k={k} range [{lo},{hi}): C[{i},{j}] outside the range was changed");
                StepGemm.MultiplyPackedColumns(m, a, lda, packed, lo, hi, pieces, ldc, accumulate);
            }
            AssertBits(whole, pieces, $"m={m} n={n} k={k} accumulate={accumulate}, ranges at {string.Join(",", cuts)}");
        }
    }

    [Fact]
    public void StepGemmColumnsRejectsBadRanges()
    {
        var packed = PackedMatrix.Create(true, 4, 20, new float[80]);
        if (!StepGemm.SupportsColumns(packed)) return;
        Assert.Throws<ArgumentException>(() => StepGemm.MultiplyPackedColumns(2, new float[8], 4, packed, 5, 21, new float[40], 20, false));
        Assert.Throws<ArgumentException>(() => StepGemm.MultiplyPackedColumns(2, new float[8], 4, packed, 6, 5, new float[40], 20, false));
        Assert.Throws<ArgumentException>(() => StepGemm.MultiplyPackedColumns(2, new float[7], 4, packed, 0, 4, new float[40], 20, false));
    }

    public static TheoryData<int, int, bool> UnitCases()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (var (b, h) in new[] { (1, 8), (3, 16), (2, 33), (4, 40), (5, 100), (3, 257) })
            foreach (bool withDy in new[] { false, true }) data.Add(b, h, withDy);
        return data;
    }

    /// <summary>Unit blocks as FusedCharLm hands them out: multiples of 16, the last one ragged.</summary>
    private static (int Lo, int Hi)[] UnitRanges(int h) => [.. Ranges(h, Enumerable.Range(1, h / 16 + 1).Select(i => i * 16).ToArray())];

    [Theory, MemberData(nameof(UnitCases))]
    public void LstmUnitRangesMatchTheWholeRowKernel(int batch, int hidden, bool withDy)
    {
        if (!FastActivation.IsAccelerated) return;
        var rng = new Rng((ulong)(batch * 100 + hidden));
        int G = 4 * hidden, n = batch * hidden;
        var pre = Random(rng, batch * G, 3); var hPrev = Random(rng, n); var cPrev = Random(rng, n);
        var dy = withDy ? Random(rng, n) : []; var dhIn = Random(rng, n); var dcIn = Random(rng, n);

        var acts = (float[])pre.Clone(); var h = new float[n]; var c = new float[n];
        LstmKernel.Forward<float>(batch, hidden, acts, hPrev, cPrev, default, acts, h, c);
        var uActs = (float[])pre.Clone(); var uH = new float[n]; var uC = new float[n];
        foreach (var (lo, hi) in UnitRanges(hidden)) LstmKernel.ForwardUnits(batch, hidden, lo, hi, uActs, cPrev, uActs, uH, uC);
        AssertBits(acts, uActs, $"LSTM acts B={batch} H={hidden}");
        AssertBits(h, uH, $"LSTM h B={batch} H={hidden}");
        AssertBits(c, uC, $"LSTM c B={batch} H={hidden}");

        var dh = (float[])dhIn.Clone(); var dc = (float[])dcIn.Clone(); var dPre = new float[batch * G];
        LstmKernel.Backward<float>(batch, hidden, acts, cPrev, c, default, dy, dh, dc, dPre);
        var uDh = (float[])dhIn.Clone(); var uDc = (float[])dcIn.Clone(); var uDPre = new float[batch * G];
        foreach (var (lo, hi) in UnitRanges(hidden)) LstmKernel.BackwardUnits(batch, hidden, lo, hi, acts, cPrev, c, dy, uDh, uDc, uDPre);
        AssertBits(dPre, uDPre, $"LSTM dPre B={batch} H={hidden}");
        AssertBits(dh, uDh, $"LSTM dh B={batch} H={hidden}");
        AssertBits(dc, uDc, $"LSTM dc B={batch} H={hidden}");

        // One range alone touches only its units.
        var (l0, h0) = UnitRanges(hidden)[^1];
        var part = new float[n]; var partC = new float[n]; var partActs = (float[])pre.Clone();
        LstmKernel.ForwardUnits(batch, hidden, l0, h0, partActs, cPrev, partActs, part, partC);
        for (int i = 0; i < n; i++)
            if (i % hidden < l0) Assert.True(part[i] == 0 && partC[i] == 0, $"LSTM ForwardUnits [{l0},{h0}) wrote unit {i % hidden}");
    }

    [Theory, MemberData(nameof(UnitCases))]
    public void GruUnitRangesMatchTheWholeRowKernel(int batch, int hidden, bool withDy)
    {
        if (!FastActivation.IsAccelerated) return;
        var rng = new Rng((ulong)(batch * 300 + hidden));
        int G = 3 * hidden, n = batch * hidden;
        var xg = Random(rng, batch * G, 3); var hg = Random(rng, batch * G, 3); var bhn = Random(rng, hidden);
        var hPrev = Random(rng, n); var dy = withDy ? Random(rng, n) : []; var dhIn = Random(rng, n);

        var acts = (float[])xg.Clone(); var hn = new float[n]; var h = new float[n];
        GruKernel.Forward<float>(batch, hidden, acts, hg, bhn, hPrev, default, acts, hn, h);
        var uActs = (float[])xg.Clone(); var uHn = new float[n]; var uH = new float[n];
        foreach (var (lo, hi) in UnitRanges(hidden)) GruKernel.ForwardUnits(batch, hidden, lo, hi, uActs, hg, bhn, hPrev, uActs, uHn, uH);
        AssertBits(acts, uActs, $"GRU acts B={batch} H={hidden}");
        AssertBits(hn, uHn, $"GRU hn B={batch} H={hidden}");
        AssertBits(h, uH, $"GRU h B={batch} H={hidden}");

        var dh = (float[])dhIn.Clone(); var dx = new float[batch * G]; var dhg = new float[batch * G];
        GruKernel.Backward<float>(batch, hidden, acts, hn, hPrev, default, dy, dh, dx, dhg);
        var uDh = (float[])dhIn.Clone(); var uDx = new float[batch * G]; var uDhg = new float[batch * G];
        foreach (var (lo, hi) in UnitRanges(hidden)) GruKernel.BackwardUnits<float>(batch, hidden, lo, hi, acts, hn, hPrev, dy, uDh, uDx, uDhg);
        AssertBits(dx, uDx, $"GRU dXg B={batch} H={hidden}");
        AssertBits(dhg, uDhg, $"GRU dHg B={batch} H={hidden}");
        AssertBits(dh, uDh, $"GRU dh B={batch} H={hidden}");
    }

    [Theory, MemberData(nameof(UnitCases))]
    public void RnnUnitRangesMatchTheWholeRowKernel(int batch, int hidden, bool withDy)
    {
        var rng = new Rng((ulong)(batch * 500 + hidden));
        int n = batch * hidden;
        var pre = Random(rng, n, 3); var dy = withDy ? Random(rng, n) : []; var dhIn = Random(rng, n);
        foreach (bool relu in new[] { false, true })
        {
            var h = new float[n];
            RnnKernel.Forward<float>(batch, hidden, relu, pre, new float[n], default, h);
            var uH = new float[n];
            foreach (var (lo, hi) in UnitRanges(hidden)) RnnKernel.ForwardUnits<float>(batch, hidden, lo, hi, relu, pre, uH);
            AssertBits(h, uH, $"RNN h relu={relu} B={batch} H={hidden}");

            var dh = (float[])dhIn.Clone(); var dPre = new float[n];
            RnnKernel.Backward<float>(batch, hidden, relu, h, default, dy, dh, dPre);
            var uDh = (float[])dhIn.Clone(); var uDPre = new float[n];
            foreach (var (lo, hi) in UnitRanges(hidden)) RnnKernel.BackwardUnits<float>(batch, hidden, lo, hi, relu, h, dy, uDh, uDPre);
            AssertBits(dPre, uDPre, $"RNN dPre relu={relu} B={batch} H={hidden}");
            AssertBits(dh, uDh, $"RNN dh relu={relu} B={batch} H={hidden}");
        }
    }

    [Fact]
    public void UnitKernelsRejectRangesOutsideTheHiddenUnits()
    {
        Assert.Throws<ArgumentException>(() => RnnKernel.ForwardUnits<float>(1, 4, 2, 5, false, new float[4], new float[4]));
        Assert.Throws<ArgumentException>(() => LstmKernel.ForwardUnits(1, 4, 3, 2, new float[16], new float[4], new float[16], new float[4], new float[4]));
        Assert.Throws<ArgumentException>(() => GruKernel.BackwardUnits<float>(1, 4, -1, 2, new float[12], new float[4], new float[4], default, new float[4], new float[12], new float[12]));
    }

    /// <summary>Each part writes its step number into its slot, then checks after the barrier that every part has.</summary>
    private struct LockStep : IParallelBody
    {
        public SpinBarrier Barrier;
        public int[] Slots;
        public int Steps;
        public int[] Mismatches;

        public readonly void Run(int part, int parts)
        {
            for (int s = 1; s <= Steps; s++)
            {
                Volatile.Write(ref Slots[part], s);
                Barrier.SignalAndWait();
                for (int p = 0; p < parts; p++)
                    if (Volatile.Read(ref Slots[p]) < s) Interlocked.Increment(ref Mismatches[part]);
                Barrier.SignalAndWait();                                                // nobody writes s+1 before all have read
            }
        }
    }

    private struct FailingPart : IParallelBody
    {
        public SpinBarrier Barrier;

        public readonly void Run(int part, int parts)
        {
            try
            {
                if (part == 1) throw new InvalidOperationException("part 1 failed");
                for (int s = 0; s < 3; s++) Barrier.SignalAndWait();
            }
            catch (InvalidOperationException)
            {
                Barrier.Break();
                throw;
            }
        }
    }

    /// <summary>Other test classes run in parallel and may hold the workers or change Parallelism.Threads for a moment,
    /// which makes RunTeam decline (by design): try again until it runs.</summary>
    private static void RunTeamRetrying<TBody>(int parts, ref TBody body) where TBody : struct, IParallelBody
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            Parallelism.Threads = 3;
            if (Parallelism.RunTeam(parts, ref body)) return;
            Assert.True(clock.Elapsed.TotalSeconds < 30, "Parallelism.RunTeam declined for 30 s");
            Thread.Sleep(1);
        }
    }

    [Fact]
    public void TeamPartsRunConcurrentlyAndMeetAtTheBarrier()
    {
        int saved = Parallelism.Threads;
        try
        {
            foreach (int parts in new[] { 1, 2, 3 })
            {
                var body = new LockStep { Barrier = new SpinBarrier(), Slots = new int[parts], Steps = 200, Mismatches = new int[parts] };
                body.Barrier.Reset(parts);
                RunTeamRetrying(parts, ref body);
                Assert.All(body.Mismatches, m => Assert.Equal(0, m));
                Assert.All(body.Slots, s => Assert.Equal(200, s));
            }
            Parallelism.Threads = 3;
            var tooMany = new LockStep { Barrier = new SpinBarrier(), Slots = new int[4], Steps = 1, Mismatches = new int[4] };
            Assert.False(Parallelism.RunTeam(4, ref tooMany));                          // more parts than threads: refused
            Assert.All(tooMany.Slots, s => Assert.Equal(0, s));

            var failing = new FailingPart { Barrier = new SpinBarrier() };
            failing.Barrier.Reset(2);
            Assert.ThrowsAny<Exception>(() => RunTeamRetrying(2, ref failing));         // fails instead of hanging
        }
        finally { Parallelism.Threads = saved; }
    }
}
