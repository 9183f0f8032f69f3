// The long-memory training loop on tiny settings: determinism, the fixed test set, the evaluation
// against the baselines, "solved" detection, cancellation.
using Recurrent.Data.Tasks;
using Recurrent.Nn;
using Recurrent.Training.LongMemory;

namespace Recurrent.Tests.Lessons;

public class LongMemoryTrainerTests
{
    private static LongMemoryOptions Tiny(LongMemoryTask task = LongMemoryTask.Adding, RecurrentMode mode = RecurrentMode.Gru) => new()
    {
        Task = task, Mode = mode, Length = 6, HiddenSize = 6, BatchSize = 8, TrainSteps = 6, EvalEvery = 3, TestSize = 20, Seed = 5,
    };

    [Fact]
    public void SameSeed_SameRun_DifferentSeed_DifferentRun()
    {
        var a = LongMemoryTrainer.Train(Tiny());
        var b = LongMemoryTrainer.Train(Tiny());
        var c = LongMemoryTrainer.Train(Tiny() with { Seed = 6 });
        Assert.Equal(a.StepLosses, b.StepLosses);
        Assert.Equal(a.Final.TestLoss, b.Final.TestLoss);
        Assert.NotEqual(a.StepLosses, c.StepLosses);
        Assert.Equal([0, 3, 6], a.Evaluations.Select(e => e.Step).ToArray());
        Assert.True(a.Completed);
        Assert.All(a.StepLosses, l => Assert.True(double.IsFinite(l)));
        Assert.Equal(6, a.StepGradNorms.Count);
    }

    [Fact]
    public void TestSet_DependsOnSeedTaskAndLength_NotOnTheModel()
    {
        var gru = LongMemoryTrainer.TestSet(Tiny() with { TestSize = 300 });
        var rnn = LongMemoryTrainer.TestSet(Tiny() with { TestSize = 300, Mode = RecurrentMode.RnnTanh, HiddenSize = 3, BatchSize = 2 });
        Assert.Equal(300, gru.Sum(c => c.BatchSize));
        Assert.Equal(gru.SelectMany(c => c.X.ToArray()), rnn.SelectMany(c => c.X.ToArray()));
        var other = LongMemoryTrainer.TestSet(Tiny() with { TestSize = 300, Seed = 99 });
        Assert.NotEqual(gru[0].X.ToArray(), other[0].X.ToArray());
    }

    [Fact]
    public void Evaluation_OfAModelThatAlwaysSaysOne_IsTheAddingBaseline()
    {
        var o = Tiny() with { TestSize = 1000 };
        var model = new LongMemoryModel<float>(o.Task, o.Mode, o.HiddenSize, new Tensors.Rng(1));
        model.Head.Weight.Data.Clear();
        model.Head.Bias!.Data.Fill(1f);
        var test = LongMemoryTrainer.TestSet(o);
        var (mse, recall, all) = LongMemoryTrainer.EvaluateOn(model, test);
        double expected = test.Sum(c => AddingProblem.ConstantPredictionMse(c.Values!) * c.BatchSize) / 1000;
        Assert.Equal(expected, mse, 9);
        Assert.InRange(mse, 0.15, 0.185);                                       // ≈ 1/6
        Assert.Null(recall);
        Assert.Null(all);
    }

    [Fact]
    public void Evaluation_OfAModelThatAlwaysSaysBlank_ScoresTheBlanksOnly()
    {
        var o = Tiny(LongMemoryTask.Copy) with { Length = 5 };
        var model = new LongMemoryModel<float>(o.Task, o.Mode, o.HiddenSize, new Tensors.Rng(1));
        model.Head.Weight.Data.Clear();
        model.Head.Bias!.Data.Clear();
        model.Head.Bias.Data[CopyMemory.Blank] = 50f;                         // p(blank) = 1 − 9e^{−50}
        var (ce, recall, all) = LongMemoryTrainer.EvaluateOn(model, LongMemoryTrainer.TestSet(o));
        Assert.Equal(0.0, recall);
        Assert.Equal(15.0 / 25.0, all!.Value, 12);                              // T + 10 blanks of T + 20 steps
        Assert.Equal(10.0 * 50 / 25, ce, 3);                                   // each recalled symbol costs ≈ 50 nats
    }

    [Fact]
    public void Copy_RunsAndReportsAccuracies()
    {
        var run = LongMemoryTrainer.Train(Tiny(LongMemoryTask.Copy, RecurrentMode.Lstm) with { ForgetBias = 1 });
        Assert.NotNull(run.Final.TestAccuracy);
        Assert.InRange(run.Final.TestAccuracy!.Value, 0, 1);
        Assert.InRange(run.Final.TestAccuracyAllSteps!.Value, 0, 1);
        Assert.Equal(10 * Math.Log(8) / 26, run.BaselineLoss, 12);
    }

    [Fact]
    public void ShortAddingProblem_IsSolved_AndStepsToSolveIsTheFirstEvaluationBelowThreshold()
    {
        // T = 4 needs almost no memory: a small GRU gets below 0.01 quickly.
        var run = LongMemoryTrainer.Train(new LongMemoryOptions
        {
            Task = LongMemoryTask.Adding, Mode = RecurrentMode.Gru, Length = 4, HiddenSize = 16, BatchSize = 32,
            LearningRate = 1e-2, TrainSteps = 400, EvalEvery = 20, TestSize = 200, Seed = 1,
        });
        Assert.NotNull(run.StepsToSolve);
        var first = run.Evaluations.First(e => e.Step > 0 && e.TestLoss < 0.01);
        Assert.Equal(first.Step, run.StepsToSolve);
        Assert.True(run.Final.TestLoss < 0.01, $"final test MSE {run.Final.TestLoss}");
    }

    [Fact]
    public void Cancelled_StopsAndStillEvaluates()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var run = LongMemoryTrainer.Train(Tiny(), cancellation: cts.Token);
        Assert.False(run.Completed);
        Assert.Single(run.Evaluations);
        Assert.Empty(run.StepLosses);
    }

    [Fact]
    public void NoClipping_StillMeasuresTheNorm()
    {
        var run = LongMemoryTrainer.Train(Tiny() with { Clip = 0, LearningRate = 0.5 });
        Assert.All(run.StepGradNorms, g => Assert.True(g > 0 || double.IsNaN(g)));
    }

    [Theory]
    [InlineData(LongMemoryTask.Adding, 1, "length")]
    [InlineData(LongMemoryTask.Copy, 0, "length")]
    public void BadOptions_NameTheSetting(LongMemoryTask task, int length, string word)
    {
        var ex = Assert.Throws<ArgumentException>(() => LongMemoryTrainer.Train(Tiny(task) with { Length = length }));
        Assert.Contains(word, ex.Message);
        Assert.Throws<ArgumentException>(() => (Tiny() with { ForgetBias = 1 }).Validate());    // GRU has no forget gate
        Assert.Throws<ArgumentException>(() => (Tiny() with { LearningRate = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => (Tiny() with { EvalEvery = 0 }).Validate());
    }

    [Theory]
    [InlineData(LongMemoryTask.Adding, RecurrentMode.Lstm, 5, 1)]
    [InlineData(LongMemoryTask.Adding, RecurrentMode.RnnTanh, 3, 2)]
    [InlineData(LongMemoryTask.Copy, RecurrentMode.Gru, 4, 3)]
    [InlineData(LongMemoryTask.Copy, RecurrentMode.Lstm, 7, 2)]
    public void ParameterElements_CountsTheModelWithoutBuildingIt(LongMemoryTask task, RecurrentMode mode, int hidden, int layers)
    {
        var model = new LongMemoryModel<float>(task, mode, hidden, new Recurrent.Tensors.Rng(1), layers);
        long actual = model.ParameterCount;
        Assert.Equal(actual, LongMemoryOptions.ParameterElements(task, mode, hidden, layers));
    }

    [Fact]
    public void Validate_RefusesWeightsTooLargeToHold()
    {
        // 4·H·(H + 4) LSTM weights, ×4 for gradients and Adam: H = 9000 is ~1.3e9 elements, over the ~4 GB budget.
        var big = Tiny(mode: RecurrentMode.Lstm) with { HiddenSize = 9000, BatchSize = 1, TestSize = 1 };
        var ex = Assert.Throws<ArgumentException>(big.Validate);
        Assert.Contains("parameters", ex.Message);
        (Tiny(mode: RecurrentMode.Lstm) with { HiddenSize = 4000, BatchSize = 1, TestSize = 1 }).Validate();   // 4·4000² ×4 ≈ 2.6e8: fits
    }
}
