using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Tests.Optim;

public class RmsPropAdagradTests
{
    // Independent textbook RMSprop (Hinton's lecture form with PyTorch's options), scalar parameter.
    private static double[] RmsTextbook(double lr, double alpha, double eps, double wd, double mom, bool centered, int steps, Func<double, double> grad)
    {
        double p = 1, s = 0, gbar = 0, buf = 0;
        var r = new double[steps];
        for (int t = 0; t < steps; t++)
        {
            double g = grad(p) + wd * p;
            s = alpha * s + (1 - alpha) * g * g;
            gbar = alpha * gbar + (1 - alpha) * g;
            double d = Math.Sqrt(centered ? s - gbar * gbar : s) + eps;
            if (mom > 0) { buf = mom * buf + g / d; p -= lr * buf; }
            else p -= lr * g / d;
            r[t] = p;
        }
        return r;
    }

    [Fact]
    public void RmsPropHandComputedSteps()
    {
        // s = 0.04, p = 1 − 0.01·2/(0.2 + 1e-8); then g = 2p, s = 0.99·0.04 + 0.01·g², p −= 0.01·g/(√s + 1e-8)
        double p1 = 1 - 0.01 * 2 / (0.2 + 1e-8);
        double g2 = 2 * p1, s2 = 0.99 * 0.04 + 0.01 * g2 * g2;
        double p2 = p1 - 0.01 * g2 / (Math.Sqrt(s2) + 1e-8);
        SgdTests.AssertTrajectory([p1, p2], SgdTests.Trajectory(p => new RmsProp<double>([p]), 2));
        Assert.Equal(0.8329179606750063, p2, 6);
    }

    [Theory]
    [InlineData(0.0, 0.0, false)]
    [InlineData(0.1, 0.0, false)]
    [InlineData(0.0, 0.9, false)]
    [InlineData(0.0, 0.0, true)]
    [InlineData(0.05, 0.5, true)]
    public void RmsPropMatchesTheTextbookForm(double wd, double mom, bool centered)
    {
        Func<double, double> grad = p => 2 * p + Math.Cos(3 * p);
        var expected = RmsTextbook(0.05, 0.9, 1e-6, wd, mom, centered, 4, grad);
        var actual = SgdTests.Trajectory(p => new RmsProp<double>([p], lr: 0.05, alpha: 0.9, eps: 1e-6, weightDecay: wd, momentum: mom, centered: centered), 4, grad: grad);
        SgdTests.AssertTrajectory(expected, actual);
    }

    [Fact]
    public void AdagradHandComputedSteps()
    {
        // s = 4, p = 1 − 0.1·2/2 ≈ 0.9; g ≈ 1.8, s ≈ 7.24, p ≈ 0.9 − 0.1·1.8/√7.24 (ε = 1e-10 kept exactly)
        double p1 = 1 - 0.2 / (2 + 1e-10), gb = 2 * p1;
        var adagrad = SgdTests.Trajectory(p => new Adagrad<double>([p], lr: 0.1), 2);
        SgdTests.AssertTrajectory([p1, p1 - 0.1 * gb / (Math.Sqrt(4 + gb * gb) + 1e-10)], adagrad);
        Assert.Equal(0.9 - 0.18 / Math.Sqrt(7.24), adagrad[1], 9);
        // lr decay 0.5: the second step uses lr / (1 + 0.5); initial accumulator 1 adds to the sum
        double q1 = 1 - 0.1 * 2 / Math.Sqrt(5);
        double g2 = 2 * q1;
        double q2 = q1 - 0.1 / 1.5 * g2 / Math.Sqrt(5 + g2 * g2);
        SgdTests.AssertTrajectory([q1, q2], SgdTests.Trajectory(p => new Adagrad<double>([p], lr: 0.1, lrDecay: 0.5, initialAccumulatorValue: 1, eps: 0), 2));
    }

    [Fact]
    public void StateDictResumesExactly()
    {
        OptimizerResume.AssertExactResume(ps => new RmsProp<float>(ps, lr: 0.01, momentum: 0.5, centered: true, weightDecay: 0.01));
        OptimizerResume.AssertExactResume(ps => new Adagrad<float>(ps, lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1));
    }
}
