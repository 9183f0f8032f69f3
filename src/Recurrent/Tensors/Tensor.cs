// A dense, contiguous, row-major tensor with an optional gradient and a link to the op that made it.
// No strides and no views with offsets: reshapes share storage, everything else copies.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using Recurrent.Autograd;

namespace Recurrent.Tensors;

/// <summary>
/// A contiguous row-major tensor of <typeparamref name="T"/> (float for training and inference,
/// double for gradient checks). When <see cref="RequiresGrad"/> is set, ops record how they were
/// computed so that <see cref="Backward()"/> can fill <see cref="Grad"/>.
/// </summary>
public sealed class Tensor<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _data;
    private readonly int[] _shape;

    /// <summary>Wraps <paramref name="data"/> (not copied) with the given shape.</summary>
    /// <exception cref="ArgumentException">The shape has a negative dimension or does not match the data length.</exception>
    public Tensor(T[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long size = ShapeSize(shape);
        if (size != data.Length)
            throw new ArgumentException($"Tensor: shape {FormatShape(shape)} holds {size} elements but the data has {data.Length}.");
        _data = data;
        _shape = (int[])shape.Clone();
    }

    /// <summary>A new zero-filled tensor.</summary>
    public Tensor(params int[] shape) : this(new T[CheckedSize(shape)], shape) { }

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public int Length => _data.Length;

    /// <summary>The elements in row-major order. Writing through this span bypasses autograd.</summary>
    public Span<T> Data => _data;

    /// <summary>The backing array (shared with reshaped views of this tensor).</summary>
    internal T[] Array => _data;

    /// <summary>The dimension <paramref name="axis"/>; negative counts from the end.</summary>
    public int Dim(int axis) => _shape[axis < 0 ? _shape.Length + axis : axis];

    /// <summary>Whether gradients flow into this tensor (parameters, or results of ops on them).</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>The accumulated gradient, same shape as this tensor; null until a backward pass reaches it.</summary>
    public Tensor<T>? Grad { get; set; }

    /// <summary>The op that produced this tensor, or null for a leaf.</summary>
    internal Node<T>? GradFn { get; set; }

    /// <summary>An optional name used in error messages and state dicts.</summary>
    public string? Name { get; set; }

    /// <summary>Element access by full index.</summary>
    [IndexerName("At")]
    public T this[params int[] index]
    {
        get => _data[Offset(index)];
        set => _data[Offset(index)] = value;
    }

    /// <summary>The scalar value of a one-element tensor.</summary>
    public T Item()
    {
        if (Length != 1) throw new InvalidOperationException($"Item: tensor of shape {FormatShape(_shape)} is not a scalar.");
        return _data[0];
    }

    /// <summary>A copy of the elements.</summary>
    public T[] ToArray() => (T[])_data.Clone();

    /// <summary>True when the shapes are equal.</summary>
    public bool SameShape(ReadOnlySpan<int> other) => Shape.SequenceEqual(other);

    /// <summary>A tensor sharing this one's data but cut off from the graph (truncates BPTT).</summary>
    public Tensor<T> Detach() => new(_data, _shape) { Name = Name };

    /// <summary>A deep copy of the data, cut off from the graph.</summary>
    public Tensor<T> Clone() => new((T[])_data.Clone(), _shape) { Name = Name };

    /// <summary>The gradient, created zero-filled if this is the first contribution.</summary>
    internal Span<T> GradForAccumulation()
    {
        Grad ??= new Tensor<T>(_shape);
        return Grad.Data;
    }

    /// <summary>Adds <paramref name="delta"/> into <see cref="Grad"/> (allocating it on first use).</summary>
    internal void AccumulateGrad(ReadOnlySpan<T> delta)
    {
        var g = GradForAccumulation();
        if (delta.Length != g.Length) throw new InvalidOperationException($"AccumulateGrad: {delta.Length} values for a tensor of {g.Length}.");
        Kernels.Elementwise.AddInPlace(g, delta);
    }

    /// <summary>Sets the gradient to zero (keeps the buffer).</summary>
    public void ZeroGrad()
    {
        if (Grad is not null) Grad.Data.Clear();
    }

    /// <summary>Back-propagates from this scalar (seed gradient 1).</summary>
    /// <exception cref="InvalidOperationException">The tensor is not a scalar or does not require grad.</exception>
    public void Backward()
    {
        if (Length != 1) throw new InvalidOperationException($"Backward: tensor of shape {FormatShape(_shape)} is not a scalar; pass a gradient.");
        var seed = new Tensor<T>(_shape);
        seed.Data[0] = T.One;
        Autograd.Backprop.Run([this], [seed]);
    }

    /// <summary>Back-propagates from this tensor with the given output gradient.</summary>
    public void Backward(Tensor<T> gradient) => Autograd.Backprop.Run([this], [gradient]);

    // ----- construction helpers -----

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor<T> Full(T value, params int[] shape)
    {
        var t = new Tensor<T>(shape);
        t.Data.Fill(value);
        return t;
    }

    /// <summary>A tensor with elements drawn uniformly from [low, high).</summary>
    public static Tensor<T> Uniform(Rng rng, T low, T high, params int[] shape)
    {
        var t = new Tensor<T>(shape);
        rng.FillUniform(t.Data, low, high);
        return t;
    }

    /// <summary>A tensor with standard-normal elements times <paramref name="std"/>.</summary>
    public static Tensor<T> Normal(Rng rng, T mean, T std, params int[] shape)
    {
        var t = new Tensor<T>(shape);
        rng.FillNormal(t.Data, mean, std);
        return t;
    }

    /// <summary>A tensor from a flat array of doubles (converted), mainly for tests.</summary>
    public static Tensor<T> FromDoubles(double[] values, params int[] shape)
    {
        var data = new T[values.Length];
        for (int i = 0; i < values.Length; i++) data[i] = T.CreateChecked(values[i]);
        return new Tensor<T>(data, shape);
    }

    /// <summary>A copy converted to another element type (e.g. float → double for gradient checks).</summary>
    public Tensor<TOut> Cast<TOut>() where TOut : unmanaged, IFloatingPointIeee754<TOut>
    {
        var data = new TOut[Length];
        for (int i = 0; i < data.Length; i++) data[i] = TOut.CreateChecked(_data[i]);
        return new Tensor<TOut>(data, _shape) { Name = Name };
    }

    // ----- shape helpers -----

    private int Offset(int[] index)
    {
        if (index.Length != _shape.Length)
            throw new ArgumentException($"Tensor index has {index.Length} dimensions, tensor {FormatShape(_shape)} has {_shape.Length}.");
        int offset = 0;
        for (int d = 0; d < index.Length; d++)
        {
            if ((uint)index[d] >= (uint)_shape[d])
                throw new IndexOutOfRangeException($"Tensor index {index[d]} out of range for dimension {d} of {FormatShape(_shape)}.");
            offset = offset * _shape[d] + index[d];
        }
        return offset;
    }

    internal static long ShapeSize(ReadOnlySpan<int> shape)
    {
        long size = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Tensor: negative dimension in shape {FormatShape(shape)}.");
            size *= d;
            if (size > System.Array.MaxLength) throw new ArgumentException($"Tensor: shape {FormatShape(shape)} is too large.");
        }
        return size;
    }

    private static int CheckedSize(int[] shape) => (int)ShapeSize(shape);

    /// <summary>Formats a shape as <c>[2, 3, 4]</c>.</summary>
    public static string FormatShape(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(shape[i]);
        }
        return sb.Append(']').ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => $"Tensor<{typeof(T).Name}>{FormatShape(_shape)}{(Name is null ? "" : " " + Name)}";
}
