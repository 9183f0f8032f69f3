// Fused pointwise step of the LSTM (PyTorch nn.LSTM, gates in the order i, f, g, o), forward and backward.
// Span in, span out; the GEMMs that produce the gate pre-activations live in the layer, not here.
// B = batch rows, H = hidden units, G = 4H. Reference twin: RecurrentKernelsReference.Lstm*.
// Derivation: docs/derivations/lstm.md.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        if (typeof(T) == typeof(float) && FastActivation.IsAccelerated)
        {
            ForwardF32(batch, hidden, Cast(pre), Cast(hPrev), Cast(cPrev), active, Cast(acts), Cast(h), Cast(c));
            return;
        }
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
    /// <param name="dPre">[B, 4H] gradient of the gate pre-activations. For float32 with <see cref="FastActivation.IsAccelerated"/>
    /// it may be the same memory as <paramref name="acts"/> (each unit's activations are read before its gradients are
    /// written); the generic path needs them apart.</param>
    public static void Backward<T>(int batch, int hidden, ReadOnlySpan<T> acts, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> c,
        ReadOnlySpan<bool> active, ReadOnlySpan<T> dy, Span<T> dh, Span<T> dc, Span<T> dPre) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int H = hidden, G = 4 * hidden;
        const string K = "LstmKernel.Backward";
        CheckBackwardShapes<T>(K, batch, H, acts, cPrev, c, dy, dh, dc, dPre);
        KernelChecks.Active(K, active, batch);
        if (typeof(T) == typeof(float) && FastActivation.IsAccelerated)
        {
            BackwardF32(batch, hidden, Cast(acts), Cast(cPrev), Cast(c), active, Cast(dy), Cast(dh), Cast(dc), Cast(dPre));
            return;
        }
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

    private static Span<float> Cast<T>(Span<T> s) where T : unmanaged => MemoryMarshal.Cast<T, float>(s);
    private static ReadOnlySpan<float> Cast<T>(ReadOnlySpan<T> s) where T : unmanaged => MemoryMarshal.Cast<T, float>(s);

    /// <summary>
    /// Forward for hidden units [<paramref name="j0"/>, <paramref name="j1"/>) of every row (all rows active): the same
    /// arithmetic as <see cref="Forward{T}"/> on those elements, nothing else read or written, so threads can split a
    /// step by units. Spans are whole [B, 4H] / [B, H] buffers. float32 with <see cref="FastActivation.IsAccelerated"/> only;
    /// <paramref name="j0"/> a multiple of 8 keeps results bit-identical to the whole-row call.
    /// </summary>
    internal static void ForwardUnits(int batch, int hidden, int j0, int j1, ReadOnlySpan<float> pre, ReadOnlySpan<float> cPrev,
        Span<float> acts, Span<float> h, Span<float> c)
    {
        int H = hidden, G = 4 * hidden, n = batch * H;
        const string K = "LstmKernel.ForwardUnits";
        KernelChecks.Length(K, "pre", pre.Length, batch * G);
        KernelChecks.Length(K, "acts", acts.Length, batch * G);
        KernelChecks.Length(K, "cPrev", cPrev.Length, n);
        KernelChecks.Length(K, "h", h.Length, n);
        KernelChecks.Length(K, "c", c.Length, n);
        KernelChecks.Units(K, j0, j1, H);
        for (int b = 0; b < batch; b++)
            ForwardRowF32(H, j0, j1, pre.Slice(b * G, G), cPrev.Slice(b * H, H), acts.Slice(b * G, G), h.Slice(b * H, H), c.Slice(b * H, H));
    }

    // float32, one fused pass per row: 8 units per iteration through all four gates, the cell and the output.
    private static void ForwardF32(int batch, int H, ReadOnlySpan<float> pre, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<bool> active, Span<float> acts, Span<float> h, Span<float> c)
    {
        int G = 4 * H;
        for (int b = 0; b < batch; b++)
        {
            int q = b * G, k = b * H;
            if (!active.IsEmpty && !active[b])
            {
                hPrev.Slice(k, H).CopyTo(h.Slice(k, H));
                cPrev.Slice(k, H).CopyTo(c.Slice(k, H));
                acts.Slice(q, G).Clear();
                continue;
            }
            ForwardRowF32(H, 0, H, pre.Slice(q, G), cPrev.Slice(k, H), acts.Slice(q, G), h.Slice(k, H), c.Slice(k, H));
        }
    }

    /// <summary>Units [j0, j1) of one row: p, a [4H]; cp, cRow, hRow [H]. Four passes over the units (σ of i and f, tanh of g,
    /// σ of o, then c and h), each loop with one kind of activation: in a single loop with all five activations the JIT kept
    /// their shared constants live across the body and spilled them (~60 stack accesses per 8 units); the passes measured
    /// 6–8% faster (in-process A/B, B=32 H=256). The row (4H floats) stays in L1 between passes. Element for element the
    /// same operations, and the same vector/scalar split of [j0, j1), as before.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static void ForwardRowF32(int H, int j0, int j1, ReadOnlySpan<float> p, ReadOnlySpan<float> cp, Span<float> a,
        Span<float> hRow, Span<float> cRow)
    {
        int vEnd = j0 + (j1 - j0) / 8 * 8;                                             // [j0, vEnd) vector, [vEnd, j1) scalar
        for (int j = j0; j < vEnd; j += 8)
        {
            FastActivation.Sigmoid(Vector256.Create(p.Slice(j, 8))).CopyTo(a.Slice(j, 8));
            FastActivation.Sigmoid(Vector256.Create(p.Slice(H + j, 8))).CopyTo(a.Slice(H + j, 8));
        }
        for (int j = j0; j < vEnd; j += 8)
            FastActivation.Tanh(Vector256.Create(p.Slice(2 * H + j, 8))).CopyTo(a.Slice(2 * H + j, 8));
        for (int j = j0; j < vEnd; j += 8)
            FastActivation.Sigmoid(Vector256.Create(p.Slice(3 * H + j, 8))).CopyTo(a.Slice(3 * H + j, 8));
        for (int j = j0; j < vEnd; j += 8)
        {
            var cn = Vector256.Create(a.Slice(H + j, 8)) * Vector256.Create(cp.Slice(j, 8)) + Vector256.Create(a.Slice(j, 8)) * Vector256.Create(a.Slice(2 * H + j, 8));
            cn.CopyTo(cRow.Slice(j, 8));
            (Vector256.Create(a.Slice(3 * H + j, 8)) * FastActivation.Tanh(cn)).CopyTo(hRow.Slice(j, 8));
        }
        for (int j = vEnd; j < j1; j++)
        {
            float i = FastActivation.Sigmoid(p[j]), f = FastActivation.Sigmoid(p[H + j]);
            float g = FastActivation.Tanh(p[2 * H + j]), o = FastActivation.Sigmoid(p[3 * H + j]);
            float cn = f * cp[j] + i * g;
            a[j] = i; a[H + j] = f; a[2 * H + j] = g; a[3 * H + j] = o;
            cRow[j] = cn;
            hRow[j] = o * FastActivation.Tanh(cn);
        }
    }

    /// <summary>
    /// Backward for hidden units [<paramref name="j0"/>, <paramref name="j1"/>) of every row (all rows active): the
    /// same arithmetic as <see cref="Backward{T}"/> on those elements (gate gradients of those units, their dh zeroed
    /// and dc carried), nothing else touched. Spans are whole buffers; <paramref name="dy"/> may be empty. float32 with
    /// <see cref="FastActivation.IsAccelerated"/> only.
    /// </summary>
    internal static void BackwardUnits(int batch, int hidden, int j0, int j1, ReadOnlySpan<float> acts, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> c, ReadOnlySpan<float> dy, Span<float> dh, Span<float> dc, Span<float> dPre)
    {
        int H = hidden, G = 4 * hidden;
        const string K = "LstmKernel.BackwardUnits";
        CheckBackwardShapes<float>(K, batch, H, acts, cPrev, c, dy, dh, dc, dPre);
        KernelChecks.Units(K, j0, j1, H);
        for (int b = 0; b < batch; b++)
        {
            int q = b * G, k = b * H;
            BackwardRowF32(H, j0, j1, acts.Slice(q, G), cPrev.Slice(k, H), c.Slice(k, H), dy.IsEmpty ? default : dy.Slice(k, H),
                dh.Slice(k, H), dc.Slice(k, H), dPre.Slice(q, G));
        }
    }

    private static void BackwardF32(int batch, int H, ReadOnlySpan<float> acts, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> c,
        ReadOnlySpan<bool> active, ReadOnlySpan<float> dy, Span<float> dh, Span<float> dc, Span<float> dPre)
    {
        int G = 4 * H;
        bool hasDy = !dy.IsEmpty;
        for (int b = 0; b < batch; b++)
        {
            int q = b * G, k = b * H;
            if (!active.IsEmpty && !active[b]) { dPre.Slice(q, G).Clear(); continue; }
            BackwardRowF32(H, 0, H, acts.Slice(q, G), cPrev.Slice(k, H), c.Slice(k, H), hasDy ? dy.Slice(k, H) : default,
                dh.Slice(k, H), dc.Slice(k, H), dPre.Slice(q, G));
        }
    }

    /// <summary>Units [j0, j1) of one row: a, d [4H]; the others [H] (dyRow empty = no output gradient).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static void BackwardRowF32(int H, int j0, int j1, ReadOnlySpan<float> a, ReadOnlySpan<float> cp, ReadOnlySpan<float> cRow,
        ReadOnlySpan<float> dyRow, Span<float> dhRow, Span<float> dcRow, Span<float> d)
    {
        bool hasDy = !dyRow.IsEmpty;
        var one = Vector256<float>.One;
        int j = j0;
        for (; j <= j1 - 8; j += 8)
        {
            var i = Vector256.Create(a.Slice(j, 8)); var f = Vector256.Create(a.Slice(H + j, 8));
            var g = Vector256.Create(a.Slice(2 * H + j, 8)); var o = Vector256.Create(a.Slice(3 * H + j, 8));
            var tc = FastActivation.Tanh(Vector256.Create(cRow.Slice(j, 8)));
            var dhk = Vector256.Create(dhRow.Slice(j, 8));
            if (hasDy) dhk += Vector256.Create(dyRow.Slice(j, 8));
            var dO = dhk * tc;
            var dck = Vector256.Create(dcRow.Slice(j, 8)) + dhk * o * (one - tc * tc);
            (dck * g * i * (one - i)).CopyTo(d.Slice(j, 8));
            (dck * Vector256.Create(cp.Slice(j, 8)) * f * (one - f)).CopyTo(d.Slice(H + j, 8));
            (dck * i * (one - g * g)).CopyTo(d.Slice(2 * H + j, 8));
            (dO * o * (one - o)).CopyTo(d.Slice(3 * H + j, 8));
            (dck * f).CopyTo(dcRow.Slice(j, 8));
            Vector256<float>.Zero.CopyTo(dhRow.Slice(j, 8));
        }
        for (; j < j1; j++)
        {
            float i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
            float tc = FastActivation.Tanh(cRow[j]);
            float dhk = dhRow[j] + (hasDy ? dyRow[j] : 0f);
            float dO = dhk * tc;
            float dck = dcRow[j] + dhk * o * (1f - tc * tc);
            d[j] = dck * g * i * (1f - i);
            d[H + j] = dck * cp[j] * f * (1f - f);
            d[2 * H + j] = dck * i * (1f - g * g);
            d[3 * H + j] = dO * o * (1f - o);
            dcRow[j] = dck * f;
            dhRow[j] = 0f;
        }
    }

    /// <summary>The buffer-length checks shared by the whole-row and unit-range backward kernels.</summary>
    private static void CheckBackwardShapes<T>(string K, int batch, int H, ReadOnlySpan<T> acts, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> c,
        ReadOnlySpan<T> dy, ReadOnlySpan<T> dh, ReadOnlySpan<T> dc, ReadOnlySpan<T> dPre)
    {
        int G = 4 * H, n = batch * H;
        KernelChecks.Length(K, "acts", acts.Length, batch * G);
        KernelChecks.Length(K, "dPre", dPre.Length, batch * G);
        KernelChecks.Length(K, "cPrev", cPrev.Length, n);
        KernelChecks.Length(K, "c", c.Length, n);
        KernelChecks.Length(K, "dh", dh.Length, n);
        KernelChecks.Length(K, "dc", dc.Length, n);
        if (!dy.IsEmpty) KernelChecks.Length(K, "dy", dy.Length, n);
    }
}
