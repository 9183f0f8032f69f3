// The shared part of every optimizer: the parameter list, the step loop that skips parameters without a
// gradient, and conversion of per-parameter buffers to and from OptimizerState.
using System.Globalization;
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Optim;

/// <summary>Base of the optimizers: subclasses implement the update of one parameter from its gradient.</summary>
public abstract class Optimizer<T> : IOptimizer where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Tensor<T>[] _parameters;

    /// <summary>Takes the parameters to optimise (e.g. <c>model.Parameters()</c>).</summary>
    /// <exception cref="ArgumentException">The learning rate is negative or not finite, or a parameter appears twice.</exception>
    protected Optimizer(IEnumerable<Tensor<T>> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        if (_parameters.Distinct(ReferenceEqualityComparer.Instance).Count() != _parameters.Length)
            throw new ArgumentException($"{Kind}: a parameter appears more than once.");
        CheckNonNegative("lr", learningRate);
        LearningRate = learningRate;
    }

    /// <summary>The optimised parameters, in order (buffer keys use these indices).</summary>
    public IReadOnlyList<Tensor<T>> Parameters => _parameters;

    /// <summary>The optimizer kind stored in its state, e.g. "Adam".</summary>
    public abstract string Kind { get; }

    /// <inheritdoc/>
    public double LearningRate { get; set; }

    /// <inheritdoc/>
    public long StepCount { get; private set; }

    /// <inheritdoc/>
    public void Step()
    {
        StepCount++;
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            if (p.Grad is not { } g) continue;
            Update(i, p.Data, g.Data);
        }
    }

    /// <summary>Applies one update to parameter <paramref name="index"/> (it has a gradient).</summary>
    protected abstract void Update(int index, Span<T> param, ReadOnlySpan<T> grad);

    /// <inheritdoc/>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in _parameters)
        {
            if (setToNone) p.Grad = null;
            else p.ZeroGrad();
        }
    }

    /// <inheritdoc/>
    public OptimizerState StateDict()
    {
        var s = new OptimizerState { Kind = Kind, StepCount = StepCount };
        s.Scalars["lr"] = LearningRate;
        SaveState(s);
        return s;
    }

    /// <inheritdoc/>
    public void LoadStateDict(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Kind != Kind) throw new InvalidDataException($"optimizer state: kind '{state.Kind}' cannot be loaded into {Kind}.");
        foreach (var key in state.Buffers.Keys)
        {
            int dot = key.IndexOf('.');
            if (dot <= 0 || !int.TryParse(key.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out int idx) || idx >= _parameters.Length)
                throw new InvalidDataException($"optimizer state: buffer '{key}' does not name one of the {_parameters.Length} parameters.");
        }
        LearningRate = GetScalar(state, "lr");
        StepCount = state.StepCount;
        LoadState(state);
    }

    /// <summary>Adds hyperparameters and buffers to <paramref name="state"/>.</summary>
    protected abstract void SaveState(OptimizerState state);

    /// <summary>Restores hyperparameters and buffers from <paramref name="state"/> (already checked for kind).</summary>
    protected abstract void LoadState(OptimizerState state);

    /// <summary>Stores the non-null buffers as "{i}.{name}".</summary>
    protected static void SaveBuffers(OptimizerState state, string name, T[]?[] buffers)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            if (buffers[i] is not { } b) continue;
            var d = new double[b.Length];
            for (int j = 0; j < b.Length; j++) d[j] = double.CreateChecked(b[j]);
            state.Buffers[$"{i}.{name}"] = d;
        }
    }

    /// <summary>Reads "{i}.{name}" for every parameter (absent = null, i.e. not yet initialised).</summary>
    /// <exception cref="InvalidDataException">A buffer's length differs from its parameter's.</exception>
    protected void LoadBuffers(OptimizerState state, string name, T[]?[] buffers)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            if (!state.Buffers.TryGetValue($"{i}.{name}", out var d)) { buffers[i] = null; continue; }
            if (d.Length != _parameters[i].Length)
                throw new InvalidDataException($"optimizer state: buffer '{i}.{name}' has {d.Length} values, parameter {i} ({_parameters[i].Name ?? "unnamed"}) has {_parameters[i].Length}.");
            var b = new T[d.Length];
            for (int j = 0; j < d.Length; j++) b[j] = T.CreateChecked(d[j]);
            buffers[i] = b;
        }
    }

    /// <summary>A required scalar.</summary>
    /// <exception cref="InvalidDataException">The scalar is missing.</exception>
    protected static double GetScalar(OptimizerState state, string name)
        => state.Scalars.TryGetValue(name, out var v) ? v : throw new InvalidDataException($"optimizer state ({state.Kind}): missing scalar '{name}'.");

    /// <summary>Validates a hyperparameter that must be finite and ≥ 0.</summary>
    protected void CheckNonNegative(string name, double value)
    {
        if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentException($"{Kind}: invalid {name} {value} (must be finite and ≥ 0).");
    }

    /// <summary>A new zero buffer per parameter slot (null until first used).</summary>
    protected T[]?[] NewBufferSlots() => new T[]?[_parameters.Length];
}
