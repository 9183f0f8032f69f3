using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Tests.Optim;

public class AdamTests
{
    // The textbook form of Adam (Kingma & Ba, with PyTorch's ε placement after the bias-corrected √v̂),
    // written independently of the implementation's rearranged form.
    private static double[] Textbook(double lr, double b1, double b2, double eps, double wd, bool decoupled, bool ams, int steps, Func<double, double> grad)
    {
        double p = 1, m = 0, v = 0, vmax = 0;
        var r = new double[steps];
        for (int t = 1; t <= steps; t++)
        {
            double g = grad(p);
            if (decoupled) p -= lr * wd * p; else g += wd * p;
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            vmax = Math.Max(vmax, v);
            double mhat = m / (1 - Math.Pow(b1, t));
            double vhat = (ams ? vmax : v) / (1 - Math.Pow(b2, t));
            p -= lr * mhat / (Math.Sqrt(vhat) + eps);
            r[t - 1] = p;
        }
        return r;
    }

    [Fact]
    public void FirstStepMovesByLrTimesSignOfGradient()
    {
        // m̂ = g and √v̂ = |g| on step 1: p = 1 − 0.1·2/(2 + 1e-8)
        var traj = SgdTests.Trajectory(p => new Adam<double>([p], lr: 0.1), 1);
        Assert.Equal(1 - 0.1 * 2 / (2 + 1e-8), traj[0], 15);
    }

    [Fact]
    public void ConstantGradientGivesLrSizedSteps()
    {
        var traj = SgdTests.Trajectory(p => new Adam<double>([p], lr: 0.01), 3, grad: _ => -0.5);
        SgdTests.AssertTrajectory([1 + 0.01 * 0.5 / (0.5 + 1e-8), 1 + 0.02 * 0.5 / (0.5 + 1e-8), 1 + 0.03 * 0.5 / (0.5 + 1e-8)], traj);
    }

    [Theory]
    [InlineData(0.0, false, false)]
    [InlineData(0.1, false, false)]
    [InlineData(0.1, true, false)]
    [InlineData(0.0, false, true)]
    public void TrajectoryMatchesTheTextbookForm(double wd, bool decoupled, bool ams)
    {
        Func<double, double> grad = p => 2 * p + Math.Sin(5 * p);       // not constant, shrinking: amsgrad's max matters
        Func<Tensor<double>, IOptimizer> make = decoupled
            ? p => new AdamW<double>([p], lr: 0.1, beta1: 0.8, beta2: 0.9, eps: 1e-6, weightDecay: wd, amsgrad: ams)
            : p => new Adam<double>([p], lr: 0.1, beta1: 0.8, beta2: 0.9, eps: 1e-6, weightDecay: wd, amsgrad: ams);
        var expected = Textbook(0.1, 0.8, 0.9, 1e-6, wd, decoupled, ams, 4, grad);
        SgdTests.AssertTrajectory(expected, SgdTests.Trajectory(make, 4, grad: grad));
    }

    [Fact]
    public void AdamWDefaultsToWeightDecay001AndDiffersFromL2()
    {
        var p = Tensor<double>.FromDoubles([1], 1);
        var w = new AdamW<double>([p]);
        Assert.Equal(0.01, w.WeightDecay);
        Assert.Equal("AdamW", w.Kind);
        var l2 = SgdTests.Trajectory(q => new Adam<double>([q], lr: 0.1, weightDecay: 0.5), 3);
        var dec = SgdTests.Trajectory(q => new AdamW<double>([q], lr: 0.1, weightDecay: 0.5), 3);
        Assert.NotEqual(l2[2], dec[2]);
    }

    [Fact]
    public void SkippedParametersKeepTheirOwnStepCount()
    {
        // b misses the first step: its first update must be a "step 1" update (bias corrections for t = 1).
        var a = Tensor<double>.FromDoubles([1], 1);
        var b = Tensor<double>.FromDoubles([1], 1);
        var opt = new Adam<double>([a, b], lr: 0.1);
        a.Grad = Tensor<double>.FromDoubles([2], 1);
        opt.Step();
        Assert.Equal(1.0, b.Data[0]);
        b.Grad = Tensor<double>.FromDoubles([2], 1);
        a.Grad = null;
        opt.Step();
        Assert.Equal(1 - 0.1 * 2 / (2 + 1e-8), b.Data[0], 15);
        var state = opt.StateDict();
        Assert.Equal(1, state.Scalars["0.step"]);
        Assert.Equal(1, state.Scalars["1.step"]);
        Assert.Equal(2, state.StepCount);
    }

    [Fact]
    public void StateDictResumesExactly()
    {
        OptimizerResume.AssertExactResume(ps => new Adam<float>(ps, lr: 0.01, amsgrad: true));
        OptimizerResume.AssertExactResume(ps => new AdamW<float>(ps, lr: 0.01, weightDecay: 0.1));
    }

    [Fact]
    public void LoadingAnotherKindOrShapeFailsWithAClearMessage()
    {
        var p = Tensor<float>.FromDoubles([1, 2], 2);
        var adam = new Adam<float>([p]);
        p.Grad = Tensor<float>.FromDoubles([1, 1], 2);
        adam.Step();
        var state = adam.StateDict();
        var ex = Assert.Throws<InvalidDataException>(() => new Sgd<float>([p]).LoadStateDict(state));
        Assert.Contains("Adam", ex.Message);
        var other = new Adam<float>([Tensor<float>.FromDoubles([1, 2, 3], 3)]);
        ex = Assert.Throws<InvalidDataException>(() => other.LoadStateDict(state));
        Assert.Contains("0.exp_avg", ex.Message);
    }
}
