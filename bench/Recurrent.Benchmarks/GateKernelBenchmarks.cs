// BenchmarkDotNet suite for the fused gate kernels (the pointwise part of one time step), forward and backward,
// at the bench shapes B = 32, H ∈ {256, 512}. Each kernel is checked against its reference twin
// (RecurrentKernelsReference) in GlobalSetup before anything is timed.
//   dotnet run -c Release --project bench/Recurrent.Benchmarks -- --filter '*GateKernel*'
using BenchmarkDotNet.Attributes;
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Benchmarks;

/// <summary>Which kernel a <see cref="GateKernelBenchmarks"/> case times.</summary>
public enum GateKernel { RnnForward, RnnBackward, GruForward, GruBackward, LstmForward, LstmBackward }

/// <summary>One time step of each fused gate kernel on [B, G] activations.</summary>
[MemoryDiagnoser]
public class GateKernelBenchmarks
{
    private GateKernelCase _case = null!;

    [Params(GateKernel.RnnForward, GateKernel.RnnBackward, GateKernel.GruForward, GateKernel.GruBackward, GateKernel.LstmForward, GateKernel.LstmBackward)]
    public GateKernel Kernel { get; set; }

    [Params(256, 512)]
    public int Hidden { get; set; }

    [Params(32)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _case = new GateKernelCase(Kernel, Batch, Hidden);
        _case.Check();
    }

    [Benchmark]
    public void Step() => _case.Run();
}

/// <summary>Inputs for one kernel call, the call itself, and the comparison with the reference twin.</summary>
public sealed class GateKernelCase
{
    private readonly GateKernel _kernel;
    private readonly int _b, _h;
    // Inputs (never written by Run) and outputs (overwritten by every Run, so each call does the same work).
    private readonly float[] _pre, _hg, _bhn, _hPrev, _cPrev, _acts, _c, _hn, _dy, _dh0, _dc0;
    private readonly float[] _outActs, _outH, _outC, _outHn, _dh, _dc, _dPre, _dHg;

    public GateKernelCase(GateKernel kernel, int batch, int hidden, ulong seed = 7)
    {
        _kernel = kernel; _b = batch; _h = hidden;
        int G = Gates(kernel) * hidden, n = batch * hidden;
        var rng = new Rng(seed);
        float[] U(int length, float lo, float hi) { var a = new float[length]; rng.FillUniform<float>(a, lo, hi); return a; }
        _pre = U(batch * G, -3, 3); _hg = U(batch * G, -2, 2); _bhn = U(hidden, -0.5f, 0.5f);
        _hPrev = U(n, -1, 1); _cPrev = U(n, -2, 2); _c = U(n, -2, 2); _hn = U(n, -2, 2);
        _acts = U(batch * G, 0.01f, 0.99f);                                            // saved activations: σ in (0,1), tanh in (−1,1)
        _dy = U(n, -1, 1); _dh0 = U(n, -1, 1); _dc0 = U(n, -1, 1);
        _outActs = new float[batch * G]; _outH = new float[n]; _outC = new float[n]; _outHn = new float[n];
        _dh = new float[n]; _dc = new float[n]; _dPre = new float[batch * G]; _dHg = new float[batch * G];
    }

    private static int Gates(GateKernel k) => k switch
    {
        GateKernel.LstmForward or GateKernel.LstmBackward => 4,
        GateKernel.GruForward or GateKernel.GruBackward => 3,
        _ => 1,
    };

    /// <summary>One kernel call (backward kernels first restore their in/out gradients dh, dc).</summary>
    public void Run()
    {
        int B = _b, H = _h;
        switch (_kernel)
        {
            case GateKernel.RnnForward: RnnKernel.Forward<float>(B, H, false, _pre, _hPrev, default, _outH); break;
            case GateKernel.RnnBackward:
                _dh0.CopyTo(_dh, 0);
                RnnKernel.Backward<float>(B, H, false, _hPrev, default, _dy, _dh, _dPre); break;
            case GateKernel.GruForward: GruKernel.Forward<float>(B, H, _pre, _hg, _bhn, _hPrev, default, _outActs, _outHn, _outH); break;
            case GateKernel.GruBackward:
                _dh0.CopyTo(_dh, 0);
                GruKernel.Backward<float>(B, H, _acts, _hn, _hPrev, default, _dy, _dh, _dPre, _dHg); break;
            case GateKernel.LstmForward: LstmKernel.Forward<float>(B, H, _pre, _hPrev, _cPrev, default, _outActs, _outH, _outC); break;
            case GateKernel.LstmBackward:
                _dh0.CopyTo(_dh, 0); _dc0.CopyTo(_dc, 0);
                LstmKernel.Backward<float>(B, H, _acts, _cPrev, _c, default, _dy, _dh, _dc, _dPre); break;
        }
    }

    /// <summary>Runs the fast kernel and the reference twin (in double) on the same inputs and throws with the worst
    /// element when they differ by more than the fast activations' documented accuracy allows.</summary>
    public void Check()
    {
        Run();
        int B = _b, H = _h, G = Gates(_kernel) * H, n = B * H;
        double[] D(float[] a) => Array.ConvertAll(a, v => (double)v);
        var eActs = new double[B * G]; var eH = new double[n]; var eC = new double[n]; var eHn = new double[n];
        var eDh = D(_dh0); var eDc = D(_dc0); var eDPre = new double[B * G]; var eDHg = new double[B * G];
        switch (_kernel)
        {
            case GateKernel.RnnForward:
                RecurrentKernelsReference.RnnForward<double>(B, H, false, D(_pre), D(_hPrev), default, eH);
                Compare("h", eH, _outH); break;
            case GateKernel.RnnBackward:
                RecurrentKernelsReference.RnnBackward<double>(B, H, false, D(_hPrev), default, D(_dy), eDh, eDPre);
                Compare("dPre", eDPre, _dPre); Compare("dh", eDh, _dh); break;
            case GateKernel.GruForward:
                RecurrentKernelsReference.GruForward<double>(B, H, D(_pre), D(_hg), D(_bhn), D(_hPrev), default, eActs, eHn, eH);
                Compare("acts", eActs, _outActs); Compare("hn", eHn, _outHn); Compare("h", eH, _outH); break;
            case GateKernel.GruBackward:
                RecurrentKernelsReference.GruBackward<double>(B, H, D(_acts), D(_hn), D(_hPrev), default, D(_dy), eDh, eDPre, eDHg);
                Compare("dXg", eDPre, _dPre); Compare("dHg", eDHg, _dHg); Compare("dh", eDh, _dh); break;
            case GateKernel.LstmForward:
                RecurrentKernelsReference.LstmForward<double>(B, H, D(_pre), D(_hPrev), D(_cPrev), default, eActs, eH, eC);
                Compare("acts", eActs, _outActs); Compare("h", eH, _outH); Compare("c", eC, _outC); break;
            case GateKernel.LstmBackward:
                RecurrentKernelsReference.LstmBackward<double>(B, H, D(_acts), D(_cPrev), D(_c), default, D(_dy), eDh, eDc, eDPre);
                Compare("dPre", eDPre, _dPre); Compare("dh", eDh, _dh); Compare("dc", eDc, _dc); break;
        }
    }

    private void Compare(string what, double[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            if (!(diff <= 1e-5 + 1e-5 * Math.Abs(expected[i])))
                throw new InvalidOperationException($"{_kernel} B={_b} H={_h}: {what}[{i}] = {actual[i]:R}, reference {expected[i]:R} (diff {diff:E2}).");
        }
    }
}

/// <summary><c>gates</c> mode: checks every kernel against its reference, then a quick best-of timing per call
/// (no BenchmarkDotNet): <c>dotnet run -c Release --project bench/Recurrent.Benchmarks -- gates</c>.</summary>
public static class GateKernelQuick
{
    public static int Run(string[] args)
    {
        if (args.Length > 0) { Console.Error.WriteLine($"gates: unexpected argument '{args[0]}'"); return 2; }
        Console.WriteLine($"machine {CpuInfo.Describe()}");
        Console.WriteLine($"{"kernel",-14} {"B",3} {"H",4} {"µs/call",9} {"ns/unit",8}   (checked against RecurrentKernelsReference)");
        foreach (int h in new[] { 256, 512 })
            foreach (var k in Enum.GetValues<GateKernel>())
            {
                var c = new GateKernelCase(k, 32, h);
                c.Check();
                for (int i = 0; i < 200; i++) c.Run();
                double best = double.MaxValue;
                var sw = new System.Diagnostics.Stopwatch();
                for (int rep = 0; rep < 30; rep++)
                {
                    sw.Restart();
                    for (int i = 0; i < 50; i++) c.Run();
                    best = Math.Min(best, sw.Elapsed.TotalMilliseconds * 1000 / 50);
                }
                Console.WriteLine($"{k,-14} {32,3} {h,4} {best,9:F2} {best * 1000 / (32.0 * h),8:F2}");
            }
        return 0;
    }
}
