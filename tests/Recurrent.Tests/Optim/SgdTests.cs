using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Tests.Optim;

public class SgdTests
{
    // Loss p² on a single parameter starting at 1: gradient 2p. Trajectories computed by hand from PyTorch's update rule.
    internal static double[] Trajectory(Func<Tensor<double>, IOptimizer> make, int steps, double p0 = 1, Func<double, double>? grad = null)
    {
        grad ??= p => 2 * p;
        var p = Tensor<double>.FromDoubles([p0], 1);
        p.RequiresGrad = true;
        var opt = make(p);
        var result = new double[steps];
        for (int s = 0; s < steps; s++)
        {
            p.Grad = Tensor<double>.FromDoubles([grad(p.Data[0])], 1);
            opt.Step();
            result[s] = p.Data[0];
        }
        return result;
    }

    [Fact]
    public void PlainSgd() =>
        AssertTrajectory([0.8, 0.64, 0.512], Trajectory(p => new Sgd<double>([p], lr: 0.1), 3));

    [Fact]
    public void Momentum()
        // buf = 2 → p = 0.8; g = 1.6, buf = 3.4 → p = 0.46; g = 0.92, buf = 3.98 → p = 0.062
        => AssertTrajectory([0.8, 0.46, 0.062], Trajectory(p => new Sgd<double>([p], lr: 0.1, momentum: 0.9), 3));

    [Fact]
    public void MomentumWithDampeningDoesNotDampTheFirstStep()
        // buf = 2 → p = 0.8; g = 1.6, buf = 0.9·2 + 0.5·1.6 = 2.6 → p = 0.54
        => AssertTrajectory([0.8, 0.54], Trajectory(p => new Sgd<double>([p], lr: 0.1, momentum: 0.9, dampening: 0.5), 2));

    [Fact]
    public void Nesterov()
        // buf = 2, g = 2 + 0.9·2 = 3.8 → p = 0.62; g = 1.24, buf = 3.04, g = 1.24 + 2.736 = 3.976 → p = 0.2224
        => AssertTrajectory([0.62, 0.2224], Trajectory(p => new Sgd<double>([p], lr: 0.1, momentum: 0.9, nesterov: true), 2));

    [Fact]
    public void WeightDecayAddsToTheGradient()
        // g = 2p + 0.1p = 2.1p → p ← 0.79·p
        => AssertTrajectory([0.79, 0.6241], Trajectory(p => new Sgd<double>([p], lr: 0.1, weightDecay: 0.1), 2));

    [Fact]
    public void ParametersWithoutGradientAreSkipped()
    {
        var a = Tensor<double>.FromDoubles([1, 2], 2);
        var b = Tensor<double>.FromDoubles([3], 1);
        var opt = new Sgd<double>([a, b], lr: 0.5, momentum: 0.9);
        a.Grad = Tensor<double>.FromDoubles([1, -1], 2);
        opt.Step();
        Assert.Equal([0.5, 2.5], a.ToArray());
        Assert.Equal([3.0], b.ToArray());
        Assert.DoesNotContain(opt.StateDict().Buffers.Keys, k => k.StartsWith("1."));
        opt.ZeroGrad();
        Assert.Null(a.Grad);
    }

    [Fact]
    public void InvalidHyperparametersAreRejected()
    {
        var p = new Tensor<double>(1);
        Assert.Throws<ArgumentException>(() => new Sgd<double>([p], lr: -1));
        Assert.Throws<ArgumentException>(() => new Sgd<double>([p], nesterov: true));
        Assert.Throws<ArgumentException>(() => new Sgd<double>([p, p]));
    }

    [Fact]
    public void StateDictResumesExactly()
        => OptimizerResume.AssertExactResume(ps => new Sgd<float>(ps, lr: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true));

    internal static void AssertTrajectory(double[] expected, double[] actual)
        => Support.Tolerance.AssertClose(expected, actual, 1e-12, 1e-14, "trajectory");
}

/// <summary>Shared check: N steps straight equal K steps, save, new optimizer, load, N − K steps — bit for bit.</summary>
internal static class OptimizerResume
{
    public static void AssertExactResume(Func<Tensor<float>[], IOptimizer> make, int total = 6, int split = 3)
    {
        var straight = Run(make, total, split, resume: false);
        var resumed = Run(make, total, split, resume: true);
        Assert.Equal(straight, resumed);
    }

    private static float[] Run(Func<Tensor<float>[], IOptimizer> make, int total, int split, bool resume)
    {
        var rng = new Rng(5);
        var ps = new[] { Tensor<float>.Normal(rng, 0f, 1f, 3, 2), Tensor<float>.Normal(rng, 0f, 1f, 4), Tensor<float>.Normal(rng, 0f, 1f, 2) };
        var opt = make(ps);
        var grng = new Rng(77);
        for (int s = 0; s < total; s++)
        {
            if (resume && s == split)
            {
                var state = opt.StateDict();
                opt = make(ps);
                opt.LoadStateDict(state);
            }
            for (int i = 0; i < ps.Length; i++)
            {
                // parameter 2 gets a gradient only on odd steps: per-parameter step counts must survive the resume
                if (i == 2 && s % 2 == 0) { ps[i].Grad = null; continue; }
                var g = Tensor<float>.Normal(grng, 0f, 1f, ps[i].Shape.ToArray());
                for (int j = 0; j < g.Length; j++) g.Data[j] += 0.3f * ps[i].Data[j];
                ps[i].Grad = g;
            }
            opt.Step();
            if (s % 2 == 1) opt.LearningRate *= 0.7;
        }
        return ps.SelectMany(p => p.ToArray()).ToArray();
    }
}
