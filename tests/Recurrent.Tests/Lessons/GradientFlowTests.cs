// The chapter's claims about gradients through time, on tiny models in double:
// a contractive vanilla RNN forgets geometrically; an LSTM whose forget gate is held open does not;
// large recurrent weights explode; and the step-wise measurement agrees with the fused layer's backward.
using Recurrent.Diagnostics;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Lessons;

public class GradientFlowTests
{
    // L = ½·mean over the batch of (u·h_T)² with a fixed u: a last-step loss that does not depend on any head.
    private static Func<Tensor<double>, Tensor<double>> ProjectionLoss(int hidden, ulong seed = 99)
    {
        var u = Tensor<double>.Uniform(new Rng(seed), -1.0, 1.0, 1, hidden);
        return h => Op.MseLoss(Op.Linear(h, u, null), new Tensor<double>(h.Dim(0), 1));
    }

    private static Tensor<double> Inputs(int b, int t, int i, double scale, ulong seed = 3)
        => Tensor<double>.Uniform(new Rng(seed), -scale, scale, b, t, i);

    [Fact]
    public void ContractiveVanillaRnn_GradientDecaysGeometrically()
    {
        const int H = 6, T = 30;
        var rnn = new RecurrentStack<double>(RecurrentMode.RnnTanh, 2, H, new Rng(1));
        var w = rnn.Weights(0);
        // W_hh = 0.5 · (a permutation): every singular value is 0.5, so each step back multiplies by ≤ 0.5,
        // and with tiny inputs and zero biases tanh' ≈ 1, so by almost exactly 0.5.
        w.WeightHh.Data.Clear();
        for (int r = 0; r < H; r++) w.WeightHh[r, (r + 1) % H] = 0.5;
        w.BiasIh!.Data.Clear();
        w.BiasHh!.Data.Clear();
        var flow = GradientFlow.Measure(rnn, Inputs(4, T, 2, 1e-3), ProjectionLoss(H));

        Assert.Equal(T + 1, flow.HiddenGradNorms.Length);
        Assert.Null(flow.CellGradNorms);
        for (int k = 1; k <= T; k++)
        {
            double ratio = flow.StepsBack(k) / flow.StepsBack(k - 1);
            Assert.True(ratio is > 0.49 and <= 0.5 + 1e-12, $"step {k} back: ratio {ratio} (expected ≈ 0.5)");
        }
        Assert.Equal(0.5, flow.FactorPerStep(), 2);
        Assert.True(flow.StepsBack(T) < 1e-8 * flow.StepsBack(0), "30 steps at 0.5 lose 9 orders of magnitude");
    }

    [Fact]
    public void VanillaRnnWithSmallWeights_VanishesWhatever_TheInputs()
    {
        // σ_max(W_hh) < 1 and |tanh'| ≤ 1 ⇒ ‖∂L/∂h_{t−1}‖ ≤ σ_max·‖∂L/∂h_t‖ for any inputs.
        const int H = 8, T = 25;
        var rnn = new RecurrentStack<double>(RecurrentMode.RnnTanh, 3, H, new Rng(2));
        double sigma = MatrixSpectrum.LargestSingularValue<double>(rnn.Weights(0).WeightHh.Data, H, H);
        Assert.True(sigma < 1, $"default init of H={H} should be contractive here, σ_max = {sigma}");
        var flow = GradientFlow.Measure(rnn, Inputs(5, T, 3, 2.0), ProjectionLoss(H));
        for (int k = 1; k <= T; k++)
            Assert.True(flow.StepsBack(k) <= sigma * flow.StepsBack(k - 1) * (1 + 1e-9),
                $"step {k} back: {flow.StepsBack(k)} > σ_max·{flow.StepsBack(k - 1)}");
    }

    [Fact]
    public void LstmWithForgetGateOpen_GradientDoesNotDecay()
    {
        const int H = 6, T = 40;
        var open = new RecurrentStack<double>(RecurrentMode.Lstm, 2, H, new Rng(4), forgetBias: 20);   // f = σ(≈20) ≈ 1
        var plain = new RecurrentStack<double>(RecurrentMode.Lstm, 2, H, new Rng(4));                  // f ≈ σ(0) = 0.5
        var x = Inputs(4, T, 2, 1.0);
        var openFlow = GradientFlow.Measure(open, x, ProjectionLoss(H));
        var plainFlow = GradientFlow.Measure(plain, x, ProjectionLoss(H));

        // The cell state carries the gradient back almost unchanged: ∂c_t/∂c_{t−1} = f ≈ 1 (the other paths,
        // through h and the gates, only shift it a little).
        var c = openFlow.CellGradNorms!;
        for (int t = 0; t < T; t++)
            Assert.True(c[t] > 0.5 * c[T - 1] && c[t] < 2 * c[T - 1], $"‖∂L/∂c_{t}‖ = {c[t]} vs ‖∂L/∂c_{T - 1}‖ = {c[T - 1]}");
        // So after a drop over the first few steps (the direct path through the output gate), the hidden
        // states keep their influence: no trend over the remaining 35 steps.
        Assert.InRange(openFlow.FactorPerStep(5, T), 0.97, 1.03);
        Assert.True(openFlow.StepsBack(T) > 0.5 * openFlow.StepsBack(5), $"open LSTM: {openFlow.StepsBack(T)} vs {openFlow.StepsBack(5)}");
        // With PyTorch's default init (f ≈ σ(0) = 0.5) the same LSTM forgets geometrically.
        Assert.True(plainFlow.FactorPerStep(5, T) < 0.7, $"default-init LSTM factor per step {plainFlow.FactorPerStep(5, T)}");
        Assert.True(plainFlow.StepsBack(T) < 1e-6 * plainFlow.StepsBack(5));
    }

    [Fact]
    public void LargeRecurrentWeights_Explode()
    {
        const int H = 64, T = 40;
        var x = Inputs(4, T, 2, 1.0);
        var calm = new RecurrentStack<double>(RecurrentMode.RnnTanh, 2, H, new Rng(5));
        var wild = new RecurrentStack<double>(RecurrentMode.RnnTanh, 2, H, new Rng(5));
        RecurrentWeightReport.ScaleRecurrentWeights(wild, 6.0);
        double rho = RecurrentWeightReport.Analyze(wild).Single().SpectralRadius;
        Assert.True(rho > 3, $"ρ(W_hh) after scaling = {rho}");
        var calmFlow = GradientFlow.Measure(calm, x, ProjectionLoss(H));
        var wildFlow = GradientFlow.Measure(wild, x, ProjectionLoss(H));
        Assert.True(calmFlow.FactorPerStep() < 0.8, $"default init factor {calmFlow.FactorPerStep()}");
        Assert.True(wildFlow.FactorPerStep() > 1.05, $"scaled init factor {wildFlow.FactorPerStep()}");
        Assert.True(wildFlow.StepsBack(T) > 100 * wildFlow.StepsBack(0), "the gradient grows by orders of magnitude going back");
    }

    [Theory]
    [InlineData(RecurrentMode.RnnTanh, 1)]
    [InlineData(RecurrentMode.Gru, 1)]
    [InlineData(RecurrentMode.Lstm, 1)]
    [InlineData(RecurrentMode.Lstm, 2)]
    [InlineData(RecurrentMode.Gru, 3)]
    public void StepwiseMeasurement_AgreesWithFusedBackward(RecurrentMode mode, int layers)
    {
        // ∂L/∂h_0 from the step-by-step run must equal the fused layer's gradient for the initial state,
        // and the loss must be the same.
        const int B = 3, T = 7, I = 2, H = 5;
        var stack = new RecurrentStack<double>(mode, I, H, new Rng(8), numLayers: layers);
        var x = Inputs(B, T, I, 1.0);
        var loss = ProjectionLoss(H);
        var flow = GradientFlow.Measure(stack, x, loss);

        var h0 = new Tensor<double>(layers, B, H) { RequiresGrad = true };
        var c0 = mode == RecurrentMode.Lstm ? new Tensor<double>(layers, B, H) { RequiresGrad = true } : null;
        var r = stack.Forward(x, h0, c0);
        var l = loss(Op.SelectTime(r.Output, -1));
        l.Backward();
        Assert.Equal(l.Item(), flow.Loss, 12);
        double Norm(Tensor<double> g) => Math.Sqrt(g.Data.Slice((layers - 1) * B * H, B * H).ToArray().Sum(v => v * v));
        Assert.Equal(Norm(h0.Grad!), flow.HiddenGradNorms[0], 10);
        if (c0 is not null) Assert.Equal(Norm(c0.Grad!), flow.CellGradNorms![0], 10);
    }

    [Fact]
    public void GradientAtTheLoss_IsTheHeadsGradient()
    {
        // L = mean_b (u·h_b)²/1 ⇒ ∂L/∂h_b = 2(u·h_b)u/B.
        const int B = 2, T = 4, H = 3;
        var stack = new RecurrentStack<double>(RecurrentMode.Gru, 2, H, new Rng(12));
        var x = Inputs(B, T, 2, 1.0);
        var u = Tensor<double>.Uniform(new Rng(99), -1.0, 1.0, 1, H);
        var flow = GradientFlow.Measure(stack, x, ProjectionLoss(H));
        var hT = Op.SelectTime(stack.Forward(x).Output, -1);
        double sq = 0;
        for (int b = 0; b < B; b++)
        {
            double dot = 0;
            for (int j = 0; j < H; j++) dot += u[0, j] * hT[b, j];
            for (int j = 0; j < H; j++) { double g = 2 * dot * u[0, j] / B; sq += g * g; }
        }
        Assert.Equal(Math.Sqrt(sq), flow.StepsBack(0), 12);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        var bi = new RecurrentStack<double>(RecurrentMode.Gru, 2, 3, new Rng(1), bidirectional: true);
        Assert.Throws<ArgumentException>(() => GradientFlow.Measure(bi, Inputs(1, 3, 2, 1), ProjectionLoss(6)));
        var uni = new RecurrentStack<double>(RecurrentMode.Gru, 2, 3, new Rng(1));
        Assert.Throws<ArgumentException>(() => GradientFlow.Measure(uni, Inputs(1, 3, 4, 1), ProjectionLoss(3)));
        Assert.Throws<ArgumentException>(() => GradientFlow.Measure(uni, Inputs(1, 3, 2, 1), h => h));
        Assert.Throws<ArgumentOutOfRangeException>(() => RecurrentWeightReport.ScaleRecurrentWeights(uni, double.NaN));
    }

    [Fact]
    public void WeightReport_NamesEveryGateBlock()
    {
        var lstm = new RecurrentStack<double>(RecurrentMode.Lstm, 2, 4, new Rng(1), numLayers: 2);
        var report = RecurrentWeightReport.Analyze(lstm);
        Assert.Equal(10, report.Count);   // 2 layers × (i, f, g, o, all)
        Assert.Equal(["i", "f", "g", "o", "all"], report.Take(5).Select(b => b.Gate).ToArray());
        Assert.All(report.Take(5), b => Assert.Equal("weight_hh_l0", b.Parameter));
        Assert.All(report.Where(b => b.Gate != "all"), b => Assert.True(b.SpectralRadius <= b.LargestSingularValue * (1 + 1e-9)));
        Assert.True(double.IsNaN(report[4].SpectralRadius));
        // Scaling W_hh scales every spectrum.
        RecurrentWeightReport.ScaleRecurrentWeights(lstm, 3);
        var scaled = RecurrentWeightReport.Analyze(lstm);
        for (int i = 0; i < report.Count; i++)
            Assert.Equal(3 * report[i].LargestSingularValue, scaled[i].LargestSingularValue, 8);
    }
}
