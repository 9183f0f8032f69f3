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

/// <summary>An exponential moving average of a module's parameters (Polyak averaging): the average of the
/// recent SGD iterates is less noisy than the last one, which matters on small, noisy data sets.</summary>
public sealed class ParameterAverage<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[][] _avg;
    private readonly double _decay;
    private long _updates;

    /// <summary>Starts the average at the module's current values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">decay is not in (0, 1).</exception>
    public ParameterAverage(Module<T> model, double decay)
    {
        if (!(decay > 0 && decay < 1)) throw new ArgumentOutOfRangeException(nameof(decay), $"average decay {decay} must be in (0, 1).");
        _decay = decay;
        _avg = model.Parameters().Select(p => p.Data.ToArray().Select(double.CreateChecked).ToArray()).ToArray();
    }

    /// <summary><c>avg ← d·avg + (1 − d)·p</c> with <c>d = min(decay, 1 − 1/n)</c> after n updates: the plain mean
    /// of the iterates until the moving average takes over, so the initial weights are forgotten at once.</summary>
    public void Update(Module<T> model)
    {
        _updates++;
        double d = Math.Min(_decay, 1.0 - 1.0 / _updates);
        int i = 0;
        foreach (var p in model.Parameters())
        {
            var a = _avg[i++];
            var v = p.Data;
            for (int j = 0; j < a.Length; j++) a[j] = d * a[j] + (1 - d) * double.CreateChecked(v[j]);
        }
    }

    /// <summary>Writes the averaged values into the module.</summary>
    public void CopyTo(Module<T> model)
    {
        int i = 0;
        foreach (var p in model.Parameters())
        {
            var a = _avg[i++];
            var v = p.Data;
            for (int j = 0; j < a.Length; j++) v[j] = T.CreateChecked(a[j]);
        }
    }
}
