// The knobs shared by the forecasting and classification loops, with defaults that work on the
// built-in tasks.
namespace Recurrent.Training;

/// <summary>Minibatch training with Adam and gradient-norm clipping; the weights of the epoch with the best
/// validation score are kept (and training stops after <see cref="Patience"/> epochs without improvement).</summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the training examples.</summary>
    public int Epochs { get; init; } = 20;
    /// <summary>Examples per minibatch.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 0.01;
    /// <summary>Gradients are rescaled to this global L2 norm when larger (0 = no clipping).</summary>
    public double ClipNorm { get; init; } = 1.0;
    /// <summary>L2 weight decay of Adam.</summary>
    public double WeightDecay { get; init; }
    /// <summary>Stop after this many epochs without a better validation score (0 = never stop early).</summary>
    public int Patience { get; init; }
    /// <summary>Cosine decay of the learning rate from <see cref="LearningRate"/> towards 0 over <see cref="Epochs"/>
    /// (per epoch); off = constant. Small noisy data sets need the late small steps to settle.</summary>
    public bool CosineDecay { get; init; }

    /// <summary>Decay of an exponential moving average of the weights (e.g. 0.99); validation and the final
    /// model use the averaged weights. 0 = off.</summary>
    public double AverageDecay { get; init; }

    /// <summary>The learning rate of epoch <paramref name="epoch"/> (1-based).</summary>
    public double LearningRateAt(int epoch)
        => CosineDecay ? LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (epoch - 1) / Epochs)) : LearningRate;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the option.</exception>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"--epochs must be at least 1 (got {Epochs}).");
        if (BatchSize < 1) throw new ArgumentException($"--batch-size must be at least 1 (got {BatchSize}).");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"--lr must be a positive number (got {LearningRate}).");
        if (!(ClipNorm >= 0)) throw new ArgumentException($"--clip must be 0 (off) or positive (got {ClipNorm}).");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"--weight-decay must be 0 or positive (got {WeightDecay}).");
        if (!(AverageDecay >= 0 && AverageDecay < 1)) throw new ArgumentException($"--average must be 0 (off) or in (0, 1) (got {AverageDecay}).");
        if (Patience < 0) throw new ArgumentException($"--patience must be 0 (off) or positive (got {Patience}).");
    }
}

/// <summary>What happened in one epoch: mean training loss, validation loss and score, and whether the
/// weights were kept as the best so far.</summary>
public sealed record EpochReport(int Epoch, int Epochs, double TrainLoss, double ValidationLoss, double ValidationScore,
    double MeanGradNorm, double Seconds, bool Best);
