// Optimizer trajectories, schedules and clipping against literal values printed by PyTorch 1.13 in float64
// (tools/reference/ops_optim_values.py): scalar parameter p₀ = 1 fed the gradients named in each test.
using Recurrent.Optim;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Optim;

public class PyTorchValueTests
{
    private static void Close(double[] torch, double[] actual, string what) => Tolerance.AssertClose(torch, actual, 1e-13, 1e-15, what);

    // grad(p) = 2p + sin 5p; Adam(lr=0.1, betas=(0.8, 0.9), eps=1e-6, weight_decay, amsgrad) / AdamW
    [Theory]
    [InlineData(0.0, false, false, new[] { 0.9000000960543998, 0.8013732484702699, 0.7027446276677443, 0.6031216138830542 })]
    [InlineData(0.1, false, false, new[] { 0.900000087636526, 0.8012703927251351, 0.7026156238377734, 0.6030464291526327 })]
    [InlineData(0.1, true, false, new[] { 0.8900000960543998, 0.7825611641681914, 0.6759429192780894, 0.5693744394681983 })]
    [InlineData(0.0, false, true, new[] { 0.9000000960543998, 0.8013732484702699, 0.7027446276677443, 0.6031216138830542 })]
    public void Adam(double wd, bool decoupled, bool ams, double[] torch)
    {
        Func<double, double> grad = p => 2 * p + Math.Sin(5 * p);
        Func<Tensor<double>, IOptimizer> make = decoupled
            ? p => new AdamW<double>([p], lr: 0.1, beta1: 0.8, beta2: 0.9, eps: 1e-6, weightDecay: wd, amsgrad: ams)
            : p => new Adam<double>([p], lr: 0.1, beta1: 0.8, beta2: 0.9, eps: 1e-6, weightDecay: wd, amsgrad: ams);
        Close(torch, SgdTests.Trajectory(make, 4, grad: grad), $"Adam wd={wd} decoupled={decoupled} amsgrad={ams}");
    }

    // grad(p) = 2p + cos 3p; RMSprop(lr=0.05, alpha=0.9, eps=1e-6, weight_decay, momentum, centered)
    [Theory]
    [InlineData(0.0, 0.0, false, new[] { 0.8418866120358582, 0.735764729178706, 0.6437753288586151, 0.5572743701522598 })]
    [InlineData(0.1, 0.0, false, new[] { 0.8418865674377032, 0.7358691103016254, 0.6446762323941888, 0.5595824307987634 })]
    [InlineData(0.0, 0.9, false, new[] { 0.8418866120358582, 0.5934626800109783, 0.27123892868876676, -0.11944479683697722 })]
    [InlineData(0.0, 0.0, true, new[] { 0.8333338833824371, 0.7156532933343784, 0.6071749571171365, 0.4982282021619749 })]
    [InlineData(0.05, 0.5, true, new[] { 0.8333338574369898, 0.6324058591384566, 0.4200205290978127, 0.19577093824034153 })]
    public void RmsProp(double wd, double mom, bool centered, double[] torch)
    {
        Func<double, double> grad = p => 2 * p + Math.Cos(3 * p);
        Close(torch, SgdTests.Trajectory(p => new RmsProp<double>([p], lr: 0.05, alpha: 0.9, eps: 1e-6, weightDecay: wd, momentum: mom, centered: centered), 4, grad: grad),
            $"RMSprop wd={wd} momentum={mom} centered={centered}");
    }

    // grad(p) = 2p
    [Fact]
    public void DefaultsAdagradAndSgd()
    {
        Close([0.9000000049999998, 0.8329179679700331], SgdTests.Trajectory(p => new RmsProp<double>([p]), 2), "RMSprop defaults");
        Close([0.900000000005, 0.8331035268450359], SgdTests.Trajectory(p => new Adagrad<double>([p], lr: 0.1), 2), "Adagrad");
        Close([0.9105572809000084, 0.8684577940514154],
            SgdTests.Trajectory(p => new Adagrad<double>([p], lr: 0.1, lrDecay: 0.5, initialAccumulatorValue: 1, eps: 0), 2), "Adagrad lr_decay");
        Close([0.8, 0.54], SgdTests.Trajectory(p => new Sgd<double>([p], lr: 0.1, momentum: 0.9, dampening: 0.5), 2), "SGD dampening");
        Close([0.62, 0.2224], SgdTests.Trajectory(p => new Sgd<double>([p], lr: 0.1, momentum: 0.9, nesterov: true), 2), "SGD Nesterov");
    }

    [Fact]
    public void CosineAnnealingRecursiveFormIncludingTheRestart()
    {
        var s = new CosineAnnealingLr(new Sgd<double>([new Tensor<double>(1)], lr: 1), tMax: 4, etaMin: 0.1);
        var lrs = Enumerable.Range(0, 8).Select(_ => { s.Step(); return s.Optimizer.LearningRate; }).ToArray();
        Close([0.8681980515339464, 0.55, 0.23180194846605368, 0.1, 0.2318019484660536, 0.55, 0.8681980515339467, 1.0000000000000004], lrs, "CosineAnnealingLR");
    }

    [Fact]
    public void ClipGradNormInfinityNorm()
    {
        var a = new Tensor<double>(3) { Grad = Tensor<double>.FromDoubles([1, -2, 3], 3) };
        Assert.Equal(3.0, GradClip.ClipGradNorm([a], 1.5, double.PositiveInfinity));
        Close([0.4999998333333889, -0.9999996666667778, 1.4999995000001667], a.Grad!.ToArray(), "clip_grad_norm_(inf)");
    }
}
