// Whether ops record a graph on this thread (PyTorch's torch.no_grad()).
namespace Recurrent.Autograd;

/// <summary>Turns graph recording off for inference: <c>using (GradMode.Disable()) { ... }</c>.</summary>
public static class GradMode
{
    [ThreadStatic] private static int _disabledDepth;

    /// <summary>True when ops on tensors that require grad record a graph.</summary>
    public static bool IsEnabled => _disabledDepth == 0;

    /// <summary>Disables recording until the returned scope is disposed (scopes nest).</summary>
    public static Scope Disable()
    {
        _disabledDepth++;
        return new Scope();
    }

    /// <summary>Restores recording when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        public void Dispose() => _disabledDepth--;
    }
}
