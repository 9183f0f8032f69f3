// The running state of a RecurrentStack for step-by-step inference, with its scratch buffers
// (sized once, so RecurrentStack.Step never allocates).
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>Hidden (and LSTM cell) states [L, B, H] of a unidirectional stack between calls to
/// <see cref="RecurrentStack{T}.Step"/>.</summary>
public sealed class RecurrentState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal RecurrentState(RecurrentMode mode, int layers, int batch, int hidden)
    {
        Mode = mode; Layers = layers; Batch = batch; Hidden = hidden;
        HAll = new T[layers * batch * hidden];
        CAll = mode == RecurrentMode.Lstm ? new T[layers * batch * hidden] : null;
        int G = mode.GateCount() * hidden;
        Scratch = new T[2 * batch * G + batch * hidden];
    }

    /// <summary>The cell of the stack this state belongs to.</summary>
    public RecurrentMode Mode { get; }
    /// <summary>L.</summary>
    public int Layers { get; }
    /// <summary>B, rows stepped together.</summary>
    public int Batch { get; }
    /// <summary>H.</summary>
    public int Hidden { get; }

    internal T[] HAll { get; }        // [L, B, H]
    internal T[]? CAll { get; }       // [L, B, H] LSTM
    internal T[] Scratch { get; }     // gates [B, G], hidden projection [B, G], [B, H]

    /// <summary>Hidden states [L, B, H] (writable: e.g. to reset one row).</summary>
    public Span<T> H => HAll;

    /// <summary>Cell states [L, B, H] for the LSTM; empty otherwise.</summary>
    public Span<T> C => CAll;

    /// <summary>Sets every state to zero.</summary>
    public void Reset()
    {
        System.Array.Clear(HAll);
        if (CAll is not null) System.Array.Clear(CAll);
    }

    /// <summary>Loads final states of a <see cref="RecurrentStack{T}.Forward"/> (HN, CN [L, B, H]) to continue from them.</summary>
    /// <exception cref="ArgumentException">A shape differs from [L, B, H].</exception>
    public void Load(Tensor<T> hN, Tensor<T>? cN = null)
    {
        Check("hN", hN);
        hN.Data.CopyTo(HAll);
        if (cN is not null)
        {
            if (CAll is null) throw new ArgumentException($"{Mode.DisplayName()} state: cN is only used by the LSTM.");
            Check("cN", cN);
            cN.Data.CopyTo(CAll);
        }
    }

    /// <summary>Copies of the states as tensors [L, B, H] (CN null unless LSTM).</summary>
    public (Tensor<T> HN, Tensor<T>? CN) ToTensors()
        => (new Tensor<T>((T[])HAll.Clone(), Layers, Batch, Hidden),
            CAll is null ? null : new Tensor<T>((T[])CAll.Clone(), Layers, Batch, Hidden));

    private void Check(string name, Tensor<T> t)
    {
        if (t.Rank != 3 || t.Dim(0) != Layers || t.Dim(1) != Batch || t.Dim(2) != Hidden)
            throw new ArgumentException($"{Mode.DisplayName()} state: {name} {Tensor<T>.FormatShape(t.Shape)} does not match expected [{Layers}, {Batch}, {Hidden}].");
    }
}
