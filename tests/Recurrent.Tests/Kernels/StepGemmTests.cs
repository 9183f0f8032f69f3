// StepGemm (per-step product without packing A) must equal Gemm.MultiplyPacked bit for bit, and the reference GEMM
// to rounding, over awkward shapes: edge rows and columns, several depth blocks, padded leading dimensions.
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Tests.Kernels;

public class StepGemmTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 16, 7)]
    [InlineData(5, 17, 33)]
    [InlineData(6, 48, 256)]
    [InlineData(7, 31, 257)]
    [InlineData(13, 40, 600)]
    [InlineData(16, 1024, 64)]
    [InlineData(32, 80, 513)]
    public void MatchesThePackedGemmExactly(int m, int n, int k)
    {
        var rng = new Rng((ulong)(m * 1000 + n * 10 + k));
        int lda = k + 3, ldc = n + 5;
        var a = new float[m * lda]; var w = new float[n * k]; var c0 = new float[m * ldc];
        rng.FillUniform<float>(a, -1, 1); rng.FillUniform<float>(w, -1, 1); rng.FillUniform<float>(c0, -1, 1);
        var packed = PackedMatrix.Create(transposeB: true, k, n, w);                 // op(B) = Wᵀ as for h·W_hhᵀ
        foreach (bool accumulate in new[] { false, true })
        {
            var expected = (float[])c0.Clone(); var actual = (float[])c0.Clone();
            Gemm.MultiplyPacked(m, a, lda, packed, expected, ldc, accumulate);
            StepGemm.MultiplyPacked(m, a, lda, packed, actual, ldc, accumulate);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                    $"m={m} n={n} k={k} accumulate={accumulate}: C[{i / ldc},{i % ldc}] = {actual[i]:R}, packed GEMM {expected[i]:R}");

            var reference = new double[m * ldc];
            for (int i = 0; i < reference.Length; i++) reference[i] = c0[i];
            GemmReference.Multiply<double>(false, true, m, n, k, Array.ConvertAll(a, v => (double)v), lda,
                Array.ConvertAll(w, v => (double)v), k, reference, ldc, accumulate);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double e = reference[i * ldc + j], got = actual[i * ldc + j];
                    Assert.True(Math.Abs(got - e) <= 1e-5 * Math.Sqrt(k + 1) * (1 + Math.Abs(e)), $"m={m} n={n} k={k}: C[{i},{j}] = {got:R}, reference {e:R}");
                }
            if (!accumulate) continue;
            for (int i = 0; i < m; i++)                                                 // padding columns untouched
                for (int j = n; j < ldc; j++) Assert.Equal(c0[i * ldc + j], actual[i * ldc + j]);
        }
    }

    [Fact]
    public void RejectsShortSpansAndUnpackedMatrices()
    {
        var packed = PackedMatrix.Create(true, 4, 3, new float[12]);
        Assert.Throws<ArgumentException>(() => StepGemm.MultiplyPacked(2, new float[7], 4, packed, new float[6], 3, false));
        Assert.Throws<ArgumentException>(() => StepGemm.MultiplyPacked(2, new float[8], 4, new PackedMatrix(4, 3), new float[6], 3, false));
    }
}
