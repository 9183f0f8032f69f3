using Recurrent.Data;
using Recurrent.Models;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Tasks;

public class ModelTests
{
    // Three texts of lengths 4, 1 and 6 (ids 2..V−1; 1 is <pad>).
    private static readonly int[][] Texts = [[2, 5, 3, 7], [4], [6, 2, 2, 5, 3, 4]];

    public static TheoryData<RecurrentMode, bool, Pooling> ClassifierCases()
    {
        var d = new TheoryData<RecurrentMode, bool, Pooling>();
        foreach (var mode in new[] { RecurrentMode.RnnTanh, RecurrentMode.Gru, RecurrentMode.Lstm })
            foreach (bool bi in new[] { false, true })
                foreach (var pool in new[] { Pooling.Last, Pooling.Mean, Pooling.Max })
                    d.Add(mode, bi, pool);
        return d;
    }

    [Theory]
    [MemberData(nameof(ClassifierCases))]
    public void PaddingNeverChangesAPrediction(RecurrentMode mode, bool bidirectional, Pooling pooling)
    {
        var model = new SequenceClassifier<float>(mode, 8, 5, 4, 3, new Rng(3), numLayers: 2, bidirectional: bidirectional, pooling: pooling);
        model.Eval();
        AssertPaddingInvariant(model);
    }

    [Fact]
    public void BagOfWordsIgnoresPadding()
    {
        var model = new BagOfWordsClassifier<float>(8, 3, new Rng(4));
        AssertPaddingInvariant(model);
        // Frequencies: [2, 5, 3, 7] → 1/4 each.
        var f = model.Frequencies(PaddedBatch.Create([Texts[0]], 1));
        Assert.Equal(0.25f, f.Data[2]);
        Assert.Equal(0f, f.Data[1]);
    }

    private static void AssertPaddingInvariant(TextClassifierModel<float> model)
    {
        // Each text alone (no padding at all) ...
        var alone = Texts.Select(t => model.PredictProbabilities(PaddedBatch.Create([t], 1))[0]).ToArray();
        // ... equals the padded batch, and a batch whose padding holds arbitrary real token ids
        // and extra padded steps: only the lengths decide what the model sees.
        var batch = PaddedBatch.Create(Texts, 1);
        var together = model.PredictProbabilities(batch);
        int T = batch.Steps + 3;
        var ids = new int[Texts.Length * T];
        var rng = new Rng(9);
        for (int b = 0; b < Texts.Length; b++)
            for (int t = 0; t < T; t++) ids[b * T + t] = t < Texts[b].Length ? Texts[b][t] : rng.NextInt(2, 8);
        var garbage = model.PredictProbabilities(new PaddedBatch(ids, batch.Lengths, Texts.Length, T));
        for (int b = 0; b < Texts.Length; b++)
        {
            Tolerance.AssertClose(alone[b], together[b], 1e-5, 1e-6, $"text {b}: alone vs padded batch");
            Tolerance.AssertClose(alone[b], garbage[b], 1e-5, 1e-6, $"text {b}: alone vs batch with garbage padding");
        }
        // And the texts really are told apart (the test would be vacuous for a constant model).
        Assert.True(Math.Abs(alone[0][0] - alone[1][0]) > 1e-4, "different texts give the same probabilities");
    }

    [Theory]
    [InlineData(Pooling.Last, true)]
    [InlineData(Pooling.Mean, false)]
    [InlineData(Pooling.Max, true)]
    public void SequenceClassifierGradientsMatchFiniteDifferences(Pooling pooling, bool bidirectional)
    {
        var model = new SequenceClassifier<double>(RecurrentMode.Lstm, 6, 3, 2, 2, new Rng(5), bidirectional: bidirectional, pooling: pooling);
        var batch = PaddedBatch.Create([[2, 3, 4], [5]], 1);
        var p = model.Parameters().ToArray();
        GradCheck.Check(p, () => [model.Forward(batch)], $"SequenceClassifier {pooling}", rtol: 1e-5, atol: 1e-8);
    }

    [Theory]
    [InlineData(RecurrentMode.Gru, 1)]
    [InlineData(RecurrentMode.Lstm, 3)]
    public void RecurrentForecasterGradientsMatchFiniteDifferences(RecurrentMode mode, int horizon)
    {
        var model = new RecurrentForecaster<double>(mode, lookback: 4, features: 2, horizon: horizon, hiddenSize: 3, new Rng(6), numLayers: 2);
        var x = Tensor<double>.Normal(new Rng(7), 0.0, 1.0, 2, 4, 2);
        GradCheck.Check([.. model.Parameters(), x], () => [model.Forward(x)], $"RecurrentForecaster {mode}", rtol: 1e-5, atol: 1e-8);
        Assert.Equal([2, horizon], model.Forward(x).Shape.ToArray());
    }

    [Fact]
    public void MlpForecasterIsTheBookNetwork()
    {
        var model = new MlpForecaster<double>(lookback: 4, features: 1, horizon: 1, hiddenSize: 10, new Rng(8));
        Assert.Equal(["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(4 * 10 + 10 + 10 + 1, model.ParameterCount);
        var x = Tensor<double>.Normal(new Rng(9), 0.0, 1.0, 3, 4, 1);
        GradCheck.Check([.. model.Parameters(), x], () => [model.Forward(x)], "MlpForecaster", rtol: 1e-5, atol: 1e-8);
        // Predict agrees with Forward.
        var viaPredict = model.Predict(x.Data.ToArray().Select(v => (float)v).ToArray(), 3);
        Tolerance.AssertClose(Tolerance.ToDouble(viaPredict), model.Forward(x).Data.ToArray(), 1e-5, 1e-6, "Predict vs Forward");
    }

    [Fact]
    public void ForecasterCheckpointRoundTripsModelScalerAndColumns()
    {
        using var dir = new TempDir();
        var model = new RecurrentForecaster<float>(RecurrentMode.Gru, 5, 2, 2, 4, new Rng(10));
        var scaler = new StandardScaler([1, 2], [3, 4]);
        var info = new ForecasterInfo(["load", "temp"], "date", 5, 2, scaler, 7, "energy.csv");
        ForecasterCheckpoint.Save(dir.Path, model, info);
        var (back, backInfo) = ForecasterCheckpoint.Load<float>(dir.Path);
        var x = new float[3 * 5 * 2];
        new Rng(11).FillNormal<float>(x, 0f, 1f);
        Assert.Equal(model.Predict(x, 3), back.Predict(x, 3));
        Assert.Equal(info.Features, backInfo.Features);
        Assert.Equal("date", backInfo.TimeColumn);
        Assert.Equal(7, backInfo.Season);
        Assert.Equal(scaler.Scale, backInfo.Scaler.Scale);
        var mlp = new MlpForecaster<float>(5, 2, 2, 6, new Rng(12));
        ForecasterCheckpoint.Save(dir.Path, mlp, info);
        Assert.Equal(mlp.Predict(x, 3), ForecasterCheckpoint.Load<float>(dir.Path).Model.Predict(x, 3));
    }

    [Fact]
    public void ClassifierCheckpointRoundTripsModelVocabularyAndClasses()
    {
        using var dir = new TempDir();
        var enc = TextEncoder.Fit(["a b c", "b c d"], TextPrep.Raw, TokenLevel.Word, true);
        var labels = new LabelEncoder(["neg", "pos"]);
        var model = new SequenceClassifier<float>(RecurrentMode.Lstm, enc.Vocabulary.Count, 4, 3, 2, new Rng(13), bidirectional: true, pooling: Pooling.Mean);
        var info = new ClassifierInfo(enc, labels, "review", "stars", 0, "r.csv");
        ClassifierCheckpoint.Save(dir.Path, model, info);
        var (back, backInfo) = ClassifierCheckpoint.Load<float>(dir.Path);
        var batch = PaddedBatch.Create([enc.Encode("a d z", "t"), enc.Encode("c", "t")], enc.PadId);
        Assert.Equal(model.PredictProbabilities(batch), back.PredictProbabilities(batch));
        Assert.Equal(enc.Vocabulary.Tokens, backInfo.Encoder.Vocabulary.Tokens);
        Assert.Equal(["neg", "pos"], backInfo.Labels.Classes);
        Assert.Equal("review", backInfo.TextColumn);
        var ex = Assert.Throws<InvalidDataException>(() => ForecasterCheckpoint.Load<float>(dir.Path));
        Assert.Contains("not a forecaster", ex.Message);
    }
}
