// Fused pointwise step of the LSTM (PyTorch nn.LSTM, gates in the order i, f, g, o), forward and backward.
// Span in, span out; the GEMMs that produce the gate pre-activations live in the layer, not here.
// B = batch rows, H = hidden units, G = 4H. Reference twin: RecurrentKernelsReference.Lstm*.
// Derivation: docs/derivations/lstm.md.
using System.Numerics;
using System.Numerics.Tensors;

namespace Recurrent.Kernels;

/// <summary>LSTM step kernels:
/// <c>i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o), c = f⊙c_prev + i⊙g, h = o⊙tanh(c)</c>.</summary>
public static class LstmKernel
{
    /// <summary>
    /// Forward. A finished row (<c>active[b] == false</c>) keeps its state (<c>h = hPrev, c = cPrev</c>)
    /// and gets zero activations; <paramref name="active"/> empty means all rows are active.
    /// </summary>
    /// <param name="batch">B, the number of rows.</param>
    /// <param name="hidden">H, the hidden size.</param>
    /// <param name="active">[B] rows still running at this step, or empty for all.</param>
    /// <param name="pre">[B, 4H] gate pre-activations (both projections and both biases summed).</param>
    /// <param name="hPrev">[B, H] previous hidden state (read only for finished rows).</param>
    /// <param name="cPrev">[B, H] previous cell state.</param>
    /// <param name="acts">[B, 4H] activated gates i, f, g, o, saved for backward (may alias <paramref name="pre"/>).</param>
    /// <param name="h">[B, H] new hidden state.</param>
    /// <param name="c">[B, H] new cell state.</param>
    public static void Forward<T>(int batch, int hidden, ReadOnlySpan<T> pre, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> cPrev,
        ReadOnlySpan<bool> active, Span<T> acts, Span<T> h, Span<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int H = hidden, G = 4 * hidden, n = batch * H;
        const string K = "LstmKernel.Forward";
        KernelChecks.Length(K, "pre", pre.Length, batch * G);
        KernelChecks.Length(K, "acts", acts.Length, batch * G);
        KernelChecks.Length(K, "hPrev", hPrev.Length, n);
        KernelChecks.Length(K, "cPrev", cPrev.Length, n);
        KernelChecks.Length(K, "h", h.Length, n);
        KernelChecks.Length(K, "c", c.Length, n);
        KernelChecks.Active(K, active, batch);
        for (int b = 0; b < batch; b++)
        {
            int q = b * G, k = b * H;
            var hRow = h.Slice(k, H); var cRow = c.Slice(k, H);
            if (!active.IsEmpty && !active[b])
            {
                hPrev.Slice(k, H).CopyTo(hRow);
                cPrev.Slice(k, H).CopyTo(cRow);
                acts.Slice(q, G).Clear();
                continue;
            }
            var iAct = acts.Slice(q, H); var fAct = acts.Slice(q + H, H);
            var gAct = acts.Slice(q + 2 * H, H); var oAct = acts.Slice(q + 3 * H, H);
            TensorPrimitives.Sigmoid(pre.Slice(q, 2 * H), acts.Slice(q, 2 * H));       // i, f
            TensorPrimitives.Tanh(pre.Slice(q + 2 * H, H), gAct);                      // g
            TensorPrimitives.Sigmoid(pre.Slice(q + 3 * H, H), oAct);                   // o
            TensorPrimitives.Multiply(fAct, cPrev.Slice(k, H), cRow);                  // c = f⊙c_prev
            TensorPrimitives.MultiplyAdd(iAct, gAct, cRow, cRow);                      //   + i⊙g
            TensorPrimitives.Tanh(cRow, hRow);                                         // h = o⊙tanh(c)
            TensorPrimitives.Multiply(oAct, hRow, hRow);
        }
    }

    /// <summary>
    /// Backward for one step. For an active row, with <c>δh = dh + dy</c>:
    /// <c>δc = dc + δh⊙o⊙(1 − tanh²c)</c>, gate gradients
    /// <c>da_i = δc⊙g⊙i(1−i), da_f = δc⊙c_prev⊙f(1−f), da_g = δc⊙i⊙(1−g²), da_o = δh⊙tanh(c)⊙o(1−o)</c>,
    /// then <c>dc ← δc⊙f</c> and <c>dh ← 0</c> (the caller adds <c>dPre·W_hh</c>).
    /// A finished row gets <c>dPre = 0</c> and keeps dh, dc.
    /// </summary>
    /// <param name="batch">B, the number of rows.</param>
    /// <param name="hidden">H, the hidden size.</param>
    /// <param name="active">[B] rows still running at this step, or empty for all.</param>
    /// <param name="acts">[B, 4H] activations saved by <see cref="Forward{T}"/>.</param>
    /// <param name="cPrev">[B, H] cell state before the step.</param>
    /// <param name="c">[B, H] cell state after the step.</param>
    /// <param name="dy">[B, H] gradient of this step's output, or empty.</param>
    /// <param name="dh">[B, H] in: gradient of h from later steps; out: carried part of d h_prev.</param>
    /// <param name="dc">[B, H] in: gradient of c from later steps; out: d c_prev.</param>
    /// <param name="dPre">[B, 4H] gradient of the gate pre-activations.</param>
    public static void Backward<T>(int batch, int hidden, ReadOnlySpan<T> acts, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> c,
        ReadOnlySpan<bool> active, ReadOnlySpan<T> dy, Span<T> dh, Span<T> dc, Span<T> dPre) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int H = hidden, G = 4 * hidden, n = batch * H;
        const string K = "LstmKernel.Backward";
        KernelChecks.Length(K, "acts", acts.Length, batch * G);
        KernelChecks.Length(K, "dPre", dPre.Length, batch * G);
        KernelChecks.Length(K, "cPrev", cPrev.Length, n);
        KernelChecks.Length(K, "c", c.Length, n);
        KernelChecks.Length(K, "dh", dh.Length, n);
        KernelChecks.Length(K, "dc", dc.Length, n);
        if (!dy.IsEmpty) KernelChecks.Length(K, "dy", dy.Length, n);
        KernelChecks.Active(K, active, batch);
        bool hasDy = !dy.IsEmpty;
        for (int b = 0; b < batch; b++)
        {
            int q = b * G, k = b * H;
            if (!active.IsEmpty && !active[b]) { dPre.Slice(q, G).Clear(); continue; }
            var a = acts.Slice(q, G); var d = dPre.Slice(q, G);
            var cp = cPrev.Slice(k, H); var dhRow = dh.Slice(k, H); var dcRow = dc.Slice(k, H);
            var dyRow = hasDy ? dy.Slice(k, H) : default;
            // tanh(c) goes into the da_o slot first; each element is read there before it is overwritten.
            TensorPrimitives.Tanh(c.Slice(k, H), d.Slice(3 * H, H));
            int j = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            {
                var one = Vector<T>.One;
                for (; j <= H - Vector<T>.Count; j += Vector<T>.Count)
                {
                    var i = new Vector<T>(a[j..]); var f = new Vector<T>(a[(H + j)..]);
                    var g = new Vector<T>(a[(2 * H + j)..]); var o = new Vector<T>(a[(3 * H + j)..]);
                    var tc = new Vector<T>(d[(3 * H + j)..]);
                    var dhk = new Vector<T>(dhRow[j..]);
                    if (hasDy) dhk += new Vector<T>(dyRow[j..]);
                    var dO = dhk * tc;
                    var dck = new Vector<T>(dcRow[j..]) + dhk * o * (one - tc * tc);
                    (dck * g * i * (one - i)).CopyTo(d[j..]);
                    (dck * new Vector<T>(cp[j..]) * f * (one - f)).CopyTo(d[(H + j)..]);
                    (dck * i * (one - g * g)).CopyTo(d[(2 * H + j)..]);
                    (dO * o * (one - o)).CopyTo(d[(3 * H + j)..]);
                    (dck * f).CopyTo(dcRow[j..]);
                    Vector<T>.Zero.CopyTo(dhRow[j..]);
                }
            }
            for (; j < H; j++)
            {
                T i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
                T tc = d[3 * H + j];
                T dhk = dhRow[j] + (hasDy ? dyRow[j] : T.Zero);
                T dO = dhk * tc;
                T dck = dcRow[j] + dhk * o * (T.One - tc * tc);
                d[j] = dck * g * i * (T.One - i);
                d[H + j] = dck * cp[j] * f * (T.One - f);
                d[2 * H + j] = dck * i * (T.One - g * g);
                d[3 * H + j] = dO * o * (T.One - o);
                dcRow[j] = dck * f;
                dhRow[j] = T.Zero;
            }
        }
    }
}
