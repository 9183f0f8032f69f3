// Plain scalar twins of the fused recurrent gate kernels (RnnKernel, LstmKernel, GruKernel).
// Written for clarity, one element at a time, generic so they run in double; the tests compare the
// fast kernels against these. Shapes: B rows (batch), H hidden units; an empty `active` means every
// row is active; a finished (inactive) row keeps its state and contributes no gradient.
using System.Numerics;

namespace Recurrent.Kernels;

/// <summary>Reference (scalar, generic) implementations of the recurrent gate kernels.</summary>
public static class RecurrentKernelsReference
{
    private static T Sigmoid<T>(T x) where T : IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));

    private static bool IsActive(ReadOnlySpan<bool> active, int b) => active.IsEmpty || active[b];

    // ----- Elman RNN: h = act(a), a = x·W_ihᵀ + b_ih + h_prev·W_hhᵀ + b_hh -----

    /// <summary>See <see cref="RnnKernel.Forward{T}"/>.</summary>
    public static void RnnForward<T>(int batch, int hidden, bool relu, ReadOnlySpan<T> pre, ReadOnlySpan<T> hPrev,
        ReadOnlySpan<bool> active, Span<T> h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < hidden; j++)
            {
                int k = b * hidden + j;
                if (!IsActive(active, b)) { h[k] = hPrev[k]; continue; }
                T a = pre[k];
                h[k] = relu ? (a > T.Zero ? a : T.Zero) : T.Tanh(a);
            }
    }

    /// <summary>See <see cref="RnnKernel.Backward{T}"/>.</summary>
    public static void RnnBackward<T>(int batch, int hidden, bool relu, ReadOnlySpan<T> h, ReadOnlySpan<bool> active,
        ReadOnlySpan<T> dy, Span<T> dh, Span<T> dPre) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < hidden; j++)
            {
                int k = b * hidden + j;
                if (!IsActive(active, b)) { dPre[k] = T.Zero; continue; }     // dh carries through unchanged
                T g = dh[k] + (dy.IsEmpty ? T.Zero : dy[k]);
                T hk = h[k];
                // tanh' = 1 − h², relu' = [a > 0] = [h > 0]
                dPre[k] = relu ? (hk > T.Zero ? g : T.Zero) : g * (T.One - hk * hk);
                dh[k] = T.Zero;                                              // the GEMM adds dPre·W_hh
            }
    }

    // ----- LSTM, gates i, f, g, o -----

    /// <summary>See <see cref="LstmKernel.Forward{T}"/>.</summary>
    public static void LstmForward<T>(int batch, int hidden, ReadOnlySpan<T> pre, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> cPrev,
        ReadOnlySpan<bool> active, Span<T> acts, Span<T> h, Span<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int H = hidden, G = 4 * hidden;
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < H; j++)
            {
                int k = b * H + j, q = b * G + j;
                if (!IsActive(active, b))
                {
                    h[k] = hPrev[k]; c[k] = cPrev[k];
                    acts[q] = acts[q + H] = acts[q + 2 * H] = acts[q + 3 * H] = T.Zero;
                    continue;
                }
                T i = Sigmoid(pre[q]);
                T f = Sigmoid(pre[q + H]);
                T g = T.Tanh(pre[q + 2 * H]);
                T o = Sigmoid(pre[q + 3 * H]);
                T cn = f * cPrev[k] + i * g;
                acts[q] = i; acts[q + H] = f; acts[q + 2 * H] = g; acts[q + 3 * H] = o;
                c[k] = cn;
                h[k] = o * T.Tanh(cn);
            }
        }
    }

    /// <summary>See <see cref="LstmKernel.Backward{T}"/>.</summary>
    public static void LstmBackward<T>(int batch, int hidden, ReadOnlySpan<T> acts, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> c,
        ReadOnlySpan<bool> active, ReadOnlySpan<T> dy, Span<T> dh, Span<T> dc, Span<T> dPre) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int H = hidden, G = 4 * hidden;
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < H; j++)
            {
                int k = b * H + j, q = b * G + j;
                if (!IsActive(active, b))
                {
                    dPre[q] = dPre[q + H] = dPre[q + 2 * H] = dPre[q + 3 * H] = T.Zero;
                    continue;                                                // dh, dc carry through
                }
                T i = acts[q], f = acts[q + H], g = acts[q + 2 * H], o = acts[q + 3 * H];
                T dhk = dh[k] + (dy.IsEmpty ? T.Zero : dy[k]);
                T tc = T.Tanh(c[k]);
                // h = o·tanh(c)
                T dO = dhk * tc;
                T dck = dc[k] + dhk * o * (T.One - tc * tc);
                // c = f·c_prev + i·g
                T dI = dck * g, dF = dck * cPrev[k], dG = dck * i;
                dPre[q] = dI * i * (T.One - i);
                dPre[q + H] = dF * f * (T.One - f);
                dPre[q + 2 * H] = dG * (T.One - g * g);
                dPre[q + 3 * H] = dO * o * (T.One - o);
                dc[k] = dck * f;
                dh[k] = T.Zero;                                              // the GEMM adds dPre·W_hh
            }
        }
    }

    // ----- GRU, gates r, z, n; n = tanh(xn + r ⊙ (W_hn·h + b_hn)) -----

    /// <summary>See <see cref="GruKernel.Forward{T}"/>.</summary>
    public static void GruForward<T>(int batch, int hidden, ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhn,
        ReadOnlySpan<T> hPrev, ReadOnlySpan<bool> active, Span<T> acts, Span<T> hn, Span<T> h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int H = hidden, G = 3 * hidden;
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < H; j++)
            {
                int k = b * H + j, q = b * G + j;
                if (!IsActive(active, b))
                {
                    h[k] = hPrev[k]; hn[k] = T.Zero;
                    acts[q] = acts[q + H] = acts[q + 2 * H] = T.Zero;
                    continue;
                }
                T r = Sigmoid(xg[q] + hg[q]);
                T z = Sigmoid(xg[q + H] + hg[q + H]);
                T hnk = hg[q + 2 * H] + (bhn.IsEmpty ? T.Zero : bhn[j]);
                T n = T.Tanh(xg[q + 2 * H] + r * hnk);
                acts[q] = r; acts[q + H] = z; acts[q + 2 * H] = n;
                hn[k] = hnk;
                h[k] = (T.One - z) * n + z * hPrev[k];
            }
        }
    }

    /// <summary>See <see cref="GruKernel.Backward{T}"/>.</summary>
    public static void GruBackward<T>(int batch, int hidden, ReadOnlySpan<T> acts, ReadOnlySpan<T> hn, ReadOnlySpan<T> hPrev,
        ReadOnlySpan<bool> active, ReadOnlySpan<T> dy, Span<T> dh, Span<T> dXg, Span<T> dHg) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int H = hidden, G = 3 * hidden;
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < H; j++)
            {
                int k = b * H + j, q = b * G + j;
                if (!IsActive(active, b))
                {
                    dXg[q] = dXg[q + H] = dXg[q + 2 * H] = T.Zero;
                    dHg[q] = dHg[q + H] = dHg[q + 2 * H] = T.Zero;
                    continue;                                                // dh carries through
                }
                T r = acts[q], z = acts[q + H], n = acts[q + 2 * H];
                T dhk = dh[k] + (dy.IsEmpty ? T.Zero : dy[k]);
                // h = (1 − z)·n + z·h_prev
                T dn = dhk * (T.One - z);
                T dz = dhk * (hPrev[k] - n);
                // n = tanh(xn + r·hn)
                T dan = dn * (T.One - n * n);
                T dr = dan * hn[k];
                T dar = dr * r * (T.One - r);
                T daz = dz * z * (T.One - z);
                dXg[q] = dar; dXg[q + H] = daz; dXg[q + 2 * H] = dan;
                dHg[q] = dar; dHg[q + H] = daz; dHg[q + 2 * H] = dan * r;
                dh[k] = dhk * z;                                             // the GEMM adds dHg·W_hh
            }
        }
    }
}
