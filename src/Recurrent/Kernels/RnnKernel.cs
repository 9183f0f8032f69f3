// Fused pointwise step of the Elman RNN (PyTorch nn.RNN, nonlinearity tanh or relu), forward and backward.
// Span in, span out; the GEMMs that produce the pre-activations live in the layer, not here.
// B = batch rows, H = hidden units. Reference twin: RecurrentKernelsReference.Rnn*.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Recurrent.Kernels;

/// <summary>Elman RNN step kernels: <c>h = tanh(a)</c> or <c>h = relu(a)</c> with
/// <c>a = x·W_ihᵀ + b_ih + h_prev·W_hhᵀ + b_hh</c> computed by the caller.</summary>
public static class RnnKernel
{
    /// <summary>
    /// Forward: <c>h[b] = act(pre[b])</c> for active rows; a finished row (<c>active[b] == false</c>) keeps
    /// <c>h[b] = hPrev[b]</c>. <paramref name="active"/> empty means all rows are active.
    /// </summary>
    /// <param name="batch">B, the number of rows.</param>
    /// <param name="hidden">H, the hidden size.</param>
    /// <param name="relu">relu instead of tanh.</param>
    /// <param name="active">[B] rows still running at this step, or empty for all.</param>
    /// <param name="pre">[B, H] pre-activations.</param>
    /// <param name="hPrev">[B, H] previous state.</param>
    /// <param name="h">[B, H] new state (may alias <paramref name="pre"/>, not <paramref name="hPrev"/>).</param>
    public static void Forward<T>(int batch, int hidden, bool relu, ReadOnlySpan<T> pre, ReadOnlySpan<T> hPrev,
        ReadOnlySpan<bool> active, Span<T> h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = batch * hidden;
        KernelChecks.Length("RnnKernel.Forward", "pre", pre.Length, n);
        KernelChecks.Length("RnnKernel.Forward", "hPrev", hPrev.Length, n);
        KernelChecks.Length("RnnKernel.Forward", "h", h.Length, n);
        KernelChecks.Active("RnnKernel.Forward", active, batch);
        if (active.IsEmpty) { Activate(relu, pre[..n], h[..n]); return; }
        for (int b = 0; b < batch; b++)
        {
            int k = b * hidden;
            if (active[b]) Activate(relu, pre.Slice(k, hidden), h.Slice(k, hidden));
            else hPrev.Slice(k, hidden).CopyTo(h.Slice(k, hidden));
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static void Activate<T>(bool relu, ReadOnlySpan<T> a, Span<T> h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!relu)
        {
            if (typeof(T) == typeof(float) && FastActivation.IsAccelerated) TanhF32(MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(h));
            else TensorPrimitives.Tanh(a, h);
            return;
        }
        int j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            for (; j <= a.Length - Vector<T>.Count; j += Vector<T>.Count)
            {
                var v = new Vector<T>(a[j..]);
                Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<T>.Zero), v, Vector<T>.Zero).CopyTo(h[j..]);
            }
        for (; j < a.Length; j++) h[j] = a[j] > T.Zero ? a[j] : T.Zero;
    }

    /// <summary>
    /// Backward through <c>h = act(a)</c>: for an active row, <c>g = dh + dy</c>, <c>dPre = g·act'(a)</c>
    /// (act' from the saved output h: 1 − h² for tanh, [h &gt; 0] for relu) and dh is set to zero so the
    /// caller can accumulate <c>dPre·W_hh</c> into it. A finished row gets <c>dPre = 0</c> and keeps dh.
    /// </summary>
    /// <param name="batch">B, the number of rows.</param>
    /// <param name="hidden">H, the hidden size.</param>
    /// <param name="relu">relu instead of tanh.</param>
    /// <param name="active">[B] rows still running at this step, or empty for all.</param>
    /// <param name="h">[B, H] the forward output of this step.</param>
    /// <param name="dy">[B, H] gradient of this step's output, or empty.</param>
    /// <param name="dh">[B, H] in: gradient carried into h from the next step; out: the carried part of d h_prev.</param>
    /// <param name="dPre">[B, H] gradient of the pre-activations.</param>
    public static void Backward<T>(int batch, int hidden, bool relu, ReadOnlySpan<T> h, ReadOnlySpan<bool> active,
        ReadOnlySpan<T> dy, Span<T> dh, Span<T> dPre) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = batch * hidden;
        KernelChecks.Length("RnnKernel.Backward", "h", h.Length, n);
        KernelChecks.Length("RnnKernel.Backward", "dh", dh.Length, n);
        KernelChecks.Length("RnnKernel.Backward", "dPre", dPre.Length, n);
        if (!dy.IsEmpty) KernelChecks.Length("RnnKernel.Backward", "dy", dy.Length, n);
        KernelChecks.Active("RnnKernel.Backward", active, batch);
        if (active.IsEmpty) { BackwardRows(relu, h[..n], dy.IsEmpty ? dy : dy[..n], dh[..n], dPre[..n]); return; }
        for (int b = 0; b < batch; b++)
        {
            int k = b * hidden;
            if (active[b]) BackwardRows(relu, h.Slice(k, hidden), dy.IsEmpty ? dy : dy.Slice(k, hidden), dh.Slice(k, hidden), dPre.Slice(k, hidden));
            else dPre.Slice(k, hidden).Clear();
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static void BackwardRows<T>(bool relu, ReadOnlySpan<T> h, ReadOnlySpan<T> dy, Span<T> dh, Span<T> dPre)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0, n = h.Length;
        bool hasDy = !dy.IsEmpty;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            for (; j <= n - Vector<T>.Count; j += Vector<T>.Count)
            {
                var g = new Vector<T>(dh[j..]);
                if (hasDy) g += new Vector<T>(dy[j..]);
                var hv = new Vector<T>(h[j..]);
                var d = relu
                    ? Vector.ConditionalSelect(Vector.GreaterThan(hv, Vector<T>.Zero), g, Vector<T>.Zero)
                    : g * (Vector<T>.One - hv * hv);
                d.CopyTo(dPre[j..]);
                Vector<T>.Zero.CopyTo(dh[j..]);
            }
        for (; j < n; j++)
        {
            T g = dh[j] + (hasDy ? dy[j] : T.Zero);
            T hk = h[j];
            dPre[j] = relu ? (hk > T.Zero ? g : T.Zero) : g * (T.One - hk * hk);
            dh[j] = T.Zero;
        }
    }

    /// <summary>
    /// Forward for hidden units [<paramref name="j0"/>, <paramref name="j1"/>) of every row (all rows active): the same
    /// arithmetic as <see cref="Forward{T}"/> on those elements, nothing else touched, so threads can split a step by units.
    /// </summary>
    internal static void ForwardUnits<T>(int batch, int hidden, int j0, int j1, bool relu, ReadOnlySpan<T> pre, Span<T> h)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = batch * hidden, w = j1 - j0;
        KernelChecks.Length("RnnKernel.ForwardUnits", "pre", pre.Length, n);
        KernelChecks.Length("RnnKernel.ForwardUnits", "h", h.Length, n);
        KernelChecks.Units("RnnKernel.ForwardUnits", j0, j1, hidden);
        for (int b = 0; b < batch; b++) Activate(relu, pre.Slice(b * hidden + j0, w), h.Slice(b * hidden + j0, w));
    }

    /// <summary>
    /// Backward for hidden units [<paramref name="j0"/>, <paramref name="j1"/>) of every row (all rows active): the same
    /// arithmetic as <see cref="Backward{T}"/> on those elements, nothing else touched. <paramref name="dy"/> may be empty.
    /// </summary>
    internal static void BackwardUnits<T>(int batch, int hidden, int j0, int j1, bool relu, ReadOnlySpan<T> h, ReadOnlySpan<T> dy,
        Span<T> dh, Span<T> dPre) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = batch * hidden, w = j1 - j0;
        KernelChecks.Length("RnnKernel.BackwardUnits", "h", h.Length, n);
        KernelChecks.Length("RnnKernel.BackwardUnits", "dh", dh.Length, n);
        KernelChecks.Length("RnnKernel.BackwardUnits", "dPre", dPre.Length, n);
        if (!dy.IsEmpty) KernelChecks.Length("RnnKernel.BackwardUnits", "dy", dy.Length, n);
        KernelChecks.Units("RnnKernel.BackwardUnits", j0, j1, hidden);
        for (int b = 0; b < batch; b++)
        {
            int k = b * hidden + j0;
            BackwardRows(relu, h.Slice(k, w), dy.IsEmpty ? dy : dy.Slice(k, w), dh.Slice(k, w), dPre.Slice(k, w));
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static void TanhF32(ReadOnlySpan<float> a, Span<float> h)
    {
        int j = 0;
        for (; j <= a.Length - 8; j += 8) FastActivation.Tanh(Vector256.Create(a.Slice(j, 8))).CopyTo(h.Slice(j, 8));
        for (; j < a.Length; j++) h[j] = FastActivation.Tanh(a[j]);
    }
}
