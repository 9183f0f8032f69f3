// Reverse-mode differentiation over the recorded graph: a topological order of the nodes reachable
// from the outputs, then each node's backward closure in reverse order.
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Autograd;

/// <summary>Runs backward passes (PyTorch's <c>torch.autograd.backward</c>).</summary>
public static class Backprop
{
    /// <summary>Accumulates d(Σ outputs[i] ⊙ gradients[i]) into the <c>Grad</c> of every tensor that
    /// requires grad and was used to compute the outputs.</summary>
    /// <exception cref="ArgumentException">Counts or shapes of outputs and gradients differ.</exception>
    public static void Run<T>(IReadOnlyList<Tensor<T>> outputs, IReadOnlyList<Tensor<T>> gradients)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (outputs.Count != gradients.Count)
            throw new ArgumentException($"Backward: {outputs.Count} outputs but {gradients.Count} gradients.");
        for (int i = 0; i < outputs.Count; i++)
        {
            if (!outputs[i].SameShape(gradients[i].Shape))
                throw new ArgumentException($"Backward: output {i} has shape {Tensor<T>.FormatShape(outputs[i].Shape)} but its gradient has {Tensor<T>.FormatShape(gradients[i].Shape)}.");
            if (!outputs[i].RequiresGrad)
                throw new InvalidOperationException($"Backward: output {i} does not require grad (no parameter or input with RequiresGrad was used, or grad mode was disabled).");
        }

        var order = TopologicalOrder(outputs);
        for (int i = 0; i < outputs.Count; i++) outputs[i].AccumulateGrad(gradients[i].Data);
        if (NodeTicks is null)
        {
            for (int i = order.Count - 1; i >= 0; i--) order[i].Backward();
            return;
        }
        for (int i = order.Count - 1; i >= 0; i--)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            order[i].Backward();
            string name = order[i].Name;
            NodeTicks[name] = NodeTicks.GetValueOrDefault(name) + System.Diagnostics.Stopwatch.GetTimestamp() - t0;
        }
    }

    /// <summary>When set (benchmarks), each node's backward adds its Stopwatch ticks here under the node's name.</summary>
    internal static Dictionary<string, long>? NodeTicks;

    // Nodes such that every node comes after the nodes producing its inputs (iterative DFS, post-order).
    private static List<Node<T>> TopologicalOrder<T>(IReadOnlyList<Tensor<T>> outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var order = new List<Node<T>>();
        var visited = new HashSet<Node<T>>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Node<T> Node, int NextInput)>();
        foreach (var output in outputs)
        {
            if (output.GradFn is not { } root || !visited.Add(root)) continue;
            stack.Push((root, 0));
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                if (next < node.Inputs.Length)
                {
                    stack.Push((node, next + 1));
                    if (node.Inputs[next].GradFn is { } child && visited.Add(child)) stack.Push((child, 0));
                }
                else order.Add(node);
            }
        }
        return order;
    }
}
