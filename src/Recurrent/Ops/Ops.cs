// Differentiable functions on tensors (PyTorch's torch.nn.functional). One op, or one small family,
// per file; each op's backward sits right after its forward.
namespace Recurrent.Ops;

/// <summary>Differentiable tensor functions. Each records its backward rule when an input requires grad.</summary>
public static partial class Op
{
}
