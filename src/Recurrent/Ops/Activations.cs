// Pointwise nonlinearities: tanh, logistic sigmoid, ReLU. Backward rules use the saved output where possible.
using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary><c>y = tanh(x)</c>.</summary>
    public static Tensor<T> Tanh<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new Tensor<T>(x.Shape.ToArray());
        TensorPrimitives.Tanh<T>(x.Data, y.Data);
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("Tanh", [x], () =>
            {
                if (y.Grad is not { } dy) return;
                // y = tanh x  ⇒  dx = dy·(1 − y²)
                var g = x.GradForAccumulation(); var yv = y.Data; var d = dy.Data;
                for (int i = 0; i < g.Length; i++) g[i] += d[i] * (T.One - yv[i] * yv[i]);
            }, y);
        }
        return y;
    }

    /// <summary><c>y = 1 / (1 + e^(−x))</c>.</summary>
    public static Tensor<T> Sigmoid<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new Tensor<T>(x.Shape.ToArray());
        TensorPrimitives.Sigmoid<T>(x.Data, y.Data);
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("Sigmoid", [x], () =>
            {
                if (y.Grad is not { } dy) return;
                // y = σ(x)  ⇒  dx = dy·y·(1 − y)
                var g = x.GradForAccumulation(); var yv = y.Data; var d = dy.Data;
                for (int i = 0; i < g.Length; i++) g[i] += d[i] * yv[i] * (T.One - yv[i]);
            }, y);
        }
        return y;
    }

    /// <summary><c>y = max(x, 0)</c>; the gradient at exactly 0 is 0 (as in PyTorch).</summary>
    public static Tensor<T> Relu<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new Tensor<T>(x.Shape.ToArray());
        var xv = x.Data; var yv = y.Data;
        for (int i = 0; i < xv.Length; i++) yv[i] = xv[i] > T.Zero ? xv[i] : T.Zero;
        if (Graph.ShouldRecord(x))
        {
            Graph.Record("Relu", [x], () =>
            {
                if (y.Grad is not { } dy) return;
                // y = max(x, 0)  ⇒  dx = dy where x > 0
                var g = x.GradForAccumulation(); var xs = x.Data; var d = dy.Data;
                for (int i = 0; i < g.Length; i++) if (xs[i] > T.Zero) g[i] += d[i];
            }, y);
        }
        return y;
    }
}
