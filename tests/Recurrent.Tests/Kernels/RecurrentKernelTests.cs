// The fast gate kernels against their plain reference twins, over awkward sizes, masks and with/without dy.
// float fast kernels are compared with the double reference (tolerance ~1e-6 relative); double fast kernels
// with the double reference at ~1e-13.
using Recurrent.Kernels;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Kernels;

public class RecurrentKernelTests
{
    public static TheoryData<int, int, bool, bool> Cases()
    {
        var data = new TheoryData<int, int, bool, bool>();
        foreach (int h in new[] { 1, 7, 8, 33, 257 })
            foreach (int b in new[] { 1, 3 })
                foreach (bool masked in new[] { false, true })
                    foreach (bool withDy in new[] { false, true })
                        if (b > 1 || !masked) data.Add(b, h, masked, withDy);
        return data;
    }

    private static double[] Random(Rng rng, int n, double scale = 2.0)
    {
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (rng.NextDouble() * 2 - 1) * scale;
        return v;
    }

    private static float[] F(double[] v) => v.Select(x => (float)x).ToArray();
    private static double[] D(float[] v) => v.Select(x => (double)x).ToArray();

    private static bool[] Mask(int b, bool masked) => masked ? Enumerable.Range(0, b).Select(i => i % 2 == 0).ToArray() : [];

    private const double FloatTol = 2e-6, DoubleTol = 1e-13;

    [Theory, MemberData(nameof(Cases))]
    public void LstmFastMatchesReference(int batch, int hidden, bool masked, bool withDy)
    {
        var rng = new Rng((ulong)(batch * 1000 + hidden));
        int G = 4 * hidden, n = batch * hidden;
        var pre = Random(rng, batch * G, 3); var hPrev = Random(rng, n); var cPrev = Random(rng, n);
        var dy = withDy ? Random(rng, n) : []; var dhIn = Random(rng, n); var dcIn = Random(rng, n);
        var active = Mask(batch, masked);

        // reference in double
        var rActs = new double[batch * G]; var rH = new double[n]; var rC = new double[n];
        RecurrentKernelsReference.LstmForward<double>(batch, hidden, pre, hPrev, cPrev, active, rActs, rH, rC);
        var rDh = (double[])dhIn.Clone(); var rDc = (double[])dcIn.Clone(); var rDPre = new double[batch * G];
        RecurrentKernelsReference.LstmBackward<double>(batch, hidden, rActs, cPrev, rC, active, dy, rDh, rDc, rDPre);

        // fast in double (in place: acts alias pre)
        var dActs = (double[])pre.Clone(); var dH = new double[n]; var dC = new double[n];
        LstmKernel.Forward<double>(batch, hidden, dActs, hPrev, cPrev, active, dActs, dH, dC);
        var dDh = (double[])dhIn.Clone(); var dDc = (double[])dcIn.Clone(); var dDPre = new double[batch * G];
        LstmKernel.Backward<double>(batch, hidden, dActs, cPrev, dC, active, dy, dDh, dDc, dDPre);
        Tolerance.AssertClose(rActs, dActs, DoubleTol, DoubleTol, "LSTM acts (double)");
        Tolerance.AssertClose(rH, dH, DoubleTol, DoubleTol, "LSTM h (double)");
        Tolerance.AssertClose(rC, dC, DoubleTol, DoubleTol, "LSTM c (double)");
        Tolerance.AssertClose(rDPre, dDPre, DoubleTol, DoubleTol, "LSTM dPre (double)");
        Tolerance.AssertClose(rDh, dDh, DoubleTol, DoubleTol, "LSTM dh (double)");
        Tolerance.AssertClose(rDc, dDc, DoubleTol, DoubleTol, "LSTM dc (double)");

        // fast in float
        var fActs = new float[batch * G]; var fH = new float[n]; var fC = new float[n];
        LstmKernel.Forward<float>(batch, hidden, F(pre), F(hPrev), F(cPrev), active, fActs, fH, fC);
        var fDh = F(dhIn); var fDc = F(dcIn); var fDPre = new float[batch * G];
        LstmKernel.Backward<float>(batch, hidden, fActs, F(cPrev), fC, active, F(dy), fDh, fDc, fDPre);
        Tolerance.AssertClose(rActs, D(fActs), FloatTol, FloatTol, "LSTM acts (float)");
        Tolerance.AssertClose(rH, D(fH), FloatTol, FloatTol, "LSTM h (float)");
        Tolerance.AssertClose(rC, D(fC), FloatTol, FloatTol, "LSTM c (float)");
        Tolerance.AssertClose(rDPre, D(fDPre), 1e-5, 1e-5, "LSTM dPre (float)");
        Tolerance.AssertClose(rDh, D(fDh), FloatTol, FloatTol, "LSTM dh (float)");
        Tolerance.AssertClose(rDc, D(fDc), 1e-5, 1e-5, "LSTM dc (float)");
    }

    [Theory, MemberData(nameof(Cases))]
    public void LstmBackwardInPlaceOverActivationsMatchesSeparate(int batch, int hidden, bool masked, bool withDy)
    {
        // float32 fast path: dPre may be the acts buffer itself (RecurrentDirection.GradientsOverActivations); its twin
        // writes dPre to a separate buffer. Bit for bit.
        if (!FastActivation.IsAccelerated) return;
        var rng = new Rng((ulong)(batch * 1000 + hidden + 5));
        int G = 4 * hidden, n = batch * hidden;
        var acts = F(Random(rng, batch * G, 0.5).Select(v => 0.5 + v).ToArray());       // activations in (0, 1)
        var cPrev = F(Random(rng, n)); var c = F(Random(rng, n));
        var dy = withDy ? F(Random(rng, n)) : []; var dhIn = F(Random(rng, n)); var dcIn = F(Random(rng, n));
        var active = Mask(batch, masked);
        var dh = (float[])dhIn.Clone(); var dc = (float[])dcIn.Clone(); var dPre = new float[batch * G];
        LstmKernel.Backward<float>(batch, hidden, acts, cPrev, c, active, dy, dh, dc, dPre);
        var inPlace = (float[])acts.Clone(); var dh2 = (float[])dhIn.Clone(); var dc2 = (float[])dcIn.Clone();
        LstmKernel.Backward<float>(batch, hidden, inPlace, cPrev, c, active, dy, dh2, dc2, inPlace);
        Assert.True(dPre.AsSpan().SequenceEqual(inPlace), $"dPre over acts differs, B={batch} H={hidden} masked={masked}");
        Assert.True(dh.AsSpan().SequenceEqual(dh2) && dc.AsSpan().SequenceEqual(dc2), $"dh/dc differ, B={batch} H={hidden} masked={masked}");
    }

    [Theory, MemberData(nameof(Cases))]
    public void GruFastMatchesReference(int batch, int hidden, bool masked, bool withDy)
    {
        var rng = new Rng((ulong)(batch * 1000 + hidden + 7));
        int G = 3 * hidden, n = batch * hidden;
        var xg = Random(rng, batch * G, 3); var hg = Random(rng, batch * G, 3); var bhn = Random(rng, hidden);
        var hPrev = Random(rng, n); var dy = withDy ? Random(rng, n) : []; var dhIn = Random(rng, n);
        var active = Mask(batch, masked);

        var rActs = new double[batch * G]; var rHn = new double[n]; var rH = new double[n];
        RecurrentKernelsReference.GruForward<double>(batch, hidden, xg, hg, bhn, hPrev, active, rActs, rHn, rH);
        var rDh = (double[])dhIn.Clone(); var rDx = new double[batch * G]; var rDhg = new double[batch * G];
        RecurrentKernelsReference.GruBackward<double>(batch, hidden, rActs, rHn, hPrev, active, dy, rDh, rDx, rDhg);

        var dActs = (double[])xg.Clone(); var dHn = new double[n]; var dH = new double[n];
        GruKernel.Forward<double>(batch, hidden, dActs, hg, bhn, hPrev, active, dActs, dHn, dH);
        var dDh = (double[])dhIn.Clone(); var dDx = new double[batch * G]; var dDhg = new double[batch * G];
        GruKernel.Backward<double>(batch, hidden, dActs, dHn, hPrev, active, dy, dDh, dDx, dDhg);
        Tolerance.AssertClose(rActs, dActs, DoubleTol, DoubleTol, "GRU acts (double)");
        Tolerance.AssertClose(rHn, dHn, DoubleTol, DoubleTol, "GRU hn (double)");
        Tolerance.AssertClose(rH, dH, DoubleTol, DoubleTol, "GRU h (double)");
        Tolerance.AssertClose(rDx, dDx, DoubleTol, DoubleTol, "GRU dXg (double)");
        Tolerance.AssertClose(rDhg, dDhg, DoubleTol, DoubleTol, "GRU dHg (double)");
        Tolerance.AssertClose(rDh, dDh, DoubleTol, DoubleTol, "GRU dh (double)");

        var fActs = new float[batch * G]; var fHn = new float[n]; var fH = new float[n];
        GruKernel.Forward<float>(batch, hidden, F(xg), F(hg), F(bhn), F(hPrev), active, fActs, fHn, fH);
        var fDh = F(dhIn); var fDx = new float[batch * G]; var fDhg = new float[batch * G];
        GruKernel.Backward<float>(batch, hidden, fActs, fHn, F(hPrev), active, F(dy), fDh, fDx, fDhg);
        Tolerance.AssertClose(rActs, D(fActs), FloatTol, FloatTol, "GRU acts (float)");
        Tolerance.AssertClose(rHn, D(fHn), FloatTol, FloatTol, "GRU hn (float)");
        Tolerance.AssertClose(rH, D(fH), FloatTol, FloatTol, "GRU h (float)");
        Tolerance.AssertClose(rDx, D(fDx), 1e-5, 1e-5, "GRU dXg (float)");
        Tolerance.AssertClose(rDhg, D(fDhg), 1e-5, 1e-5, "GRU dHg (float)");
        Tolerance.AssertClose(rDh, D(fDh), FloatTol, FloatTol, "GRU dh (float)");
    }

    [Theory, MemberData(nameof(Cases))]
    public void RnnFastMatchesReference(int batch, int hidden, bool masked, bool withDy)
    {
        foreach (bool relu in new[] { false, true })
        {
            var rng = new Rng((ulong)(batch * 1000 + hidden + 13));
            int n = batch * hidden;
            var pre = Random(rng, n, 3); var hPrev = Random(rng, n);
            var dy = withDy ? Random(rng, n) : []; var dhIn = Random(rng, n);
            var active = Mask(batch, masked);
            string what = relu ? "RNN relu" : "RNN tanh";

            var rH = new double[n];
            RecurrentKernelsReference.RnnForward<double>(batch, hidden, relu, pre, hPrev, active, rH);
            var rDh = (double[])dhIn.Clone(); var rDPre = new double[n];
            RecurrentKernelsReference.RnnBackward<double>(batch, hidden, relu, rH, active, dy, rDh, rDPre);

            var dH = new double[n];
            RnnKernel.Forward<double>(batch, hidden, relu, pre, hPrev, active, dH);
            var dDh = (double[])dhIn.Clone(); var dDPre = new double[n];
            RnnKernel.Backward<double>(batch, hidden, relu, dH, active, dy, dDh, dDPre);
            Tolerance.AssertClose(rH, dH, DoubleTol, DoubleTol, what + " h (double)");
            Tolerance.AssertClose(rDPre, dDPre, DoubleTol, DoubleTol, what + " dPre (double)");
            Tolerance.AssertClose(rDh, dDh, DoubleTol, DoubleTol, what + " dh (double)");

            var fH = new float[n];
            RnnKernel.Forward<float>(batch, hidden, relu, F(pre), F(hPrev), active, fH);
            var fDh = F(dhIn); var fDPre = new float[n];
            RnnKernel.Backward<float>(batch, hidden, relu, fH, active, F(dy), fDh, fDPre);
            Tolerance.AssertClose(rH, D(fH), FloatTol, FloatTol, what + " h (float)");
            Tolerance.AssertClose(rDPre, D(fDPre), 1e-5, 1e-5, what + " dPre (float)");
            Tolerance.AssertClose(rDh, D(fDh), FloatTol, FloatTol, what + " dh (float)");
        }
    }

    [Fact]
    public void MaskedRowsKeepStateAndPassGradientThrough()
    {
        int B = 2, H = 5, n = B * H;
        var rng = new Rng(3);
        var pre = Random(rng, B * 4 * H); var hPrev = Random(rng, n); var cPrev = Random(rng, n);
        bool[] active = [true, false];
        var acts = new double[B * 4 * H]; var h = new double[n]; var c = new double[n];
        LstmKernel.Forward<double>(B, H, pre, hPrev, cPrev, active, acts, h, c);
        for (int j = 0; j < H; j++)
        {
            Assert.Equal(hPrev[H + j], h[H + j]);
            Assert.Equal(cPrev[H + j], c[H + j]);
            Assert.NotEqual(hPrev[j], h[j]);
        }
        var dh = Random(rng, n); var dc = Random(rng, n); var dhIn = (double[])dh.Clone(); var dcIn = (double[])dc.Clone();
        var dPre = new double[B * 4 * H];
        LstmKernel.Backward<double>(B, H, acts, cPrev, c, active, [], dh, dc, dPre);
        for (int j = 0; j < H; j++)
        {
            Assert.Equal(dhIn[H + j], dh[H + j]);
            Assert.Equal(dcIn[H + j], dc[H + j]);
            Assert.Equal(0.0, dh[j]);
        }
        for (int j = 4 * H; j < 8 * H; j++) Assert.Equal(0.0, dPre[j]);
    }

    [Fact]
    public void KernelRejectsShortSpansNamingTheArgument()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            LstmKernel.Forward<float>(2, 3, new float[23], new float[6], new float[6], default, new float[24], new float[6], new float[6]));
        Assert.Contains("LstmKernel.Forward", ex.Message);
        Assert.Contains("pre", ex.Message);
    }
}
