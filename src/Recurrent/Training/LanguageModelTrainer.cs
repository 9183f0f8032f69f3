// The language-model training loop of d2l's train_ch8 / the torch_lm_quality protocol, one epoch per
// call: forward from the carried state, cross-entropy, backward (BPTT inside the window), clipping,
// optimizer step, detach. Divergence (NaN/Inf) stops with the epoch and step; Ctrl-C stops after the
// current step with everything needed to continue exactly.
using System.Diagnostics;
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Models;
using Recurrent.Ops;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Training;

/// <summary>Options of the training loop (data and model options live elsewhere).</summary>
public sealed record LanguageModelTrainingOptions
{
    /// <summary>B: parallel streams (sequential) or subsequences (random) per minibatch.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>T: window length (mean window length for randomized truncation).</summary>
    public int Steps { get; init; } = 35;
    /// <summary>Total epochs.</summary>
    public int Epochs { get; init; } = 20;
    /// <summary>Random or sequential minibatches.</summary>
    public Sampling Sampling { get; init; } = Sampling.Sequential;
    /// <summary>Truncated, full or randomized-truncation BPTT.</summary>
    public BpttMode Bptt { get; init; } = BpttMode.Truncated;
    /// <summary>Random offset per epoch (d2l) or 0 (the quality protocol).</summary>
    public SequenceOffset Offset { get; init; } = SequenceOffset.Random;
    /// <summary>Global L2 gradient clipping threshold; 0 = off.</summary>
    public double ClipNorm { get; init; } = 1;
    /// <summary>Element-wise gradient clipping threshold; 0 = off.</summary>
    public double ClipValue { get; init; }
    /// <summary>Stop after this many epochs without a better validation perplexity; 0 = never.</summary>
    public int Patience { get; init; }

    /// <summary>Checks ranges and combinations; messages name the CLI options.</summary>
    /// <exception cref="ArgumentException">A value is out of range or a combination is meaningless.</exception>
    public void Validate(bool hasValidation)
    {
        if (BatchSize < 1) throw new ArgumentException($"--batch must be ≥ 1 (got {BatchSize}).");
        if (Steps < 1) throw new ArgumentException($"--steps must be ≥ 1 (got {Steps}).");
        if (Epochs < 1) throw new ArgumentException($"--epochs must be ≥ 1 (got {Epochs}).");
        if (!(ClipNorm >= 0) || double.IsInfinity(ClipNorm)) throw new ArgumentException($"--clip-norm must be a finite number ≥ 0 (0 = off; got {ClipNorm}).");
        if (!(ClipValue >= 0) || double.IsInfinity(ClipValue)) throw new ArgumentException($"--clip-value must be a finite number ≥ 0 (0 = off; got {ClipValue}).");
        if (Patience < 0) throw new ArgumentException($"--patience must be ≥ 0 (0 = off; got {Patience}).");
        if (Patience > 0 && !hasValidation) throw new ArgumentException("--patience needs a validation split (--val-fraction > 0).");
        LanguageModelBatches.ValidateCombination(Sampling, Bptt, Offset);
    }
}

/// <summary>One step, for progress displays.</summary>
public readonly record struct TrainingStepReport(int Epoch, int Step, int StepsInEpoch, double Loss, double TokensPerSecond, double GradNorm);

/// <summary>Training stopped because the loss or the gradient became NaN or infinite (or the loss so large that the perplexity is).</summary>
public sealed class TrainingDivergedException(int epoch, int step, int stepsInEpoch, string what)
    : Exception($"training diverged at epoch {epoch}, step {step} of {stepsInEpoch}: {what}")
{
    /// <summary>1-based epoch.</summary>
    public int Epoch { get; } = epoch;
    /// <summary>1-based step within the epoch.</summary>
    public int Step { get; } = step;
    /// <summary>Steps in that epoch.</summary>
    public int StepsInEpoch { get; } = stepsInEpoch;
}

/// <summary>Everything about a run's progress that is not the model or the optimizer: completed epochs, the
/// metrics so far, the best result, early-stopping counter, and — after an interruption inside an epoch —
/// the position and accumulators needed to continue that epoch exactly.</summary>
public sealed class LanguageModelTrainingState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Epochs fully done (their metrics are in <see cref="History"/>).</summary>
    public int CompletedEpochs { get; set; }
    /// <summary>Per-epoch metrics, oldest first.</summary>
    public List<EpochMetrics> History { get; } = [];
    /// <summary>Lowest validation loss so far (training loss without validation); +∞ before the first epoch.</summary>
    public double BestLoss { get; set; } = double.PositiveInfinity;
    /// <summary>The epoch of <see cref="BestLoss"/> (0 = none).</summary>
    public int BestEpoch { get; set; }
    /// <summary>Epochs since <see cref="BestLoss"/> improved.</summary>
    public int EpochsWithoutImprovement { get; set; }
    /// <summary>Set when early stopping ended the run.</summary>
    public bool StoppedEarly { get; set; }

    /// <summary>Within an interrupted epoch: the next step to run (0 = at an epoch boundary).</summary>
    public int NextStep { get; set; }
    /// <summary>Within an interrupted epoch: the data generator's state at the start of that epoch (regenerates its batches).</summary>
    public ulong[]? EpochDataRngState { get; set; }
    /// <summary>Within an interrupted epoch: Σ loss·tokens so far.</summary>
    public double PartialLossSum { get; set; }
    /// <summary>Within an interrupted epoch: tokens so far.</summary>
    public long PartialTokens { get; set; }
    /// <summary>Within an interrupted epoch: seconds so far.</summary>
    public double PartialSeconds { get; set; }
    /// <summary>Within an interrupted epoch: Σ gradient norms so far.</summary>
    public double PartialGradNormSum { get; set; }
    /// <summary>Within an interrupted epoch: the state carried into <see cref="NextStep"/> (null = zeros).</summary>
    public LanguageModelState<T>? CarriedState { get; set; }

    /// <summary>True while an epoch is half done.</summary>
    public bool InsideEpoch => NextStep > 0;

    /// <summary>Forgets the position inside an epoch.</summary>
    public void ClearPartial()
    {
        NextStep = 0; EpochDataRngState = null; PartialLossSum = 0; PartialTokens = 0; PartialSeconds = 0; PartialGradNormSum = 0; CarriedState = null;
    }
}

/// <summary>Runs epochs of language-model training and evaluation.</summary>
public sealed class LanguageModelTrainer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly LanguageModel<T> _model;
    private readonly IOptimizer _optimizer;
    private readonly int[] _train;
    private readonly int[]? _valid;
    private readonly Tensor<T>[] _parameters;

    /// <param name="model">The model to train (its dropout generator is part of the run's randomness).</param>
    /// <param name="optimizer">An optimizer over <c>model.Parameters()</c>.</param>
    /// <param name="train">Training token ids.</param>
    /// <param name="valid">Validation token ids, or null/empty for none.</param>
    /// <param name="options">Loop options.</param>
    /// <param name="dataRng">Draws offsets, shuffles and window lengths; its state is saved in checkpoints.</param>
    /// <param name="state">Progress to continue from (resume), or null for a fresh run.</param>
    /// <exception cref="ArgumentException">Options are invalid.</exception>
    /// <exception cref="InvalidDataException">The training text is shorter than one minibatch, or the validation text shorter than B + 1 tokens.</exception>
    public LanguageModelTrainer(LanguageModel<T> model, IOptimizer optimizer, int[] train, int[]? valid,
        LanguageModelTrainingOptions options, Rng dataRng, LanguageModelTrainingState<T>? state = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _train = train ?? throw new ArgumentNullException(nameof(train));
        _valid = valid is { Length: > 0 } ? valid : null;
        Options = options ?? throw new ArgumentNullException(nameof(options));
        DataRng = dataRng ?? throw new ArgumentNullException(nameof(dataRng));
        options.Validate(_valid is not null);
        State = state ?? new LanguageModelTrainingState<T>();
        _parameters = model.Parameters().ToArray();

        // Fail before the first step, with the option to change, rather than at the end of epoch 1.
        long needed = (long)options.BatchSize * options.Steps + 1;
        if (_train.Length < needed)
            throw new InvalidDataException($"the training text has {_train.Length} tokens, fewer than one minibatch needs ({options.BatchSize} × {options.Steps} + 1 = {needed}); use a smaller --batch or --steps{(_valid is null ? "" : " or a smaller --val-fraction")}.");
        if (_valid is not null && _valid.Length < options.BatchSize + 1)
            throw new InvalidDataException($"the validation split has {_valid.Length} tokens, fewer than --batch {options.BatchSize} streams need ({options.BatchSize} + 1); use a larger --val-fraction or a smaller --batch.");
    }

    /// <summary>The loop options.</summary>
    public LanguageModelTrainingOptions Options { get; }

    /// <summary>The data generator (its state goes into checkpoints).</summary>
    public Rng DataRng { get; }

    /// <summary>Progress so far.</summary>
    public LanguageModelTrainingState<T> State { get; }

    /// <summary>Called after every step.</summary>
    public Action<TrainingStepReport>? OnStep { get; set; }

    /// <summary>True when there is a validation split.</summary>
    public bool HasValidation => _valid is not null;

    /// <summary>True when every epoch is done or early stopping ended the run.</summary>
    public bool Finished => State.StoppedEarly || State.CompletedEpochs >= Options.Epochs;

    /// <summary>Runs (the rest of) the next epoch, then evaluates. Returns the epoch's metrics, or null when
    /// <paramref name="cancellation"/> stopped it part-way (the state then holds the position).</summary>
    /// <exception cref="TrainingDivergedException">The loss or gradient norm is NaN or infinite.</exception>
    public EpochMetrics? RunEpoch(CancellationToken cancellation = default)
    {
        if (Finished) throw new InvalidOperationException("LanguageModelTrainer: training is already finished.");
        int epoch = State.CompletedEpochs + 1;
        var s = State;
        if (s.InsideEpoch) DataRng.SetState(s.EpochDataRngState!);
        ulong[] epochRngState = DataRng.GetState();
        var batches = LanguageModelBatches.ForEpoch(_train, Options.BatchSize, Options.Steps, Options.Sampling, Options.Bptt, Options.Offset, DataRng);
        int first = s.NextStep;
        if (first > batches.Count) throw new InvalidDataException($"checkpoint: step {first} of epoch {epoch} does not exist (the epoch has {batches.Count} steps).");
        var carried = s.InsideEpoch ? s.CarriedState : null;
        double lossSum = s.PartialLossSum, seconds = s.PartialSeconds, gradSum = s.PartialGradNormSum;
        long tokens = s.PartialTokens;
        double clipAt = Options.ClipNorm > 0 ? Options.ClipNorm : double.PositiveInfinity;
        _model.Train();

        var clock = Stopwatch.StartNew();
        for (int step = first; step < batches.Count; step++)
        {
            var batch = batches[step];
            if (Options.Sampling == Sampling.Random) carried = null;          // independent subsequences
            var (loss, next) = _model.ForwardLoss(batch.X, batch.Y, batch.BatchSize, batch.Steps, carried);   // mean over B·T targets
            double l = double.CreateChecked(loss.Item());
            if (!double.IsFinite(l)) throw new TrainingDivergedException(epoch, step + 1, batches.Count, $"the loss is {Describe(l)}");
            // Bounded cells (tanh RNN, GRU, LSTM) keep an exploding model's loss finite — the logits blow up
            // instead — so a mean loss above ~709 nats (perplexity beyond double's range) is divergence too.
            if (double.IsPositiveInfinity(Math.Exp(l)))
                throw new TrainingDivergedException(epoch, step + 1, batches.Count, $"the loss is {l:G4} nats per token (perplexity overflows)");
            _optimizer.ZeroGrad(setToNone: false);
            loss.Backward();
            double norm = GradClip.ClipGradNorm(_parameters, clipAt);          // measured before clipping
            if (!double.IsFinite(norm)) throw new TrainingDivergedException(epoch, step + 1, batches.Count, $"the gradient norm is {Describe(norm)} (loss {l:G6})");
            if (Options.ClipValue > 0) GradClip.ClipGradValue(_parameters, Options.ClipValue);
            _optimizer.Step();
            carried = next.Detach();                                           // truncate BPTT at the window edge

            int n = batch.Y.Length;
            lossSum += l * n;
            tokens += n;
            gradSum += norm;
            double elapsed = seconds + clock.Elapsed.TotalSeconds;
            OnStep?.Invoke(new TrainingStepReport(epoch, step + 1, batches.Count, l, tokens / Math.Max(elapsed, 1e-9), norm));

            if (cancellation.IsCancellationRequested && step + 1 < batches.Count)
            {
                s.NextStep = step + 1;
                s.EpochDataRngState = epochRngState;
                s.PartialLossSum = lossSum; s.PartialTokens = tokens; s.PartialSeconds = elapsed; s.PartialGradNormSum = gradSum;
                s.CarriedState = Options.Sampling == Sampling.Random ? null : carried;
                return null;
            }
        }
        seconds += clock.Elapsed.TotalSeconds;

        var valClock = Stopwatch.StartNew();
        double valLoss = _valid is null ? double.NaN : EvaluateLoss(_valid);
        double valSeconds = valClock.Elapsed.TotalSeconds;
        double trainLoss = lossSum / tokens;
        var metrics = new EpochMetrics(epoch, trainLoss, valLoss, tokens / Math.Max(seconds, 1e-9), seconds, valSeconds,
            gradSum / batches.Count, _optimizer.LearningRate, batches.Count, tokens);

        s.ClearPartial();
        s.CompletedEpochs = epoch;
        s.History.Add(metrics);
        double score = _valid is null ? trainLoss : valLoss;
        if (score < s.BestLoss)
        {
            s.BestLoss = score;
            s.BestEpoch = epoch;
            s.EpochsWithoutImprovement = 0;
        }
        else s.EpochsWithoutImprovement++;
        if (Options.Patience > 0 && s.EpochsWithoutImprovement >= Options.Patience && epoch < Options.Epochs) s.StoppedEarly = true;
        return metrics;
    }

    /// <summary>Mean cross-entropy over every target of <paramref name="tokens"/> (the protocol's validation):
    /// B parallel streams from offset 0, T-step chunks plus the final partial chunk, the state starting at zero
    /// and carried, evaluation mode, no graph.</summary>
    public double EvaluateLoss(int[] tokens) => Evaluate(_model, tokens, Options.BatchSize, Options.Steps);

    /// <summary>Mean cross-entropy of <paramref name="model"/> over every next-token target of <paramref name="tokens"/>
    /// (see <see cref="EvaluateLoss"/>); the model's training mode is restored afterwards.</summary>
    /// <exception cref="InvalidDataException">Fewer than B + 1 tokens.</exception>
    public static double Evaluate(LanguageModel<T> model, int[] tokens, int batchSize, int steps)
    {
        var chunks = SequenceBatcher.Sequential(tokens, batchSize, steps, rng: null, includePartialTail: true);
        bool training = model.Training;
        model.Eval();
        try
        {
            using var _ = GradMode.Disable();
            LanguageModelState<T>? state = null;
            double sum = 0;
            long count = 0;
            foreach (var c in chunks)
            {
                var (logits, next) = model.Forward(c.X, c.BatchSize, c.Steps, state);
                sum += LanguageModelMetrics.CrossEntropySum<T>(logits.Data, c.Y, model.VocabSize);
                count += c.Y.Length;
                state = next;
            }
            return sum / count;
        }
        finally
        {
            model.Train(training);
        }
    }

    private static string Describe(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
}
