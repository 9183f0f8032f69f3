// How a loss combines its per-element values (PyTorch's reduction='none' | 'mean' | 'sum').
namespace Recurrent.Ops;

/// <summary>How a loss reduces per-element losses: <see cref="None"/> keeps them, <see cref="Mean"/> averages
/// (a weighted mean for weighted cross-entropy), <see cref="Sum"/> adds.</summary>
public enum Reduction
{
    /// <summary>Per-element losses, same leading shape as the input.</summary>
    None,
    /// <summary>The (weighted) mean, a scalar.</summary>
    Mean,
    /// <summary>The sum, a scalar.</summary>
    Sum,
}
