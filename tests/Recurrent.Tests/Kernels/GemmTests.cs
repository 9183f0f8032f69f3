using Recurrent.Kernels;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Kernels;

public class GemmTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 7, 13, 5 }, { 3, 0, 4 }, { 5, 6, 0 }, { 16, 32, 16 }, { 33, 65, 17 }, { 32, 96, 64 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FloatGemmMatchesReferenceForAllTransposes(int m, int n, int k)
    {
        var rng = new Rng((ulong)(m * 1000 + n * 10 + k));
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
        foreach (bool acc in new[] { false, true })
        {
            var a = new float[m * k]; var b = new float[k * n]; var c = new float[m * n];
            rng.FillUniform<float>(a, -1, 1); rng.FillUniform<float>(b, -1, 1); rng.FillUniform<float>(c, -1, 1);
            var expected = (float[])c.Clone();
            var da = Array.ConvertAll(a, v => (double)v); var db = Array.ConvertAll(b, v => (double)v);
            var dc = Array.ConvertAll(c, v => (double)v);
            GemmReference.Multiply<double>(ta, tb, m, n, k, da, ta ? m : k, db, tb ? k : n, dc, n, acc);
            Gemm.Multiply<float>(ta, tb, m, n, k, a, b, c, acc);
            Tolerance.AssertClose(dc, Tolerance.ToDouble(c), 1e-5, 1e-5 * Math.Sqrt(k + 1), $"gemm {m}x{n}x{k} ta={ta} tb={tb} acc={acc}");
        }
    }
}
