// Trains a LongMemoryModel on fresh batches every step (the tasks are generated, so there is no
// overfitting to a finite training set) and evaluates on a fixed test set drawn from the seed.
// The seed gives three independent streams: initialisation, training batches, test set; the test set
// therefore depends only on (seed, task, T) and every cell is measured on the same sequences.
using System.Diagnostics;
using Recurrent.Autograd;
using Recurrent.Data.Tasks;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Training.LongMemory;

/// <summary>One evaluation on the test set.</summary>
/// <param name="Step">Optimizer steps done (0 = before training).</param>
/// <param name="TrainLoss">Mean training loss over the steps since the previous evaluation (NaN at step 0).</param>
/// <param name="TestLoss">Test MSE (adding) or mean cross-entropy per step (copy).</param>
/// <param name="TestAccuracy">Copy: fraction of the 10 recalled symbols predicted right (argmax); null for adding.</param>
/// <param name="TestAccuracyAllSteps">Copy: accuracy over all T + 20 steps (blanks included); null for adding.</param>
/// <param name="GradNormMean">Mean global gradient norm before clipping over the steps since the previous evaluation.</param>
/// <param name="GradNormMax">Largest such norm.</param>
/// <param name="Seconds">Wall-clock seconds since training started.</param>
public sealed record LongMemoryEvaluation(int Step, double TrainLoss, double TestLoss, double? TestAccuracy, double? TestAccuracyAllSteps,
    double GradNormMean, double GradNormMax, double Seconds);

/// <summary>The outcome of <see cref="LongMemoryTrainer.Train"/>.</summary>
/// <param name="Options">The settings of the run.</param>
/// <param name="Model">The trained model.</param>
/// <param name="Evaluations">Every evaluation, from step 0 to the last step done.</param>
/// <param name="StepLosses">Training loss of every step.</param>
/// <param name="StepGradNorms">Global gradient norm before clipping of every step.</param>
/// <param name="StepsToSolve">The first evaluation step with test MSE below 0.01 (adding) or recall accuracy above 99% (copy); null if none.</param>
/// <param name="Seconds">Wall-clock seconds of the whole run (training and evaluations).</param>
/// <param name="CpuSeconds">CPU seconds of the process over the run (on a shared machine a steadier measure of cost than wall time).</param>
/// <param name="Completed">False when training was cancelled before <see cref="LongMemoryOptions.TrainSteps"/>.</param>
public sealed record LongMemoryRun(LongMemoryOptions Options, LongMemoryModel<float> Model, IReadOnlyList<LongMemoryEvaluation> Evaluations,
    IReadOnlyList<double> StepLosses, IReadOnlyList<double> StepGradNorms, int? StepsToSolve, double Seconds, double CpuSeconds, bool Completed)
{
    /// <summary>The last evaluation (after the last step done).</summary>
    public LongMemoryEvaluation Final => Evaluations[^1];

    /// <summary>The memoryless baseline of the task: 1/6 (adding) or 10·ln 8/(T + 20) (copy).</summary>
    public double BaselineLoss => Options.Task.BaselineLoss(Options.Length);
}

/// <summary>The training loop of the adding and copy tasks (Adam, gradient-norm clipping, periodic evaluation).</summary>
public static class LongMemoryTrainer
{
    private const int EvalChunk = 125;

    /// <summary>Seed of stream <paramref name="k"/> (1 = training batches, 2 = test set) of a run seeded with <paramref name="seed"/>.</summary>
    public static ulong StreamSeed(ulong seed, ulong k) => seed ^ (k * 0x9E3779B97F4A7C15UL);

    /// <summary>The fixed test set of a run, in chunks of at most 125 sequences (together identical to one batch of TestSize).</summary>
    public static List<LongMemoryBatch<float>> TestSet(LongMemoryOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var rng = new Rng(StreamSeed(o.Seed, 2));
        var chunks = new List<LongMemoryBatch<float>>();
        for (int done = 0; done < o.TestSize; done += EvalChunk)
            chunks.Add(o.Task.Sample<float>(Math.Min(EvalChunk, o.TestSize - done), o.Length, rng));
        return chunks;
    }

    /// <summary>Trains a fresh model with the options. <paramref name="onEvaluation"/> sees every evaluation as it happens.
    /// Cancellation stops after the current step (the run then has <c>Completed = false</c> and a final evaluation).</summary>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="LongMemoryOptions.Validate"/>).</exception>
    public static LongMemoryRun Train(LongMemoryOptions o, Action<LongMemoryEvaluation>? onEvaluation = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        var clock = Stopwatch.StartNew();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var model = new LongMemoryModel<float>(o.Task, o.Mode, o.HiddenSize, new Rng(o.Seed), o.NumLayers, o.ForgetBias);
        var parameters = model.Parameters().ToList();
        var optimizer = new Adam<float>(parameters, o.LearningRate);
        var trainRng = new Rng(StreamSeed(o.Seed, 1));
        var test = TestSet(o);

        var evaluations = new List<LongMemoryEvaluation>();
        var losses = new List<double>(o.TrainSteps);
        var norms = new List<double>(o.TrainSteps);
        int? solvedAt = null;
        int lastEval = 0;

        void Evaluate(int step)
        {
            var (testLoss, recallAcc, allAcc) = EvaluateOn(model, test);
            int n = step - lastEval;
            double trainLoss = n > 0 ? Mean(losses, lastEval, n) : double.NaN;
            double normMean = n > 0 ? Mean(norms, lastEval, n) : double.NaN;
            double normMax = n > 0 ? Max(norms, lastEval, n) : double.NaN;
            lastEval = step;
            var e = new LongMemoryEvaluation(step, trainLoss, testLoss, recallAcc, allAcc, normMean, normMax, clock.Elapsed.TotalSeconds);
            evaluations.Add(e);
            if (solvedAt is null && step > 0 && IsSolved(o.Task, e)) solvedAt = step;
            onEvaluation?.Invoke(e);
        }

        Evaluate(0);
        bool completed = true;
        double maxNorm = o.Clip > 0 ? o.Clip : double.PositiveInfinity;   // +∞ measures without clipping
        for (int step = 1; step <= o.TrainSteps; step++)
        {
            if (cancellation.IsCancellationRequested) { completed = false; break; }
            var batch = o.Task.Sample<float>(o.BatchSize, o.Length, trainRng);
            optimizer.ZeroGrad();
            var loss = model.Loss(batch);
            loss.Backward();
            norms.Add(GradClip.ClipGradNorm(parameters, maxNorm));
            optimizer.Step();
            losses.Add(loss.Item());
            if (step % o.EvalEvery == 0 || step == o.TrainSteps) Evaluate(step);
        }
        if (!completed && lastEval != losses.Count) Evaluate(losses.Count);
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        return new LongMemoryRun(o, model, evaluations, losses, norms, solvedAt, clock.Elapsed.TotalSeconds, cpu, completed);
    }

    /// <summary>True when an evaluation meets the task's "solved" threshold.</summary>
    public static bool IsSolved(LongMemoryTask task, LongMemoryEvaluation e) => task == LongMemoryTask.Adding
        ? e.TestLoss < AddingProblem.SolvedMse
        : e.TestAccuracy > CopyMemory.SolvedAccuracy;

    /// <summary>Test loss (MSE or mean cross-entropy per step), and for copy the recall and all-step accuracies.</summary>
    public static (double Loss, double? RecallAccuracy, double? AllStepsAccuracy) EvaluateOn(LongMemoryModel<float> model, IReadOnlyList<LongMemoryBatch<float>> test)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        bool training = model.Training;
        model.Eval();
        try
        {
            using var _ = GradMode.Disable();
            double lossSum = 0;
            long count = 0, recallRight = 0, recallCount = 0, allRight = 0;
            foreach (var batch in test)
            {
                var y = model.Forward(batch.X).Data;                          // adding [B, 1]; copy [B, S, C]
                if (model.Task == LongMemoryTask.Adding)
                {
                    var t = batch.Values!.Data;
                    for (int b = 0; b < t.Length; b++) { double d = y[b] - t[b]; lossSum += d * d; }
                    count += t.Length;
                    continue;
                }
                int S = batch.Steps, C = CopyMemory.Classes, delay = S - 2 * CopyMemory.RecallLength;
                var classes = batch.Classes!;
                for (int r = 0; r < classes.Length; r++)
                {
                    var logits = y.Slice(r * C, C);
                    int arg = 0;
                    double max = double.NegativeInfinity;
                    for (int c = 0; c < C; c++) if (logits[c] > max) { max = logits[c]; arg = c; }
                    double sum = 0;
                    for (int c = 0; c < C; c++) sum += Math.Exp(logits[c] - max);
                    lossSum += max + Math.Log(sum) - logits[classes[r]];      // −log softmax[target]
                    bool right = arg == classes[r];
                    if (right) allRight++;
                    if (CopyMemory.IsRecallStep(r % S, delay)) { recallCount++; if (right) recallRight++; }
                }
                count += classes.Length;
            }
            if (model.Task == LongMemoryTask.Adding) return (lossSum / count, null, null);
            return (lossSum / count, (double)recallRight / recallCount, (double)allRight / count);
        }
        finally
        {
            model.Train(training);
        }
    }

    private static double Mean(List<double> v, int start, int n)
    {
        double s = 0;
        for (int i = start; i < start + n; i++) s += v[i];
        return s / n;
    }

    private static double Max(List<double> v, int start, int n)
    {
        double m = double.NegativeInfinity;
        for (int i = start; i < start + n; i++) m = double.IsNaN(v[i]) ? double.NaN : Math.Max(m, v[i]);
        return m;
    }
}
