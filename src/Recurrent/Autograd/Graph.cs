// How ops attach themselves to the graph: one call after computing their outputs.
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Autograd;

/// <summary>Helpers for op implementations.</summary>
internal static class Graph
{
    /// <summary>True when any input requires grad and recording is on: the op must then call <see cref="Record{T}"/>.</summary>
    public static bool ShouldRecord<T>(params ReadOnlySpan<Tensor<T>?> inputs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!GradMode.IsEnabled) return false;
        foreach (var t in inputs) if (t is { RequiresGrad: true }) return true;
        return false;
    }

    /// <summary>Marks <paramref name="outputs"/> as produced by an op whose backward is <paramref name="backward"/>.
    /// Null inputs (optional arguments) are dropped.</summary>
    public static void Record<T>(string name, Tensor<T>?[] inputs, Action backward, params ReadOnlySpan<Tensor<T>> outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var node = new Node<T>(name, inputs.Where(t => t is not null).Cast<Tensor<T>>().ToArray(), backward);
        foreach (var o in outputs)
        {
            o.RequiresGrad = true;
            o.GradFn = node;
        }
    }
}
