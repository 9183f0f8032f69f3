// PackedMatrix.PackPanels (a parallel pack split into column-panel blocks) against one whole Pack: the products with
// the two matrices must be bit-identical for every split, transposed or not, over awkward shapes.
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Tests.Kernels;

public class PackedMatrixPanelsTests
{
    [Theory]
    [InlineData(5, 7, false, 2)]
    [InlineData(37, 53, true, 2)]
    [InlineData(300, 40, true, 3)]      // K > one depth block (KC = 256)
    [InlineData(257, 129, false, 4)]
    [InlineData(64, 16, true, 5)]       // more parts than panels: some parts pack nothing
    [InlineData(1, 1, false, 1)]
    public void PanelBlocksPackTheSameMatrixAsOnePack(int k, int n, bool transposeB, int parts)
    {
        var rng = new Rng((ulong)(k * 1000 + n));
        var b = new float[k * n];
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() * 2 - 1);
        int ldb = transposeB ? k : n;
        var whole = PackedMatrix.Create(transposeB, k, n, b, ldb);
        var pieces = new PackedMatrix(k, n);
        int panels = pieces.Panels;
        for (int p = parts - 1; p >= 0; p--)                                            // in reverse: the order must not matter
            pieces.PackPanels(transposeB, b, ldb, panels * p / parts, panels * (p + 1) / parts);
        Assert.True(pieces.IsPacked);

        const int M = 7;
        var a = new float[M * k];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        var expected = new float[M * n];
        var actual = new float[M * n];
        Gemm.MultiplyPacked(M, a, k, whole, expected, n, accumulate: false);
        Gemm.MultiplyPacked(M, a, k, pieces, actual, n, accumulate: false);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void APanelRangeOutsideTheMatrixIsRejected()
    {
        var m = new PackedMatrix(8, 20);
        var b = new float[160];
        Assert.Throws<ArgumentException>(() => m.PackPanels(false, b, 20, 0, m.Panels + 1));
        Assert.Throws<ArgumentException>(() => m.PackPanels(false, b, 20, 2, 1));
    }
}
