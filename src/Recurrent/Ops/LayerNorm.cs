// Layer normalisation over the last dimension (PyTorch's F.layer_norm with normalized_shape = [D]).
// D = normalised width, N = number of rows (product of the leading dimensions).
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary><c>y = (x − μ)/√(σ² + eps) ⊙ w + b</c> per row of the last dimension, σ² the biased variance.
    /// x is [..., D]; weight and bias are [D] or null (then 1 and 0).</summary>
    /// <exception cref="ArgumentException">weight or bias is not [D].</exception>
    public static Tensor<T> LayerNorm<T>(Tensor<T> x, Tensor<T>? weight, Tensor<T>? bias, double eps = 1e-5)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank < 1) throw new ArgumentException("LayerNorm: input is a scalar.");
        int D = x.Dim(-1);
        if (weight is not null && (weight.Rank != 1 || weight.Length != D))
            throw new ArgumentException($"LayerNorm: weight {Tensor<T>.FormatShape(weight.Shape)} does not fit input {Tensor<T>.FormatShape(x.Shape)}.");
        if (bias is not null && (bias.Rank != 1 || bias.Length != D))
            throw new ArgumentException($"LayerNorm: bias {Tensor<T>.FormatShape(bias.Shape)} does not fit input {Tensor<T>.FormatShape(x.Shape)}.");
        int N = D == 0 ? 0 : x.Length / D;
        T e = T.CreateChecked(eps), invD = T.One / T.CreateChecked(D);
        var y = new Tensor<T>(x.Shape.ToArray());
        var xhat = new T[x.Length];                                      // [N, D] normalised input, kept for backward
        var rstd = new T[N];                                             // [N] 1/√(σ² + eps)
        for (int r = 0; r < N; r++)
        {
            var xr = x.Data.Slice(r * D, D);
            T mean = T.Zero;
            for (int i = 0; i < D; i++) mean += xr[i];
            mean *= invD;
            T var = T.Zero;                                              // two passes: no cancellation from E[x²] − μ²
            for (int i = 0; i < D; i++) { T c = xr[i] - mean; var += c * c; }
            var *= invD;
            T rs = T.One / T.Sqrt(var + e);
            rstd[r] = rs;
            var yr = y.Data.Slice(r * D, D);
            for (int i = 0; i < D; i++)
            {
                T h = (xr[i] - mean) * rs;
                xhat[r * D + i] = h;
                yr[i] = h * (weight is null ? T.One : weight.Data[i]) + (bias is null ? T.Zero : bias.Data[i]);
            }
        }
        if (Graph.ShouldRecord(x, weight, bias))
        {
            Graph.Record("LayerNorm", [x, weight, bias], () =>
            {
                if (y.Grad is not { } dy) return;
                var dyv = dy.Data;
                // y = x̂·w + b  ⇒  dw = Σ_rows dy·x̂, db = Σ_rows dy
                if (weight is { RequiresGrad: true })
                {
                    var gw = weight.GradForAccumulation();
                    for (int r = 0; r < N; r++) for (int i = 0; i < D; i++) gw[i] += dyv[r * D + i] * xhat[r * D + i];
                }
                if (bias is { RequiresGrad: true }) Kernels.Elementwise.SumRowsInto<T>(dyv, bias.GradForAccumulation());
                if (!x.RequiresGrad) return;
                // x̂ = (x − μ)·rstd  ⇒  dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dx̂ = dy·w
                var gx = x.GradForAccumulation();
                for (int r = 0; r < N; r++)
                {
                    T m1 = T.Zero, m2 = T.Zero;
                    for (int i = 0; i < D; i++)
                    {
                        T dh = dyv[r * D + i] * (weight is null ? T.One : weight.Data[i]);
                        m1 += dh; m2 += dh * xhat[r * D + i];
                    }
                    m1 *= invD; m2 *= invD;
                    for (int i = 0; i < D; i++)
                    {
                        T dh = dyv[r * D + i] * (weight is null ? T.One : weight.Data[i]);
                        gx[r * D + i] += rstd[r] * (dh - m1 - xhat[r * D + i] * m2);
                    }
                }
            }, y);
        }
        return y;
    }
}
