// Finite-difference gradient checks (double) of the recurrent layers through RecurrentStack: every mode ×
// {1, 2 layers} × {uni, bi} × {with, without h0/c0}, masked variable-length batches, and the cells.
// Tiny shapes (B=2, T=3, I=2, H=3) keep them fast.
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Nn;

public class RecurrentGradTests
{
    public static TheoryData<RecurrentMode, int, bool, bool> StackCases()
    {
        var data = new TheoryData<RecurrentMode, int, bool, bool>();
        foreach (var mode in Enum.GetValues<RecurrentMode>())
            foreach (int layers in new[] { 1, 2 })
                foreach (bool bi in new[] { false, true })
                    foreach (bool withState in new[] { false, true })
                        data.Add(mode, layers, bi, withState);
        return data;
    }

    private static void CheckStack(RecurrentMode mode, int layers, bool bi, bool withState, int[]? lengths, int batch, int steps, bool bias = true)
    {
        const int I = 2, H = 3;
        var rng = new Rng(11);
        var stack = new RecurrentStack<double>(mode, I, H, rng, layers, bi, bias: bias);
        var x = Tensor<double>.Normal(rng, 0, 1, batch, steps, I); x.Name = "x";
        int S = layers * stack.NumDirections;
        var inputs = new List<Tensor<double>> { x };
        Tensor<double>? h0 = null, c0 = null;
        if (withState)
        {
            h0 = Tensor<double>.Normal(rng, 0, 0.5, S, batch, H); h0.Name = "h0";
            inputs.Add(h0);
            if (mode == RecurrentMode.Lstm) { c0 = Tensor<double>.Normal(rng, 0, 0.5, S, batch, H); c0.Name = "c0"; inputs.Add(c0); }
        }
        inputs.AddRange(stack.Parameters());
        string what = $"{mode} L={layers} bi={bi} state={withState} lengths={(lengths is null ? "-" : string.Join(",", lengths))}";
        GradCheck.Check(inputs.ToArray(), () =>
        {
            var r = stack.Forward(x, h0, c0, lengths);
            return r.CN is null ? [r.Output, r.HN] : [r.Output, r.HN, r.CN];
        }, what);
    }

    [Theory, MemberData(nameof(StackCases))]
    public void StackGradientsMatchFiniteDifferences(RecurrentMode mode, int layers, bool bi, bool withState)
        => CheckStack(mode, layers, bi, withState, lengths: null, batch: 2, steps: 3);

    [Theory]
    [InlineData(RecurrentMode.Lstm, false)]
    [InlineData(RecurrentMode.Lstm, true)]
    [InlineData(RecurrentMode.Gru, false)]
    [InlineData(RecurrentMode.Gru, true)]
    [InlineData(RecurrentMode.RnnTanh, false)]
    [InlineData(RecurrentMode.RnnTanh, true)]
    [InlineData(RecurrentMode.RnnRelu, true)]
    public void MaskedVariableLengthGradientsMatchFiniteDifferences(RecurrentMode mode, bool bi)
        => CheckStack(mode, layers: 2, bi, withState: true, lengths: [3, 1, 2], batch: 3, steps: 3);

    [Theory]
    [InlineData(RecurrentMode.Lstm)]
    [InlineData(RecurrentMode.Gru)]
    [InlineData(RecurrentMode.RnnTanh)]
    public void StackWithoutBiasGradientsMatchFiniteDifferences(RecurrentMode mode)
        => CheckStack(mode, layers: 1, bi: true, withState: true, lengths: null, batch: 2, steps: 2, bias: false);

    [Theory]
    [InlineData(RecurrentMode.Lstm, true)]
    [InlineData(RecurrentMode.Lstm, false)]
    [InlineData(RecurrentMode.Gru, true)]
    [InlineData(RecurrentMode.Gru, false)]
    [InlineData(RecurrentMode.RnnTanh, true)]
    [InlineData(RecurrentMode.RnnRelu, true)]
    public void CellGradientsMatchFiniteDifferences(RecurrentMode mode, bool withState)
    {
        const int B = 2, I = 2, H = 3;
        var rng = new Rng(5);
        RecurrentCellBase<double> cell = mode switch
        {
            RecurrentMode.Lstm => new LstmCell<double>(I, H, rng),
            RecurrentMode.Gru => new GruCell<double>(I, H, rng),
            RecurrentMode.RnnRelu => new RnnCell<double>(I, H, rng, nonlinearity: "relu"),
            _ => new RnnCell<double>(I, H, rng),
        };
        var x = Tensor<double>.Normal(rng, 0, 1, B, I); x.Name = "x";
        var h = withState ? Tensor<double>.Normal(rng, 0, 0.5, B, H) : null;
        var c = withState && mode == RecurrentMode.Lstm ? Tensor<double>.Normal(rng, 0, 0.5, B, H) : null;
        if (h is not null) h.Name = "h";
        if (c is not null) c.Name = "c";
        var inputs = new List<Tensor<double>> { x };
        if (h is not null) inputs.Add(h);
        if (c is not null) inputs.Add(c);
        inputs.AddRange(cell.Parameters());
        GradCheck.Check(inputs.ToArray(), () => cell switch
        {
            LstmCell<double> l => l.Forward(x, h, c) is var (hh, cc) ? [hh, cc] : [],
            GruCell<double> g => [g.Forward(x, h)],
            RnnCell<double> r => [r.Forward(x, h)],
            _ => throw new InvalidOperationException(),
        }, $"{mode}Cell state={withState}");
    }
}
