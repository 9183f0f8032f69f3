// The one place the per-step recurrent GEMMs are issued: forward h_prev·W_hhᵀ and backward dGates·W_hh.
// For float, W_hh is packed once per pass and reused for all T steps, so the steps skip packing and the
// packed panels stay hot in cache; other types use the plain GEMM. Each call runs on the calling thread
// only (StepGemm, which also skips packing the few rows of A): the layer splits batch rows across threads
// itself, and StepGemm is bit-identical to Gemm.MultiplyPacked, so the split never changes a result.
using System.Numerics;
using System.Runtime.InteropServices;
using Recurrent.Kernels;

namespace Recurrent.Ops;

internal sealed class RecurrentWeightOperand<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _wHh;          // [G, H]
    private readonly int _gates, _hidden;
    private readonly bool _transposed;  // true: multiply by W_hhᵀ (forward); false: by W_hh (backward)
    private PackedMatrix? _packed;

    private RecurrentWeightOperand(T[] wHh, int gates, int hidden, bool transposed)
    {
        _wHh = wHh; _gates = gates; _hidden = hidden; _transposed = transposed;
        if (typeof(T) == typeof(float))
            _packed = transposed
                ? PackedBuffers.Rent(true, hidden, gates, MemoryMarshal.Cast<T, float>(wHh.AsSpan()))    // op(B) = W_hhᵀ [H×G]
                : PackedBuffers.Rent(false, gates, hidden, MemoryMarshal.Cast<T, float>(wHh.AsSpan()));  // op(B) = W_hh [G×H]
    }

    /// <summary>For the forward recurrence: <c>gates [B, G] (+)= h_prev [B, H]·W_hhᵀ</c>.</summary>
    public static RecurrentWeightOperand<T> ForForward(T[] wHh, int gates, int hidden) => new(wHh, gates, hidden, transposed: true);

    /// <summary>For the backward recurrence: <c>dh [B, H] (+)= dGates [B, G]·W_hh</c>.</summary>
    public static RecurrentWeightOperand<T> ForBackward(T[] wHh, int gates, int hidden) => new(wHh, gates, hidden, transposed: false);

    /// <summary><c>c (+)= a·op(W)</c> for <paramref name="rows"/> rows, on the calling thread.</summary>
    public void MultiplyInto(int rows, ReadOnlySpan<T> a, Span<T> c, bool accumulate)
    {
        int k = _transposed ? _hidden : _gates, n = _transposed ? _gates : _hidden;
        if (_packed is not null)
            StepGemm.MultiplyPacked(rows, MemoryMarshal.Cast<T, float>(a), k, _packed, MemoryMarshal.Cast<T, float>(c), n, accumulate);
        else
            Gemm.Multiply(false, _transposed, rows, n, k, a, _wHh, c, accumulate);
    }

    /// <summary>Gives the packed matrix back for reuse; the operand must not be used afterwards.</summary>
    public void Release()
    {
        PackedBuffers.Return(_packed);
        _packed = null;
    }
}
