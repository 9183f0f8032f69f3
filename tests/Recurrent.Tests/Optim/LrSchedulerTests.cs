using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Tests.Optim;

public class LrSchedulerTests
{
    private static Sgd<double> Opt(double lr) => new([new Tensor<double>(1)], lr: lr);

    private static double[] Run(LrScheduler s, int epochs)
    {
        var r = new double[epochs];
        for (int e = 0; e < epochs; e++) { s.Step(); r[e] = s.Optimizer.LearningRate; }
        return r;
    }

    [Fact]
    public void StepLrDecaysEveryStepSizeEpochs()
    {
        var opt = Opt(1);
        var s = new StepLr(opt, stepSize: 2, gamma: 0.5);
        Assert.Equal(1, opt.LearningRate);
        Assert.Equal([1, 0.5, 0.5, 0.25, 0.25], Run(s, 5));
    }

    [Fact]
    public void CosineAnnealingFollowsTheClosedFormAndRestartsUpward()
    {
        var s = new CosineAnnealingLr(Opt(1), tMax: 4, etaMin: 0.1);
        var expected = Enumerable.Range(1, 8).Select(e => 0.1 + 0.9 * (1 + Math.Cos(Math.PI * e / 4)) / 2).ToArray();
        Support.Tolerance.AssertClose(expected, Run(s, 8), 1e-12, 1e-14, "cosine");
    }

    [Fact]
    public void SchedulerStateResumes()
    {
        var a = new CosineAnnealingLr(Opt(0.5), tMax: 5);
        Run(a, 3);
        var b = new CosineAnnealingLr(Opt(a.Optimizer.LearningRate), tMax: 5);
        b.LoadStateDict(a.StateDict());
        Assert.Equal(Run(a, 4), Run(b, 4));
    }

    [Fact]
    public void PlateauReducesAfterPatienceWithCooldownAndMinimum()
    {
        var opt = Opt(1);
        var s = new ReduceLrOnPlateau(opt, factor: 0.5, patience: 2, cooldown: 1, minLr: 0.2);
        // best 1, best 0.9, then 0.89995 is NOT an improvement (relative threshold 1e-4: needs < 0.89991)
        double[] metrics = [1, 0.9, 0.89995, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95];
        var lrs = metrics.Select(m => { s.Step(m); return opt.LearningRate; }).ToArray();
        // bad epochs 1, 2, 3 > patience at epoch 5 → 0.5; cooldown swallows epoch 6; 3 more bad → 0.25 at epoch 9;
        // then 0.2 (the minimum) at epoch 13
        Assert.Equal([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2], lrs);
        Assert.Equal(0.9, s.Best);
    }

    [Fact]
    public void PlateauMaxModeAndAbsoluteThresholdAndResume()
    {
        var opt = Opt(1);
        var s = new ReduceLrOnPlateau(opt, PlateauMode.Max, factor: 0.1, patience: 0, threshold: 0.05, relativeThreshold: false);
        s.Step(0.5);
        Assert.Equal(1, opt.LearningRate);
        s.Step(0.54);                                                    // not above 0.5 + 0.05
        Assert.Equal(0.1, opt.LearningRate, 15);
        var t = new ReduceLrOnPlateau(opt, PlateauMode.Max, factor: 0.1, patience: 0, threshold: 0.05, relativeThreshold: false);
        t.LoadStateDict(s.StateDict());
        Assert.Equal(0.5, t.Best);
        t.Step(0.56);
        Assert.Equal(0.1, opt.LearningRate, 15);
        Assert.Equal(0.56, t.Best);
    }
}
