// The long-memory task generators: layout, determinism, and the baselines the lessons compare against.
using Recurrent.Data.Tasks;
using Recurrent.Tensors;

namespace Recurrent.Tests.Lessons;

public class TaskGeneratorTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(100)]
    public void AddingProblem_TwoMarkersOnePerHalf_TargetIsTheirSum(int length)
    {
        var batch = AddingProblem.Generate<double>(50, length, new Rng(7));
        Assert.Equal([50, length, 2], batch.X.Shape.ToArray());
        Assert.Equal([50, 1], batch.Y.Shape.ToArray());
        int half = length / 2;
        for (int b = 0; b < 50; b++)
        {
            var marked = new List<int>();
            double sum = 0;
            for (int t = 0; t < length; t++)
            {
                double v = batch.X[b, t, 0], m = batch.X[b, t, 1];
                Assert.InRange(v, 0.0, 1.0);
                Assert.True(m == 0 || m == 1, $"marker {m} at row {b}, step {t}");
                if (m == 1) { marked.Add(t); sum += v; }
            }
            Assert.Equal(2, marked.Count);
            Assert.True(marked[0] < half && marked[1] >= half, $"row {b}: markers at {marked[0]}, {marked[1]} for T={length}");
            Assert.Equal(sum, batch.Y[b, 0], 12);
        }
    }

    [Fact]
    public void AddingProblem_SameSeedSameData_DifferentSeedDifferentData()
    {
        var a = AddingProblem.Generate<float>(8, 30, new Rng(3));
        var b = AddingProblem.Generate<float>(8, 30, new Rng(3));
        var c = AddingProblem.Generate<float>(8, 30, new Rng(4));
        Assert.Equal(a.X.ToArray(), b.X.ToArray());
        Assert.Equal(a.Y.ToArray(), b.Y.ToArray());
        Assert.NotEqual(a.X.ToArray(), c.X.ToArray());
    }

    [Fact]
    public void AddingProblem_PredictingOneGivesMseOfOneSixth()
    {
        var batch = AddingProblem.Generate<double>(20000, 4, new Rng(11));
        double mse = AddingProblem.ConstantPredictionMse(batch.Y);
        Assert.InRange(mse, AddingProblem.BaselineMse - 0.004, AddingProblem.BaselineMse + 0.004);
        // 1 is the mean target, so no other constant does better (by more than sampling noise).
        Assert.True(AddingProblem.ConstantPredictionMse(batch.Y, 0.9) > mse);
        Assert.True(AddingProblem.ConstantPredictionMse(batch.Y, 1.1) > mse);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-5)]
    public void AddingProblem_TooShort_Throws(int length)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => AddingProblem.Generate<float>(4, length, new Rng(1)));
        Assert.Contains("at least 2", ex.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(100)]
    public void CopyMemory_Layout(int delay)
    {
        var batch = CopyMemory.Generate(20, delay, new Rng(5));
        int steps = delay + 20;
        Assert.Equal(steps, batch.Steps);
        Assert.Equal(20 * steps, batch.Inputs.Length);
        for (int b = 0; b < 20; b++)
        {
            var x = batch.Inputs.AsSpan(b * steps, steps);
            var y = batch.Targets.AsSpan(b * steps, steps);
            for (int i = 0; i < 10; i++)
            {
                Assert.InRange(x[i], 0, CopyMemory.Symbols - 1);
                Assert.Equal(x[i], y[delay + 10 + i]);
            }
            for (int t = 10; t < steps; t++)
                Assert.Equal(t == delay + 9 ? CopyMemory.Delimiter : CopyMemory.Blank, x[t]);
            for (int t = 0; t < delay + 10; t++) Assert.Equal(CopyMemory.Blank, y[t]);
            for (int t = 0; t < steps; t++) Assert.Equal(t >= delay + 10, CopyMemory.IsRecallStep(t, delay));
        }
    }

    [Fact]
    public void CopyMemory_OneHot_MatchesIds()
    {
        var batch = CopyMemory.Generate(3, 4, new Rng(9));
        var x = CopyMemory.OneHotInputs<float>(batch);
        Assert.Equal([3, 24, 10], x.Shape.ToArray());
        for (int b = 0; b < 3; b++)
            for (int t = 0; t < 24; t++)
                for (int c = 0; c < 10; c++)
                    Assert.Equal(batch.Inputs[b * 24 + t] == c ? 1f : 0f, x[b, t, c]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(400)]
    public void CopyMemory_BaselineIsTheMemorylessStrategysCrossEntropy(int delay)
    {
        // The memoryless strategy: blank with certainty before the recall, then uniform over the 8 symbols.
        var batch = CopyMemory.Generate(50, delay, new Rng(2));
        double total = 0;
        for (int i = 0; i < batch.Targets.Length; i++)
        {
            int t = i % batch.Steps;
            double p = CopyMemory.IsRecallStep(t, delay) ? 1.0 / 8 : (batch.Targets[i] == CopyMemory.Blank ? 1.0 : 0.0);
            total += -Math.Log(p);
        }
        double measured = total / batch.Targets.Length;
        Assert.Equal(10 * Math.Log(8) / (delay + 20), CopyMemory.BaselineCrossEntropy(delay), 12);
        Assert.Equal(CopyMemory.BaselineCrossEntropy(delay), measured, 10);
    }

    [Fact]
    public void CopyMemory_SymbolsAreUniform()
    {
        var batch = CopyMemory.Generate(4000, 1, new Rng(21));
        var counts = new int[8];
        for (int b = 0; b < 4000; b++) for (int i = 0; i < 10; i++) counts[batch.Inputs[b * 21 + i]]++;
        foreach (int c in counts) Assert.InRange(c, 5000 - 300, 5000 + 300);
    }

    [Fact]
    public void CopyMemory_ZeroDelay_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CopyMemory.Generate(2, 0, new Rng(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => CopyMemory.BaselineCrossEntropy(0));
    }
}
