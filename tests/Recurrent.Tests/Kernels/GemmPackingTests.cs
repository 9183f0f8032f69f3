// GemmPacking.PackA (the fast row-walking pack of transposed A included) against a plain reference pack, element for
// element: packing is a copy, so the layouts must be identical, for every micro-kernel row count and awkward shapes.
using Recurrent.Kernels;
using Recurrent.Tensors;

namespace Recurrent.Tests.Kernels;

public class GemmPackingTests
{
    /// <summary>Reference twin of PackA: panels of TileRows rows, panel at row offset ir holds op(A)[i0+ir+i, p0+p] at
    /// ir·kc + p·rows + i.</summary>
    private static float[] ReferencePackA(bool transposeA, float[] a, int lda, int i0, int mc, int p0, int kc, int mr)
    {
        var d = new float[mc * kc];
        for (int ir = 0, rows; ir < mc; ir += rows)
        {
            rows = GemmPacking.TileRows(mc - ir, mr);
            for (int p = 0; p < kc; p++)
                for (int i = 0; i < rows; i++)
                {
                    int row = i0 + ir + i, col = p0 + p;                                // op(A)[row, col]
                    d[ir * kc + p * rows + i] = transposeA ? a[col * lda + row] : a[row * lda + col];
                }
        }
        return d;
    }

    [Theory]
    [InlineData(1, 1, 0, 0)]
    [InlineData(6, 7, 0, 0)]
    [InlineData(7, 5, 1, 2)]       // 7 rows: a 3+4 tail for MR = 6, no full panel
    [InlineData(32, 256, 0, 0)]    // 6+6+6+6+4+4
    [InlineData(120, 256, 6, 256)] // the AVX2 MC block, a second depth block
    [InlineData(61, 33, 5, 3)]     // odd offsets: rows not aligned to a vector
    [InlineData(13, 96, 0, 1024)]  // a short last depth block of k = 1120
    public unsafe void PackAMatchesTheReferenceForEveryPanelHeight(int mc, int kc, int i0, int p0)
    {
        var rng = new Rng((ulong)(mc * 131 + kc * 7 + i0 + p0));
        foreach (bool transposeA in new[] { true, false })
            foreach (int mr in new[] { 4, 6, 12 })
            {
                // A stored [k×m] when transposed (dG [T·B×4H] of a weight gradient), else [m×k]; padded leading dimension.
                int rowsStored = transposeA ? p0 + kc : i0 + mc, colsStored = transposeA ? i0 + mc : p0 + kc;
                int lda = colsStored + 3;
                var a = new float[rowsStored * lda];
                rng.FillUniform<float>(a, -1, 1);
                var expected = ReferencePackA(transposeA, a, lda, i0, mc, p0, kc, mr);
                var actual = new float[mc * kc + 8];
                actual.AsSpan().Fill(float.NaN);
                fixed (float* pa = a) fixed (float* pd = actual)
                    GemmPacking.PackA(transposeA, pa, lda, i0, mc, p0, kc, mr, pd);
                for (int i = 0; i < expected.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                        $"transposeA={transposeA} mr={mr} mc={mc} kc={kc} i0={i0} p0={p0}: packed[{i}] = {actual[i]:R}, reference {expected[i]:R}");
                for (int i = expected.Length; i < actual.Length; i++)
                    Assert.True(float.IsNaN(actual[i]), $"transposeA={transposeA} mr={mr}: PackA wrote past its block at {i}.");
            }
    }
}
