// Full reductions to a scalar (shape []): Sum and Mean over every element.
using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Ops;

public static partial class Op
{
    /// <summary><c>Σ x</c> over all elements, as a scalar tensor of shape [].</summary>
    public static Tensor<T> Sum<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceAll("Sum", x, T.One);

    /// <summary><c>(1/n)·Σ x</c> over all n elements, as a scalar tensor of shape [] (NaN when n = 0, like PyTorch).</summary>
    public static Tensor<T> Mean<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => ReduceAll("Mean", x, T.One / T.CreateChecked(x.Length));

    private static Tensor<T> ReduceAll<T>(string name, Tensor<T> x, T factor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new Tensor<T>(Array.Empty<int>());
        y.Data[0] = TensorPrimitives.Sum<T>(x.Data) * factor;
        if (Graph.ShouldRecord(x))
        {
            Graph.Record(name, [x], () =>
            {
                if (y.Grad is not { } dy) return;
                // y = f·Σ x  ⇒  dx_i = f·dy
                var g = x.GradForAccumulation();
                TensorPrimitives.Add(g, dy.Data[0] * factor, g);
            }, y);
        }
        return y;
    }
}
