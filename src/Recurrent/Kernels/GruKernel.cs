// Fused pointwise step of the GRU (PyTorch nn.GRU, gates in the order r, z, n), forward and backward.
// PyTorch's n-gate applies r to the hidden projection INCLUDING its bias: n = tanh(x_n + r ⊙ (W_hn·h + b_hn)),
// so the hidden projection of the n slice is passed separately from the input projection.
// B = batch rows, H = hidden units, G = 3H. Reference twin: RecurrentKernelsReference.Gru*.
// Derivation: docs/derivations/gru.md.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Recurrent.Kernels;

/// <summary>GRU step kernels:
/// <c>r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r⊙(h_n + b_hn)), h = (1−z)⊙n + z⊙h_prev</c>,
/// where <c>x_* = x·W_i*ᵀ + b_i*</c> (plus b_hr, b_hz folded in) and <c>h_* = h_prev·W_h*ᵀ</c>.</summary>
public static class GruKernel
{
    /// <summary>
    /// Forward. A finished row (<c>active[b] == false</c>) keeps <c>h = hPrev</c> and gets zero
    /// activations; <paramref name="active"/> empty means all rows are active.
    /// </summary>
    /// <param name="batch">B, the number of rows.</param>
    /// <param name="hidden">H, the hidden size.</param>
    /// <param name="active">[B] rows still running at this step, or empty for all.</param>
    /// <param name="xg">[B, 3H] input projections with b_ih (and b_hr, b_hz) added.</param>
    /// <param name="hg">[B, 3H] hidden projections h_prev·W_hhᵀ without bias.</param>
    /// <param name="bhn">[H] the hidden bias of the n gate, or empty when there is no bias.</param>
    /// <param name="hPrev">[B, H] previous state.</param>
    /// <param name="acts">[B, 3H] activated r, z, n saved for backward (may alias <paramref name="xg"/>).</param>
    /// <param name="hn">[B, H] saved <c>h_n + b_hn</c> (needed for dr).</param>
    /// <param name="h">[B, H] new state.</param>
    public static void Forward<T>(int batch, int hidden, ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhn,
        ReadOnlySpan<T> hPrev, ReadOnlySpan<bool> active, Span<T> acts, Span<T> hn, Span<T> h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int H = hidden, G = 3 * hidden;
        const string K = "GruKernel.Forward";
        CheckForwardShapes<T>(K, batch, H, xg, hg, bhn, hPrev, acts, hn, h);
        KernelChecks.Active(K, active, batch);
        if (typeof(T) == typeof(float) && FastActivation.IsAccelerated)
        {
            ForwardF32(batch, hidden, Cast(xg), Cast(hg), Cast(bhn), Cast(hPrev), active, Cast(acts), Cast(hn), Cast(h));
            return;
        }
        for (int b = 0; b < batch; b++)
        {
            int q = b * G, k = b * H;
            var hRow = h.Slice(k, H); var hnRow = hn.Slice(k, H); var hp = hPrev.Slice(k, H);
            if (!active.IsEmpty && !active[b])
            {
                hp.CopyTo(hRow);
                hnRow.Clear();
                acts.Slice(q, G).Clear();
                continue;
            }
            var rz = acts.Slice(q, 2 * H);
            TensorPrimitives.Add(xg.Slice(q, 2 * H), hg.Slice(q, 2 * H), rz);        // r, z pre-activations
            TensorPrimitives.Sigmoid(rz, rz);
            if (bhn.IsEmpty) hg.Slice(q + 2 * H, H).CopyTo(hnRow);
            else TensorPrimitives.Add(hg.Slice(q + 2 * H, H), bhn[..H], hnRow);      // h_n + b_hn
            var nAct = acts.Slice(q + 2 * H, H);
            TensorPrimitives.MultiplyAdd(acts.Slice(q, H), hnRow, xg.Slice(q + 2 * H, H), nAct); // x_n + r⊙(h_n + b_hn)
            TensorPrimitives.Tanh(nAct, nAct);
            var z = acts.Slice(q + H, H);
            int j = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
                for (; j <= H - Vector<T>.Count; j += Vector<T>.Count)
                {
                    var zv = new Vector<T>(z[j..]);
                    ((Vector<T>.One - zv) * new Vector<T>(nAct[j..]) + zv * new Vector<T>(hp[j..])).CopyTo(hRow[j..]);
                }
            for (; j < H; j++) hRow[j] = (T.One - z[j]) * nAct[j] + z[j] * hp[j];
        }
    }

    /// <summary>
    /// Backward for one step. For an active row, with <c>δh = dh + dy</c>:
    /// <c>da_n = δh⊙(1−z)⊙(1−n²)</c>, <c>da_z = δh⊙(h_prev − n)⊙z(1−z)</c>, <c>da_r = da_n⊙(h_n+b_hn)⊙r(1−r)</c>;
    /// input-side gradient <c>dXg = [da_r, da_z, da_n]</c>, hidden-side <c>dHg = [da_r, da_z, da_n⊙r]</c>,
    /// and <c>dh ← δh⊙z</c> (the caller adds <c>dHg·W_hh</c>). A finished row gets zero gate
    /// gradients and keeps dh.
    /// </summary>
    /// <param name="batch">B, the number of rows.</param>
    /// <param name="hidden">H, the hidden size.</param>
    /// <param name="active">[B] rows still running at this step, or empty for all.</param>
    /// <param name="acts">[B, 3H] r, z, n saved by <see cref="Forward{T}"/>.</param>
    /// <param name="hn">[B, H] saved <c>h_n + b_hn</c>.</param>
    /// <param name="hPrev">[B, H] state before the step.</param>
    /// <param name="dy">[B, H] gradient of this step's output, or empty.</param>
    /// <param name="dh">[B, H] in: gradient of h from later steps; out: direct part of d h_prev.</param>
    /// <param name="dXg">[B, 3H] gradient of the input projections (and of b_ih).</param>
    /// <param name="dHg">[B, 3H] gradient of the hidden projections including b_hh.</param>
    public static void Backward<T>(int batch, int hidden, ReadOnlySpan<T> acts, ReadOnlySpan<T> hn, ReadOnlySpan<T> hPrev,
        ReadOnlySpan<bool> active, ReadOnlySpan<T> dy, Span<T> dh, Span<T> dXg, Span<T> dHg) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int H = hidden, G = 3 * hidden;
        const string K = "GruKernel.Backward";
        CheckBackwardShapes<T>(K, batch, H, acts, hn, hPrev, dy, dh, dXg, dHg);
        KernelChecks.Active(K, active, batch);
        bool hasDy = !dy.IsEmpty;
        for (int b = 0; b < batch; b++)
        {
            int q = b * G, k = b * H;
            if (!active.IsEmpty && !active[b]) { dXg.Slice(q, G).Clear(); dHg.Slice(q, G).Clear(); continue; }
            BackwardRow(H, 0, H, acts.Slice(q, G), hn.Slice(k, H), hPrev.Slice(k, H), hasDy ? dy.Slice(k, H) : default,
                dh.Slice(k, H), dXg.Slice(q, G), dHg.Slice(q, G));
        }
    }

    /// <summary>
    /// Backward for hidden units [<paramref name="j0"/>, <paramref name="j1"/>) of every row (all rows active): the same
    /// arithmetic as <see cref="Backward{T}"/> on those elements, nothing else touched, so threads can split a step by
    /// units. Spans are whole buffers; <paramref name="dy"/> may be empty.
    /// </summary>
    internal static void BackwardUnits<T>(int batch, int hidden, int j0, int j1, ReadOnlySpan<T> acts, ReadOnlySpan<T> hn,
        ReadOnlySpan<T> hPrev, ReadOnlySpan<T> dy, Span<T> dh, Span<T> dXg, Span<T> dHg) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int H = hidden, G = 3 * hidden;
        const string K = "GruKernel.BackwardUnits";
        CheckBackwardShapes<T>(K, batch, H, acts, hn, hPrev, dy, dh, dXg, dHg);
        KernelChecks.Units(K, j0, j1, H);
        for (int b = 0; b < batch; b++)
        {
            int q = b * G, k = b * H;
            BackwardRow(H, j0, j1, acts.Slice(q, G), hn.Slice(k, H), hPrev.Slice(k, H), dy.IsEmpty ? default : dy.Slice(k, H),
                dh.Slice(k, H), dXg.Slice(q, G), dHg.Slice(q, G));
        }
    }

    /// <summary>Units [j0, j1) of one row: a, dx, dhg [3H]; the others [H] (dyRow empty = no output gradient).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static void BackwardRow<T>(int H, int j0, int j1, ReadOnlySpan<T> a, ReadOnlySpan<T> hnRow, ReadOnlySpan<T> hp,
        ReadOnlySpan<T> dyRow, Span<T> dhRow, Span<T> dx, Span<T> dhg) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool hasDy = !dyRow.IsEmpty;
        int j = j0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var one = Vector<T>.One;
            for (; j <= j1 - Vector<T>.Count; j += Vector<T>.Count)
            {
                var r = new Vector<T>(a[j..]); var z = new Vector<T>(a[(H + j)..]); var nv = new Vector<T>(a[(2 * H + j)..]);
                var dhk = new Vector<T>(dhRow[j..]);
                if (hasDy) dhk += new Vector<T>(dyRow[j..]);
                var dn = dhk * (one - z);
                var dz = dhk * (new Vector<T>(hp[j..]) - nv);
                var dan = dn * (one - nv * nv);
                var dr = dan * new Vector<T>(hnRow[j..]);
                var dar = dr * r * (one - r);
                var daz = dz * z * (one - z);
                dar.CopyTo(dx[j..]); daz.CopyTo(dx[(H + j)..]); dan.CopyTo(dx[(2 * H + j)..]);
                dar.CopyTo(dhg[j..]); daz.CopyTo(dhg[(H + j)..]); (dan * r).CopyTo(dhg[(2 * H + j)..]);
                (dhk * z).CopyTo(dhRow[j..]);
            }
        }
        for (; j < j1; j++)
        {
            T r = a[j], z = a[H + j], nv = a[2 * H + j];
            T dhk = dhRow[j] + (hasDy ? dyRow[j] : T.Zero);
            T dn = dhk * (T.One - z);
            T dz = dhk * (hp[j] - nv);
            T dan = dn * (T.One - nv * nv);
            T dr = dan * hnRow[j];
            T dar = dr * r * (T.One - r);
            T daz = dz * z * (T.One - z);
            dx[j] = dar; dx[H + j] = daz; dx[2 * H + j] = dan;
            dhg[j] = dar; dhg[H + j] = daz; dhg[2 * H + j] = dan * r;
            dhRow[j] = dhk * z;
        }
    }

    private static Span<float> Cast<T>(Span<T> s) where T : unmanaged => MemoryMarshal.Cast<T, float>(s);
    private static ReadOnlySpan<float> Cast<T>(ReadOnlySpan<T> s) where T : unmanaged => MemoryMarshal.Cast<T, float>(s);

    /// <summary>
    /// Forward for hidden units [<paramref name="j0"/>, <paramref name="j1"/>) of every row (all rows active): the same
    /// arithmetic as <see cref="Forward{T}"/> on those elements, nothing else read or written. Spans are whole buffers.
    /// float32 with <see cref="FastActivation.IsAccelerated"/> only; <paramref name="j0"/> a multiple of 8 keeps results
    /// bit-identical to the whole-row call.
    /// </summary>
    internal static void ForwardUnits(int batch, int hidden, int j0, int j1, ReadOnlySpan<float> xg, ReadOnlySpan<float> hg,
        ReadOnlySpan<float> bhn, ReadOnlySpan<float> hPrev, Span<float> acts, Span<float> hn, Span<float> h)
    {
        int H = hidden, G = 3 * hidden;
        const string K = "GruKernel.ForwardUnits";
        CheckForwardShapes<float>(K, batch, H, xg, hg, bhn, hPrev, acts, hn, h);
        KernelChecks.Units(K, j0, j1, H);
        for (int b = 0; b < batch; b++)
        {
            int q = b * G, k = b * H;
            ForwardRowF32(H, j0, j1, xg.Slice(q, G), hg.Slice(q, G), bhn, hPrev.Slice(k, H), acts.Slice(q, G), hn.Slice(k, H), h.Slice(k, H));
        }
    }

    // float32, one fused pass per row, 8 units per iteration.
    private static void ForwardF32(int batch, int H, ReadOnlySpan<float> xg, ReadOnlySpan<float> hg, ReadOnlySpan<float> bhn,
        ReadOnlySpan<float> hPrev, ReadOnlySpan<bool> active, Span<float> acts, Span<float> hn, Span<float> h)
    {
        int G = 3 * H;
        for (int b = 0; b < batch; b++)
        {
            int q = b * G, k = b * H;
            if (!active.IsEmpty && !active[b])
            {
                hPrev.Slice(k, H).CopyTo(h.Slice(k, H));
                hn.Slice(k, H).Clear();
                acts.Slice(q, G).Clear();
                continue;
            }
            ForwardRowF32(H, 0, H, xg.Slice(q, G), hg.Slice(q, G), bhn, hPrev.Slice(k, H), acts.Slice(q, G), hn.Slice(k, H), h.Slice(k, H));
        }
    }

    /// <summary>Units [j0, j1) of one row: x, hh, a [3H]; bhn [H] or empty; hp, hnRow, hRow [H].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // hot loop: full optimisation at once, no tier-0 phase inside short benchmarks
    private static void ForwardRowF32(int H, int j0, int j1, ReadOnlySpan<float> x, ReadOnlySpan<float> hh, ReadOnlySpan<float> bhn,
        ReadOnlySpan<float> hp, Span<float> a, Span<float> hnRow, Span<float> hRow)
    {
        bool hasBias = !bhn.IsEmpty;
        int j = j0;
        for (; j <= j1 - 8; j += 8)
        {
            var r = FastActivation.Sigmoid(Vector256.Create(x.Slice(j, 8)) + Vector256.Create(hh.Slice(j, 8)));
            var z = FastActivation.Sigmoid(Vector256.Create(x.Slice(H + j, 8)) + Vector256.Create(hh.Slice(H + j, 8)));
            var hnk = Vector256.Create(hh.Slice(2 * H + j, 8));
            if (hasBias) hnk += Vector256.Create(bhn.Slice(j, 8));
            var n = FastActivation.Tanh(Vector256.Create(x.Slice(2 * H + j, 8)) + r * hnk);
            r.CopyTo(a.Slice(j, 8)); z.CopyTo(a.Slice(H + j, 8)); n.CopyTo(a.Slice(2 * H + j, 8));
            hnk.CopyTo(hnRow.Slice(j, 8));
            ((Vector256<float>.One - z) * n + z * Vector256.Create(hp.Slice(j, 8))).CopyTo(hRow.Slice(j, 8));
        }
        for (; j < j1; j++)
        {
            float r = FastActivation.Sigmoid(x[j] + hh[j]);
            float z = FastActivation.Sigmoid(x[H + j] + hh[H + j]);
            float hnk = hh[2 * H + j] + (hasBias ? bhn[j] : 0f);
            float n = FastActivation.Tanh(x[2 * H + j] + r * hnk);
            a[j] = r; a[H + j] = z; a[2 * H + j] = n;
            hnRow[j] = hnk;
            hRow[j] = (1f - z) * n + z * hp[j];
        }
    }

    /// <summary>The buffer-length checks shared by the whole-row and unit-range forward kernels.</summary>
    private static void CheckForwardShapes<T>(string K, int batch, int H, ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhn,
        ReadOnlySpan<T> hPrev, ReadOnlySpan<T> acts, ReadOnlySpan<T> hn, ReadOnlySpan<T> h)
    {
        int G = 3 * H, n = batch * H;
        KernelChecks.Length(K, "xg", xg.Length, batch * G);
        KernelChecks.Length(K, "hg", hg.Length, batch * G);
        KernelChecks.Length(K, "acts", acts.Length, batch * G);
        KernelChecks.Length(K, "hPrev", hPrev.Length, n);
        KernelChecks.Length(K, "hn", hn.Length, n);
        KernelChecks.Length(K, "h", h.Length, n);
        if (!bhn.IsEmpty) KernelChecks.Length(K, "bhn", bhn.Length, H);
    }

    /// <summary>The buffer-length checks shared by the whole-row and unit-range backward kernels.</summary>
    private static void CheckBackwardShapes<T>(string K, int batch, int H, ReadOnlySpan<T> acts, ReadOnlySpan<T> hn, ReadOnlySpan<T> hPrev,
        ReadOnlySpan<T> dy, ReadOnlySpan<T> dh, ReadOnlySpan<T> dXg, ReadOnlySpan<T> dHg)
    {
        int G = 3 * H, n = batch * H;
        KernelChecks.Length(K, "acts", acts.Length, batch * G);
        KernelChecks.Length(K, "dXg", dXg.Length, batch * G);
        KernelChecks.Length(K, "dHg", dHg.Length, batch * G);
        KernelChecks.Length(K, "hn", hn.Length, n);
        KernelChecks.Length(K, "hPrev", hPrev.Length, n);
        KernelChecks.Length(K, "dh", dh.Length, n);
        if (!dy.IsEmpty) KernelChecks.Length(K, "dy", dy.Length, n);
    }
}
