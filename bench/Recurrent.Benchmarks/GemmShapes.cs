// The GEMM shapes that matter for Recurrent, shared by the BenchmarkDotNet suite and the quick mode,
// with operands and a correctness check against the reference twin.
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Benchmarks;

/// <summary>One benchmarked product <c>C[m×n] = op(A)·op(B)</c>.</summary>
public sealed record GemmShape(string Name, bool TransposeA, bool TransposeB, int M, int N, int K, bool Packed)
{
    public double Flops => 2.0 * M * N * K;

    public override string ToString() => Name;

    /// <summary>Square 1024³; the two per-time-step recurrent products h·W_hhᵀ, [B×H]·[H×4H] with B = 32 and
    /// H = 256 or 512 (named m×k×n), plainly and with W_hh pre-packed; and the weight gradient
    /// dW_hh = dGatesᵀ·H, [4H×T·B]·[T·B×H] with H = 256, T·B = 2048 (named m×n×k). Names stay within the
    /// 20 characters BenchmarkDotNet prints.</summary>
    public static readonly GemmShape[] All =
    [
        new("1024^3 A.B", false, false, 1024, 1024, 1024, false),
        new("32x256x1024 A.Bt", false, true, 32, 1024, 256, false),
        new("32x256x1024 packed", false, true, 32, 1024, 256, true),
        new("32x512x2048 A.Bt", false, true, 32, 2048, 512, false),
        new("32x512x2048 packed", false, true, 32, 2048, 512, true),
        new("dW 1024x256x2048", true, false, 1024, 256, 2048, false),
    ];
}

/// <summary>Operands for one shape, plus the call being measured.</summary>
public sealed class GemmCase
{
    public GemmShape Shape { get; }
    private readonly float[] _a, _b, _c;
    private readonly int _lda, _ldb;
    private PackedMatrix? _packed;

    public GemmCase(GemmShape shape, ulong seed = 1)
    {
        Shape = shape;
        var rng = new Rng(seed);
        _a = new float[shape.M * shape.K]; _b = new float[shape.K * shape.N]; _c = new float[shape.M * shape.N];
        rng.FillUniform<float>(_a, -1, 1); rng.FillUniform<float>(_b, -1, 1);
        _lda = shape.TransposeA ? shape.M : shape.K;
        _ldb = shape.TransposeB ? shape.K : shape.N;
    }

    /// <summary>Packs B when the shape asks for it (once, outside the timed region — that is the point).</summary>
    public void Prepare()
    {
        if (Shape.Packed) _packed = PackedMatrix.Create(Shape.TransposeB, Shape.K, Shape.N, _b, _ldb);
    }

    public void Run()
    {
        var s = Shape;
        if (_packed != null) Gemm.MultiplyPacked(s.TransposeA, s.M, _a, _lda, _packed, _c, s.N, accumulate: false);
        else Gemm.Multiply<float>(s.TransposeA, s.TransposeB, s.M, s.N, s.K, _a, _lda, _b, _ldb, _c, s.N, accumulate: false);
    }

    /// <summary>Runs once and compares every element with <see cref="GemmReference"/> (in double);
    /// throws with the worst element when the fast path is wrong.</summary>
    public void Check()
    {
        Run();
        var s = Shape;
        var expected = new double[s.M * s.N];
        GemmReference.Multiply<double>(s.TransposeA, s.TransposeB, s.M, s.N, s.K,
            Array.ConvertAll(_a, v => (double)v), _lda, Array.ConvertAll(_b, v => (double)v), _ldb, expected, s.N, false);
        double allowed = 1e-5 * Math.Sqrt(s.K + 1);
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(_c[i] - expected[i]);
            if (!(diff <= allowed + 1e-5 * Math.Abs(expected[i])))
                throw new InvalidOperationException($"{s.Name}: C[{i / s.N},{i % s.N}] = {_c[i]:R}, reference {expected[i]:R} (diff {diff:E2}).");
        }
    }
}
