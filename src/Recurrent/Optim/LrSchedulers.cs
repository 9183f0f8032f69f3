// Learning-rate schedules with PyTorch's semantics and recursive ("chainable") formulas, so the numbers
// match torch.optim.lr_scheduler step for step. Call Step() once per epoch, after optimizer.Step().
namespace Recurrent.Optim;

/// <summary>A schedule that sets <see cref="IOptimizer.LearningRate"/> from the epoch count. As in PyTorch,
/// construction counts as epoch 0 and leaves the learning rate unchanged.</summary>
public abstract class LrScheduler
{
    /// <summary>Attaches to <paramref name="optimizer"/>; its current learning rate becomes the base rate.</summary>
    protected LrScheduler(IOptimizer optimizer)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        BaseLearningRate = optimizer.LearningRate;
    }

    /// <summary>The scheduled optimizer.</summary>
    public IOptimizer Optimizer { get; }

    /// <summary>The learning rate at construction (PyTorch's <c>initial_lr</c>).</summary>
    public double BaseLearningRate { get; private set; }

    /// <summary>Epochs stepped so far (PyTorch's <c>last_epoch</c>; 0 after construction).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Advances one epoch and sets the optimizer's learning rate.</summary>
    public void Step()
    {
        LastEpoch++;
        Optimizer.LearningRate = NextLearningRate(Optimizer.LearningRate, LastEpoch);
    }

    /// <summary>The learning rate for <paramref name="epoch"/> given the current one.</summary>
    protected abstract double NextLearningRate(double current, int epoch);

    /// <summary>The schedule's state as plain numbers (the optimizer's learning rate is stored with the optimizer).</summary>
    public Dictionary<string, double> StateDict() => new() { ["last_epoch"] = LastEpoch, ["base_lr"] = BaseLearningRate };

    /// <summary>Restores <see cref="StateDict"/>.</summary>
    /// <exception cref="InvalidDataException">A value is missing.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, double> state)
    {
        LastEpoch = (int)Get(state, "last_epoch");
        BaseLearningRate = Get(state, "base_lr");
    }

    internal static double Get(IReadOnlyDictionary<string, double> state, string key)
        => state.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"scheduler state: missing '{key}'.");
}

/// <summary>Multiplies the learning rate by <c>gamma</c> every <c>stepSize</c> epochs (PyTorch's StepLR).</summary>
public sealed class StepLr : LrScheduler
{
    /// <exception cref="ArgumentException">stepSize is not positive.</exception>
    public StepLr(IOptimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize <= 0) throw new ArgumentException($"StepLr: step size {stepSize} must be positive.");
        StepSize = stepSize;
        Gamma = gamma;
    }

    public int StepSize { get; }
    public double Gamma { get; }

    protected override double NextLearningRate(double current, int epoch) => epoch % StepSize == 0 ? current * Gamma : current;
}

/// <summary>Cosine annealing from the base rate to <c>etaMin</c> over <c>tMax</c> epochs, then back up
/// (PyTorch's CosineAnnealingLR, recursive form).</summary>
public sealed class CosineAnnealingLr : LrScheduler
{
    /// <exception cref="ArgumentException">tMax is not positive.</exception>
    public CosineAnnealingLr(IOptimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax <= 0) throw new ArgumentException($"CosineAnnealingLr: tMax {tMax} must be positive.");
        TMax = tMax;
        EtaMin = etaMin;
    }

    public int TMax { get; }
    public double EtaMin { get; }

    protected override double NextLearningRate(double current, int epoch)
    {
        int period = 2 * TMax;
        if ((((epoch - 1 - TMax) % period) + period) % period == 0)   // Python's non-negative modulo
            return current + (BaseLearningRate - EtaMin) * (1 - Math.Cos(Math.PI / TMax)) / 2;
        return (1 + Math.Cos(Math.PI * epoch / TMax)) / (1 + Math.Cos(Math.PI * (epoch - 1) / TMax)) * (current - EtaMin) + EtaMin;
    }
}

/// <summary>Whether a monitored metric should go down (a loss) or up (an accuracy).</summary>
public enum PlateauMode
{
    /// <summary>Lower is better.</summary>
    Min,
    /// <summary>Higher is better.</summary>
    Max,
}

/// <summary>
/// Divides the learning rate by 1/<c>factor</c> when a metric has not improved for more than <c>patience</c>
/// epochs (PyTorch's ReduceLROnPlateau). Improvement is relative (<c>a &lt; best·(1 − threshold)</c> in min mode)
/// or absolute (<c>a &lt; best − threshold</c>); after a reduction, <c>cooldown</c> epochs are not counted; the rate
/// never goes below <c>minLr</c>, and changes smaller than <c>eps</c> are skipped.
/// </summary>
public sealed class ReduceLrOnPlateau
{
    /// <exception cref="ArgumentException">factor is not in [0, 1), or patience/cooldown is negative.</exception>
    public ReduceLrOnPlateau(IOptimizer optimizer, PlateauMode mode = PlateauMode.Min, double factor = 0.1, int patience = 10,
        double threshold = 1e-4, bool relativeThreshold = true, int cooldown = 0, double minLr = 0, double eps = 1e-8)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        if (!(factor >= 0 && factor < 1)) throw new ArgumentException($"ReduceLrOnPlateau: factor {factor} must be in [0, 1).");
        if (patience < 0 || cooldown < 0) throw new ArgumentException("ReduceLrOnPlateau: patience and cooldown must be ≥ 0.");
        Mode = mode; Factor = factor; Patience = patience; Threshold = threshold; RelativeThreshold = relativeThreshold;
        Cooldown = cooldown; MinLr = minLr; Eps = eps;
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    public IOptimizer Optimizer { get; }
    public PlateauMode Mode { get; }
    public double Factor { get; }
    public int Patience { get; }
    public double Threshold { get; }
    public bool RelativeThreshold { get; }
    public int Cooldown { get; }
    public double MinLr { get; }
    public double Eps { get; }

    /// <summary>The best metric seen.</summary>
    public double Best { get; private set; }
    /// <summary>Consecutive epochs without improvement (outside cooldown).</summary>
    public int NumBadEpochs { get; private set; }
    /// <summary>Epochs of cooldown left.</summary>
    public int CooldownCounter { get; private set; }
    /// <summary>Number of <see cref="Step"/> calls.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Records this epoch's <paramref name="metric"/> and reduces the learning rate if it has plateaued.
    /// Returns true when the rate was reduced.</summary>
    public bool Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric, Best)) { Best = metric; NumBadEpochs = 0; }
        else NumBadEpochs++;
        if (CooldownCounter > 0) { CooldownCounter--; NumBadEpochs = 0; }
        if (NumBadEpochs <= Patience) return false;
        CooldownCounter = Cooldown;
        NumBadEpochs = 0;
        double old = Optimizer.LearningRate;
        double next = Math.Max(old * Factor, MinLr);
        if (old - next <= Eps) return false;
        Optimizer.LearningRate = next;
        return true;
    }

    private bool IsBetter(double a, double best) => (Mode, RelativeThreshold) switch
    {
        (PlateauMode.Min, true) => a < best * (1 - Threshold),
        (PlateauMode.Min, false) => a < best - Threshold,
        (PlateauMode.Max, true) => a > best * (Threshold + 1),
        _ => a > best + Threshold,
    };

    /// <summary>The mutable state as plain numbers.</summary>
    public Dictionary<string, double> StateDict() => new()
    {
        ["best"] = Best, ["num_bad_epochs"] = NumBadEpochs, ["cooldown_counter"] = CooldownCounter, ["last_epoch"] = LastEpoch,
    };

    /// <summary>Restores <see cref="StateDict"/>.</summary>
    /// <exception cref="InvalidDataException">A value is missing.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, double> state)
    {
        Best = LrScheduler.Get(state, "best");
        NumBadEpochs = (int)LrScheduler.Get(state, "num_bad_epochs");
        CooldownCounter = (int)LrScheduler.Get(state, "cooldown_counter");
        LastEpoch = (int)LrScheduler.Get(state, "last_epoch");
    }
}
