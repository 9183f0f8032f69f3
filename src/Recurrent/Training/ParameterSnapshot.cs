// A copy of a model's parameter values, to keep the best epoch's weights while training goes on.
using System.Numerics;
using Recurrent.Nn;

namespace Recurrent.Training;

/// <summary>Parameter values of a module at one moment.</summary>
public sealed class ParameterSnapshot<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _values;

    /// <summary>Copies the current values of <paramref name="model"/>'s parameters.</summary>
    public ParameterSnapshot(Module<T> model) => _values = model.Parameters().Select(p => p.Data.ToArray()).ToArray();

    /// <summary>Writes the copied values back into <paramref name="model"/> (the same module).</summary>
    public void Restore(Module<T> model)
    {
        int i = 0;
        foreach (var p in model.Parameters()) _values[i++].CopyTo(p.Data);
    }
}
