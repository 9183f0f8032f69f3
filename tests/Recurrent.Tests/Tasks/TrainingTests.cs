using Recurrent.Data;
using Recurrent.Models;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tests.Tasks;

public class TrainingTests
{
    [Fact]
    public void ForecasterBeatsTheNaiveBaselineOnAShortSine()
    {
        // A clean sine with period 20: the last value is a poor forecast, a trained GRU a good one.
        var values = Enumerable.Range(0, 300).Select(t => Math.Sin(2 * Math.PI * t / 20)).ToArray();
        var data = ForecastDataset.Create("sine", ["x"], values, ChronologicalSplit.Create(300, 0.6, 0.2));
        var model = new RecurrentForecaster<float>(RecurrentMode.Gru, 8, 1, 1, 8, new Rng(1));
        var history = ForecastTrainer.Train(model, data.Windows(8, 1, data.Split.Train), data.Windows(8, 1, data.Split.Validation),
            new TrainingOptions { Epochs = 15, BatchSize = 16, LearningRate = 0.02 }, new Rng(2));
        Assert.Equal(15, history.Count);
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss / 10, $"loss {history[0].TrainLoss} → {history[^1].TrainLoss}");
        var report = ForecastEvaluation.Evaluate(data, data.Split.Test, 8, 1, model.Predict, [1, 4], null);
        Assert.True(report.ModelErrors.Mse < report.NaiveErrors.Mse / 4, $"model {report.ModelErrors.Mse} vs naive {report.NaiveErrors.Mse}");
    }

    [Fact]
    public void EvaluationOfAPerfectPredictorAndTheMetricsKeys()
    {
        // y_t = t: a predictor returning last + 1 is exact at every k; naive is off by k.
        var values = Enumerable.Range(0, 100).Select(t => (double)t).ToArray();
        var data = ForecastDataset.Create("line", ["y"], values, ChronologicalSplit.Create(100, 0.6, 0.2));
        float step = (float)(1 / data.Scaler.Scale[0]);
        WindowPredictor perfect = (x, m) => Enumerable.Range(0, m).Select(i => x[i * 3 + 2] + step).ToArray();
        var r = ForecastEvaluation.Evaluate(data, data.Split.Test, 3, 1, perfect, [1, 4, 16, 64], season: 5);
        Assert.Equal(20, r.Targets.Length);
        Assert.True(r.ModelErrors.Mse < 1e-8);
        Assert.Equal(1.0, r.NaiveErrors.Mse, 9);
        Assert.Equal(25.0, r.SeasonalErrors!.Mse, 9);
        Assert.Equal(16.0 * 16, r.NaiveKStep[16], 9);
        Assert.True(r.ModelKStep[64] < 1e-6);
        var json = r.ToJson();
        foreach (var key in new[] { "test_mse_1step", "test_rmse_1step", "test_mae_1step", "test_mape_1step", "test_mase_1step", "naive_rmse_1step", "seasonal_naive_mse_1step" })
            Assert.True(json.ContainsKey(key), key);
        Assert.Equal(["1", "4", "16", "64"], json["test_mse_kstep"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void ClassifierLearnsWordOrderThatBagOfWordsCannot()
    {
        // "a b" vs "b a": same bag of words, different label.
        var enc = TextEncoder.Fit(["a b", "b a"], TextPrep.Raw, TokenLevel.Word, false);
        var seqs = Enumerable.Range(0, 40).Select(i => enc.Encode(i % 2 == 0 ? "a b" : "b a", "t")).ToList();
        var labels = Enumerable.Range(0, 40).Select(i => i % 2).ToArray();
        var data = new LabelledSequences(seqs, labels);
        var opts = new TrainingOptions { Epochs = 30, BatchSize = 8, LearningRate = 0.05 };
        var rnn = new SequenceClassifier<float>(RecurrentMode.Gru, enc.Vocabulary.Count, 4, 4, 2, new Rng(3));
        ClassifierTrainer.Train(rnn, data, data, enc.PadId, null, opts, new Rng(4));
        Assert.Equal(1.0, ClassificationMetrics.Accuracy(labels, ClassifierTrainer.Predict(rnn, data, enc.PadId).Predictions));
        var bow = new BagOfWordsClassifier<float>(enc.Vocabulary.Count, 2, new Rng(5));
        ClassifierTrainer.Train(bow, data, data, enc.PadId, null, opts, new Rng(6));
        Assert.Equal(0.5, ClassificationMetrics.Accuracy(labels, ClassifierTrainer.Predict(bow, data, enc.PadId).Predictions));
    }

    [Fact]
    public void TooFewRowsForLookbackAndHorizonIsAClearError()
    {
        var data = ForecastDataset.Create("f.csv", ["y"], new double[30], ChronologicalSplit.Create(30, 0.6, 0.2));
        var ex = Assert.Throws<InvalidDataException>(() => data.CheckSize(16, 4));
        Assert.Contains("f.csv: the training part has 18 rows", ex.Message);
        Assert.Contains("--lookback 16 + --horizon 4", ex.Message);
        ex = Assert.Throws<InvalidDataException>(() => data.CheckSize(40, 1));
        Assert.Contains("30 rows are fewer than --lookback 40 + --horizon 1", ex.Message);
        data.CheckSize(8, 2);
    }

    [Fact]
    public void TimeAxisChecksOrderAndExtends()
    {
        var t = CsvTable.Parse("date,y\n2024-01-29,1\n2024-01-30,2\n2024-01-31,3\n", "d.csv");
        var axis = TimeAxis.FromCsv(t, "date");
        Assert.Equal(["2024-02-01", "2024-02-02"], axis.Extend(2));
        var monthly = TimeAxis.FromCsv(CsvTable.Parse("m,y\n2024-01,1\n2024-02,2\n", "m.csv"), "m");
        Assert.Equal(["2024-03", "2024-04"], monthly.Extend(2));
        var num = TimeAxis.FromCsv(CsvTable.Parse("t,y\n0.5,1\n1.0,2\n", "n.csv"), "t");
        Assert.Equal(["1.5", "2"], num.Extend(2));
        var ex = Assert.Throws<InvalidDataException>(() => TimeAxis.FromCsv(CsvTable.Parse("t,y\n1,1\n3,2\n2,3\n", "u.csv"), "t"));
        Assert.Contains("u.csv: line 4, column 't': time '2' does not come after '3'", ex.Message);
        var labels = TimeAxis.FromCsv(CsvTable.Parse("t,y\nmon,1\ntue,2\n", "l.csv"), "t");
        Assert.False(labels.IsOrdered);
        Assert.Equal(["+1"], labels.Extend(1));
    }
}

public class ParameterAverageTests
{
    private sealed class One : Module<double>
    {
        public One() => P = RegisterParameter("p", new Tensor<double>([0.0], 1));
        public Tensor<double> P { get; }
    }

    [Fact]
    public void AverageIsThePlainMeanFirstThenAMovingAverage()
    {
        var m = new One();
        var avg = new ParameterAverage<double>(m, decay: 0.5);
        foreach (double v in new[] { 3.0, 5.0, 10.0 })
        {
            m.P.Data[0] = v;
            avg.Update(m);
        }
        // n=1: 3; n=2: d=min(.5, .5) → 4; n=3: d=min(.5, 2/3)=.5 → 7
        avg.CopyTo(m);
        Assert.Equal(7.0, m.P.Data[0], 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParameterAverage<double>(m, 1.0));
    }

    [Fact]
    public void CosineScheduleDecaysFromTheLearningRate()
    {
        var o = new TrainingOptions { Epochs = 4, LearningRate = 0.1, CosineDecay = true };
        Assert.Equal(0.1, o.LearningRateAt(1), 12);
        Assert.Equal(0.05, o.LearningRateAt(3), 12);
        Assert.Equal(0.1, (o with { CosineDecay = false }).LearningRateAt(4), 12);
        Assert.Throws<ArgumentException>(() => (o with { AverageDecay = 1.5 }).Validate());
    }
}
