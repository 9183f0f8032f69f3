// The base of every layer: named parameters and sub-modules (PyTorch state_dict names), train/eval mode.
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>A layer or model with named parameters. Names follow PyTorch's state_dict convention:
/// a parameter <c>weight</c> of a sub-module registered as <c>head</c> is <c>head.weight</c>.</summary>
public abstract class Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<(string Name, Tensor<T> Tensor)> _parameters = [];
    private readonly List<(string Name, Module<T> Module)> _modules = [];

    /// <summary>True in training mode (dropout active), false after <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers a parameter (sets <c>RequiresGrad</c>) under <paramref name="name"/>.</summary>
    protected Tensor<T> RegisterParameter(string name, Tensor<T> parameter)
    {
        if (_parameters.Any(p => p.Name == name)) throw new ArgumentException($"{GetType().Name}: parameter '{name}' registered twice.");
        parameter.RequiresGrad = true;
        parameter.Name ??= name;
        _parameters.Add((name, parameter));
        return parameter;
    }

    /// <summary>Registers a child module whose parameters are prefixed with <c>name.</c>.</summary>
    protected TModule RegisterModule<TModule>(string name, TModule module) where TModule : Module<T>
    {
        if (_modules.Any(m => m.Name == name)) throw new ArgumentException($"{GetType().Name}: module '{name}' registered twice.");
        _modules.Add((name, module));
        return module;
    }

    /// <summary>All parameters with their dotted state_dict names, in registration order.</summary>
    public IEnumerable<(string Name, Tensor<T> Tensor)> NamedParameters()
    {
        foreach (var p in _parameters) yield return p;
        foreach (var (prefix, module) in _modules)
            foreach (var (name, tensor) in module.NamedParameters())
                yield return ($"{prefix}.{name}", tensor);
    }

    /// <summary>All parameters in registration order.</summary>
    public IEnumerable<Tensor<T>> Parameters() => NamedParameters().Select(p => p.Tensor);

    /// <summary>Total number of scalar parameters.</summary>
    public long ParameterCount => Parameters().Sum(p => (long)p.Length);

    /// <summary>Sets training mode on this module and its children.</summary>
    public void Train(bool training = true)
    {
        Training = training;
        foreach (var (_, m) in _modules) m.Train(training);
    }

    /// <summary>Evaluation mode: dropout off.</summary>
    public void Eval() => Train(false);

    /// <summary>Zeroes every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>Copies values from a state dict. Every parameter must be present with the same shape,
    /// and (when <paramref name="strict"/>) no other names may be present.</summary>
    /// <exception cref="InvalidDataException">A name is missing or extra, or a shape differs; the message names it.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor<T>> state, bool strict = true)
    {
        var own = NamedParameters().ToList();
        foreach (var (name, p) in own)
        {
            if (!state.TryGetValue(name, out var src))
                throw new InvalidDataException($"state dict: missing tensor '{name}' (expected shape {Tensor<T>.FormatShape(p.Shape)}).");
            if (!src.SameShape(p.Shape))
                throw new InvalidDataException($"state dict: tensor '{name}' has shape {Tensor<T>.FormatShape(src.Shape)}, expected {Tensor<T>.FormatShape(p.Shape)}.");
        }
        if (strict)
        {
            var names = own.Select(p => p.Name).ToHashSet();
            foreach (var key in state.Keys)
                if (!names.Contains(key)) throw new InvalidDataException($"state dict: unexpected tensor '{key}'.");
        }
        foreach (var (name, p) in own) state[name].Data.CopyTo(p.Data);
    }

    /// <summary>The parameters by name (shared, not copied).</summary>
    public Dictionary<string, Tensor<T>> StateDict() => NamedParameters().ToDictionary(p => p.Name, p => p.Tensor);
}
