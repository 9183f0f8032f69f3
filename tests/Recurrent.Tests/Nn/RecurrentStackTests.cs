// RecurrentStack against an independent naive implementation of PyTorch's semantics, masking/padding
// invariants, parameter names and initialisation, shape errors, the inference Step, cells and dropout.
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Nn;

public class RecurrentStackTests
{
    public static TheoryData<RecurrentMode, int, bool, bool> ForwardCases()
    {
        var data = new TheoryData<RecurrentMode, int, bool, bool>();
        foreach (var mode in Enum.GetValues<RecurrentMode>())
            foreach (int layers in new[] { 1, 3 })
                foreach (bool bi in new[] { false, true })
                    foreach (bool masked in new[] { false, true })
                        data.Add(mode, layers, bi, masked);
        return data;
    }

    [Theory, MemberData(nameof(ForwardCases))]
    public void ForwardMatchesNaiveReference(RecurrentMode mode, int layers, bool bi, bool masked)
    {
        const int B = 4, T = 5, I = 3, H = 6;
        var rng = new Rng(21);
        var stack = new RecurrentStack<double>(mode, I, H, rng, layers, bi);
        var x = Tensor<double>.Normal(rng, 0, 1, B, T, I);
        int S = layers * stack.NumDirections;
        var h0 = Tensor<double>.Normal(rng, 0, 0.5, S, B, H);
        var c0 = mode == RecurrentMode.Lstm ? Tensor<double>.Normal(rng, 0, 0.5, S, B, H) : null;
        int[]? lengths = masked ? [5, 2, 1, 4] : null;
        var r = stack.Forward(x, h0, c0, lengths);
        var (eOut, eH, eC) = NaiveRecurrent.Run(stack, x.ToArray(), B, T, h0.ToArray(), c0?.ToArray(), lengths);
        Assert.Equal([B, T, stack.OutputSize], r.Output.Shape.ToArray());
        Assert.Equal([S, B, H], r.HN.Shape.ToArray());
        Tolerance.AssertClose(eOut, r.Output.ToArray(), 1e-12, 1e-12, $"{mode} output");
        Tolerance.AssertClose(eH, r.HN.ToArray(), 1e-12, 1e-12, $"{mode} h_n");
        if (mode == RecurrentMode.Lstm) Tolerance.AssertClose(eC, r.CN!.ToArray(), 1e-12, 1e-12, "LSTM c_n");
        else Assert.Null(r.CN);

        // float32 run of the same weights stays within float accuracy of the double result
        var stackF = new RecurrentStack<float>(mode, I, H, new Rng(1), layers, bi);
        stackF.LoadStateDict(stack.StateDict().ToDictionary(p => p.Key, p => p.Value.Cast<float>()));
        var rf = stackF.Forward(x.Cast<float>(), h0.Cast<float>(), c0?.Cast<float>(), lengths);
        Tolerance.AssertClose(eOut, Tolerance.ToDouble(rf.Output.Data), 1e-5, 1e-5, $"{mode} float output");
        Tolerance.AssertClose(eH, Tolerance.ToDouble(rf.HN.Data), 1e-5, 1e-5, $"{mode} float h_n");
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm)]
    [InlineData(RecurrentMode.Gru)]
    [InlineData(RecurrentMode.RnnTanh)]
    public void PaddingNeverChangesValidOutputsOrFinalStates(RecurrentMode mode)
    {
        const int B = 3, T = 6, I = 2, H = 4;
        var rng = new Rng(8);
        var stack = new RecurrentStack<float>(mode, I, H, rng, numLayers: 2, bidirectional: true);
        int[] lengths = [6, 3, 1];
        var x = Tensor<float>.Normal(rng, 0f, 1f, B, T, I);
        var a = stack.Forward(x, lengths: lengths);
        var xGarbage = x.Clone();
        for (int b = 0; b < B; b++)
            for (int t = lengths[b]; t < T; t++)
                for (int i = 0; i < I; i++) xGarbage[b, t, i] = 100f * (t + i + 1);
        var g = stack.Forward(xGarbage, lengths: lengths);
        Assert.Equal(a.Output.ToArray(), g.Output.ToArray());
        Assert.Equal(a.HN.ToArray(), g.HN.ToArray());
        for (int b = 0; b < B; b++)
            for (int t = lengths[b]; t < T; t++)
                for (int f = 0; f < 2 * H; f++) Assert.Equal(0f, a.Output[b, t, f]);

        // each row alone, unpadded, gives the same valid outputs and final states
        for (int b = 0; b < B; b++)
        {
            int len = lengths[b];
            var xb = new Tensor<float>(1, len, I);
            x.Data.Slice(b * T * I, len * I).CopyTo(xb.Data);
            var rb = stack.Forward(xb);
            for (int t = 0; t < len; t++)
                for (int f = 0; f < 2 * H; f++)
                    Assert.True(Math.Abs(rb.Output[0, t, f] - a.Output[b, t, f]) < 1e-6, $"row {b} t {t} f {f}");
            for (int s = 0; s < 4; s++)
                for (int j = 0; j < H; j++)
                    Assert.True(Math.Abs(rb.HN[s, 0, j] - a.HN[s, b, j]) < 1e-6, $"h_n row {b} slice {s}");
        }
    }

    [Fact]
    public void ParameterNamesShapesAndOrderFollowPyTorch()
    {
        var lstm = new Lstm<float>(5, 4, new Rng(1), numLayers: 2, bidirectional: true);
        var names = lstm.NamedParameters().Select(p => $"{p.Name}{Tensor<float>.FormatShape(p.Tensor.Shape)}").ToArray();
        Assert.Equal(new[]
        {
            "weight_ih_l0[16, 5]", "weight_hh_l0[16, 4]", "bias_ih_l0[16]", "bias_hh_l0[16]",
            "weight_ih_l0_reverse[16, 5]", "weight_hh_l0_reverse[16, 4]", "bias_ih_l0_reverse[16]", "bias_hh_l0_reverse[16]",
            "weight_ih_l1[16, 8]", "weight_hh_l1[16, 4]", "bias_ih_l1[16]", "bias_hh_l1[16]",
            "weight_ih_l1_reverse[16, 8]", "weight_hh_l1_reverse[16, 4]", "bias_ih_l1_reverse[16]", "bias_hh_l1_reverse[16]",
        }, names);
        var gru = new Gru<float>(3, 2, new Rng(1), bias: false);
        Assert.Equal(new[] { "weight_ih_l0", "weight_hh_l0" }, gru.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal([6, 3], gru.Weights(0).WeightIh.Shape.ToArray());
        var cell = new LstmCell<float>(3, 2, new Rng(1));
        Assert.Equal(new[] { "weight_ih", "weight_hh", "bias_ih", "bias_hh" }, cell.NamedParameters().Select(p => p.Name).ToArray());
    }

    [Fact]
    public void InitialisationIsUniformWithinOneOverSqrtHAndForgetBiasShiftsTheForgetSlice()
    {
        const int H = 16;
        var plain = new Lstm<double>(7, H, new Rng(99), numLayers: 2);
        double bound = 1 / Math.Sqrt(H);
        foreach (var p in plain.Parameters())
        {
            Assert.All(p.ToArray(), v => Assert.InRange(v, -bound, bound));
            Assert.True(p.ToArray().Max() - p.ToArray().Min() > bound, $"{p.Name} looks not spread over the range");
        }
        var shifted = new Lstm<double>(7, H, new Rng(99), numLayers: 2, forgetBias: 1.0);
        foreach (var (name, p) in plain.NamedParameters())
        {
            var q = shifted.StateDict()[name].ToArray();
            var v = p.ToArray();
            for (int j = 0; j < v.Length; j++)
            {
                bool forget = name.StartsWith("bias_ih") && j >= H && j < 2 * H;
                Assert.Equal(v[j] + (forget ? 1.0 : 0.0), q[j], 12);
            }
        }
        Assert.Throws<ArgumentException>(() => new RecurrentStack<float>(RecurrentMode.Gru, 2, 2, new Rng(1), forgetBias: 1));
        Assert.Throws<ArgumentException>(() => new Lstm<float>(2, 2, new Rng(1), bias: false, forgetBias: 1));
    }

    [Fact]
    public void ShapeErrorsNameTheModuleAndBothShapes()
    {
        var lstm = new Lstm<float>(4, 3, new Rng(1), numLayers: 2);
        var ex = Assert.Throws<ArgumentException>(() => lstm.Forward(new Tensor<float>(2, 5, 3)));
        Assert.Contains("LSTM", ex.Message); Assert.Contains("[2, 5, 3]", ex.Message); Assert.Contains("[B, T, 4]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => lstm.Forward(new Tensor<float>(2, 5, 4), h0: new Tensor<float>(1, 2, 3)));
        Assert.Contains("h0", ex.Message); Assert.Contains("[1, 2, 3]", ex.Message); Assert.Contains("[2, 2, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => lstm.Forward(new Tensor<float>(2, 5, 4), c0: new Tensor<float>(2, 3, 3)));
        Assert.Contains("c0", ex.Message); Assert.Contains("[2, 3, 3]", ex.Message); Assert.Contains("[2, 2, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => lstm.Forward(new Tensor<float>(2, 5, 4), lengths: [5, 6]));
        Assert.Contains("length 6", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => lstm.Forward(new Tensor<float>(2, 5, 4), lengths: [5]));
        Assert.Contains("1 lengths for a batch of 2", ex.Message);
        var gru = new Gru<float>(4, 3, new Rng(1));
        ex = Assert.Throws<ArgumentException>(() => gru.Forward(new Tensor<float>(2, 5, 4), c0: new Tensor<float>(1, 2, 3)));
        Assert.Contains("GRU", ex.Message);
        var cell = new GruCell<float>(4, 3, new Rng(1));
        ex = Assert.Throws<ArgumentException>(() => cell.Forward(new Tensor<float>(2, 4), new Tensor<float>(3, 3)));
        Assert.Contains("GRUCell", ex.Message); Assert.Contains("[3, 3]", ex.Message); Assert.Contains("[2, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Op.RecurrentLayer(RecurrentMode.Lstm, new Tensor<float>(5, 2, 4),
            [new RecurrentWeights<float>(new Tensor<float>(12, 5), new Tensor<float>(12, 3), null, null)]));
        Assert.Contains("weight_ih", ex.Message); Assert.Contains("[12, 5]", ex.Message); Assert.Contains("[12, 4]", ex.Message);
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm, 1)]
    [InlineData(RecurrentMode.Lstm, 3)]
    [InlineData(RecurrentMode.Gru, 2)]
    [InlineData(RecurrentMode.RnnTanh, 2)]
    [InlineData(RecurrentMode.RnnRelu, 1)]
    public void StepMatchesForwardAndDoesNotAllocate(RecurrentMode mode, int batch)
    {
        const int T = 4, I = 5, H = 7, L = 2;
        var rng = new Rng(17);
        var stack = new RecurrentStack<float>(mode, I, H, rng, L);
        var x = Tensor<float>.Normal(rng, 0f, 1f, batch, T, I);
        var h0 = Tensor<float>.Normal(rng, 0f, 0.5f, L, batch, H);
        var c0 = mode == RecurrentMode.Lstm ? Tensor<float>.Normal(rng, 0f, 0.5f, L, batch, H) : null;
        RecurrentResult<float> full;
        using (GradMode.Disable()) full = stack.Forward(x, h0, c0);
        var state = stack.CreateState(batch);
        state.Load(h0, c0);
        var xt = new float[batch * I];
        for (int t = 0; t < T; t++)
        {
            for (int b = 0; b < batch; b++) x.Data.Slice((b * T + t) * I, I).CopyTo(xt.AsSpan(b * I, I));
            var y = stack.Step(xt, state).ToArray();
            for (int b = 0; b < batch; b++)
                for (int j = 0; j < H; j++)
                    Assert.True(Math.Abs(y[b * H + j] - full.Output[b, t, j]) < 1e-5, $"step {t} row {b} unit {j}: {y[b * H + j]} vs {full.Output[b, t, j]}");
        }
        var (hN, cN) = state.ToTensors();
        Tolerance.AssertClose(full.HN.Data, hN.Data, 1e-5, 1e-5, "Step h_n");
        if (c0 is not null) Tolerance.AssertClose(full.CN!.Data, cN!.Data, 1e-5, 1e-5, "Step c_n");

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 10; t++) stack.Step(xt, state);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void BidirectionalStackRefusesToStep()
    {
        var gru = new Gru<float>(2, 3, new Rng(1), bidirectional: true);
        Assert.Throws<InvalidOperationException>(() => gru.CreateState(1));
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm)]
    [InlineData(RecurrentMode.Gru)]
    [InlineData(RecurrentMode.RnnTanh)]
    public void CellMatchesNaiveCell(RecurrentMode mode)
    {
        const int B = 3, I = 4, H = 5;
        var rng = new Rng(4);
        RecurrentCellBase<double> cell = mode switch
        {
            RecurrentMode.Lstm => new LstmCell<double>(I, H, rng),
            RecurrentMode.Gru => new GruCell<double>(I, H, rng),
            _ => new RnnCell<double>(I, H, rng),
        };
        var x = Tensor<double>.Normal(rng, 0, 1, B, I);
        var h = Tensor<double>.Normal(rng, 0, 1, B, H);
        var c = Tensor<double>.Normal(rng, 0, 1, B, H);
        var (hOut, cOut) = Op.RecurrentCell(mode, x, cell.Weights, h, mode == RecurrentMode.Lstm ? c : null);
        for (int b = 0; b < B; b++)
        {
            var (eh, ec) = NaiveRecurrent.Cell(mode, cell.Weights, x.Data.Slice(b * I, I).ToArray(),
                h.Data.Slice(b * H, H).ToArray(), c.Data.Slice(b * H, H).ToArray(), H);
            Tolerance.AssertClose(eh, hOut.Data.Slice(b * H, H).ToArray(), 1e-12, 1e-12, $"{mode} cell h row {b}");
            if (cOut is not null) Tolerance.AssertClose(ec, cOut.Data.Slice(b * H, H).ToArray(), 1e-12, 1e-12, $"{mode} cell c row {b}");
        }
    }

    [Fact]
    public void SecondBackwardThroughOneForwardIsAClearError()
    {
        var lstm = new Lstm<float>(2, 3, new Rng(1));
        var y = lstm.Forward(Tensor<float>.Normal(new Rng(2), 0f, 1f, 2, 3, 2)).Output;
        var seed = Tensor<float>.Full(1f, 2, 3, 3);
        y.Backward(seed);
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward(seed));
        Assert.Contains("LSTM", ex.Message);
        Assert.Contains("twice", ex.Message);
    }

    [Fact]
    public void RepeatedTrainingStepsGiveIdenticalGradients()
    {
        // buffers are reused between calls: a second identical step must reproduce the first bit for bit
        var gru = new Gru<float>(3, 5, new Rng(1), numLayers: 2, bidirectional: true);
        var x = Tensor<float>.Normal(new Rng(2), 0f, 1f, 4, 6, 3);
        var seed = Tensor<float>.Normal(new Rng(3), 0f, 1f, 4, 6, 10);
        int[] lengths = [6, 2, 5, 1];
        float[][] Run()
        {
            gru.ZeroGrad();
            gru.Forward(x, lengths: lengths).Output.Backward(seed);
            return gru.Parameters().Select(p => p.Grad!.ToArray()).ToArray();
        }
        var first = Run();
        using (GradMode.Disable()) gru.Forward(Tensor<float>.Full(7f, 4, 6, 3));   // an inference pass in between
        var second = Run();
        for (int i = 0; i < first.Length; i++) Assert.Equal(first[i], second[i]);
    }
}
