// One recorded op in the autograd graph: its inputs and the closure that turns the gradients of its
// outputs into gradients of its inputs. Outputs point at their node through Tensor.GradFn.
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Autograd;

/// <summary>A recorded op. <see cref="Backward"/> reads its outputs' <c>Grad</c> (null = zero) and
/// accumulates into the <c>Grad</c> of those inputs that require grad.</summary>
internal sealed class Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Node(string name, Tensor<T>[] inputs, Action backward)
    {
        Name = name;
        Inputs = inputs;
        Backward = backward;
    }

    public string Name { get; }
    public Tensor<T>[] Inputs { get; }
    public Action Backward { get; }

    public override string ToString() => Name;
}
