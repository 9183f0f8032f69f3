// The one place the per-step recurrent GEMM (h_prev·W_hhᵀ) is issued, so that switching to a packed
// W_hh (Gemm.MultiplyPacked) is a one-line change. W_hh is prepared once per forward pass and reused
// for all T steps.
using System.Numerics;
using Recurrent.Kernels;

namespace Recurrent.Ops;

internal readonly struct RecurrentWeightOperand<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _wHhT;   // [H, G]: W_hh transposed once so each step is a plain row-major GEMM
    private readonly int _gates, _hidden;

    public RecurrentWeightOperand(T[] wHh /*[G, H]*/, int gates, int hidden)
    {
        _gates = gates; _hidden = hidden;
        _wHhT = new T[hidden * gates];
        for (int g = 0; g < gates; g++)
            for (int j = 0; j < hidden; j++) _wHhT[j * gates + g] = wHh[g * hidden + j];
    }

    /// <summary><c>gates (+)= hPrev·W_hhᵀ</c> for <paramref name="batch"/> rows: hPrev [B, H], gates [B, G].</summary>
    public void MultiplyInto(int batch, ReadOnlySpan<T> hPrev, Span<T> gates, bool accumulate)
        => Gemm.Multiply(false, false, batch, _gates, _hidden, hPrev, _wHhT, gates, accumulate);
}
