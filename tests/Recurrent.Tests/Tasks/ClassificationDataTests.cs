using Recurrent.Data;
using Recurrent.Tensors;

namespace Recurrent.Tests.Tasks;

public class ClassificationDataTests
{
    [Fact]
    public void LabelEncoderSortsClassesAndRejectsOneClass()
    {
        var enc = LabelEncoder.Fit(["spam", "ham", " spam ", "ham"], "f.csv, column 'label'");
        Assert.Equal(["ham", "spam"], enc.Classes);
        Assert.Equal(1, enc.Encode("spam"));
        var ex = Assert.Throws<InvalidDataException>(() => LabelEncoder.Fit(["a", "a", "a"], "f.csv, column 'label'"));
        Assert.Contains("f.csv, column 'label'", ex.Message);
        Assert.Contains("every row has the label 'a'", ex.Message);
        Assert.Throws<InvalidDataException>(() => LabelEncoder.Fit(["a", " "], "x"));
        var back = LabelEncoder.FromJson(System.Text.Json.Nodes.JsonNode.Parse(enc.ToJson().ToJsonString()));
        Assert.Equal(enc.Classes, back.Classes);
    }

    [Fact]
    public void StratifiedSplitKeepsClassSharesAndCoversEveryRowOnce()
    {
        var labels = Enumerable.Range(0, 200).Select(i => i < 180 ? 0 : 1).ToArray();   // 90% / 10%
        var s = StratifiedSplit.Create(labels, 2, new Rng(1), 0.7, 0.15);
        var all = s.Train.Concat(s.Validation).Concat(s.Test).OrderBy(i => i).ToArray();
        Assert.Equal(Enumerable.Range(0, 200).ToArray(), all);
        Assert.Equal(14, s.Train.Count(i => labels[i] == 1));
        Assert.Equal(3, s.Validation.Count(i => labels[i] == 1));
        Assert.Equal(3, s.Test.Count(i => labels[i] == 1));
        Assert.Equal(27, s.Test.Count(i => labels[i] == 0));
        var again = StratifiedSplit.Create(labels, 2, new Rng(1), 0.7, 0.15);
        Assert.Equal(s.Test, again.Test);
    }

    [Fact]
    public void BalancedClassWeights()
    {
        var w = ClassWeights.Balanced([0, 0, 0, 1], 3);
        Assert.Equal(4.0 / 9, w[0], 12);
        Assert.Equal(4.0 / 3, w[1], 12);
        Assert.Equal(0, w[2]);
    }

    [Fact]
    public void TextEncoderUsesTrainingVocabularyAndRejectsEmptyText()
    {
        var enc = TextEncoder.Fit(["the cat sat", "the dog"], TextPrep.Raw, TokenLevel.Word, lowercase: true);
        Assert.Equal("<unk>", enc.Vocabulary[0]);
        Assert.Equal("<pad>", enc.Vocabulary[1]);
        Assert.Equal("the", enc.Vocabulary[2]);
        var ids = enc.Encode("The zebra sat", "row 5");
        Assert.Equal(new[] { 2, 0, enc.Vocabulary.IndexOf("sat") }, ids);
        var ex = Assert.Throws<InvalidDataException>(() => enc.Encode("   ", "data.csv: line 7, column 'text'"));
        Assert.Equal("data.csv: line 7, column 'text': empty text.", ex.Message);
        var d2l = TextEncoder.Fit(["abc"], TextPrep.D2l, TokenLevel.Char, false);
        Assert.Contains("no tokens", Assert.Throws<InvalidDataException>(() => d2l.Encode("123 !!", "r")).Message);
        Assert.Equal(2, enc.Encode("a b c d", "r", maxLength: 2).Length);
        var back = TextEncoder.FromJson(System.Text.Json.Nodes.JsonNode.Parse(enc.ToJson().ToJsonString()));
        Assert.Equal(ids, back.Encode("The zebra sat", "r"));
    }

    [Fact]
    public void PaddedBatchPadsToLongestWithLengths()
    {
        var b = PaddedBatch.Create([[5, 6, 7], [8]], padId: 1);
        Assert.Equal(3, b.Steps);
        Assert.Equal([5, 6, 7, 8, 1, 1], b.Ids);
        Assert.Equal([3, 1], b.Lengths);
    }

    [Fact]
    public void NegationTaskIsSeededBalancedAndInvisibleToBagOfWords()
    {
        var (texts, labels) = NegationTask.Generate(7, 4000);
        Assert.Equal(texts, NegationTask.Generate(7, 4000).Texts);
        Assert.InRange(labels.Count(l => l == "positive"), 1800, 2200);
        // Every text has exactly one sentiment word and one negation; the label follows the rule.
        int negBefore = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            var w = texts[i].Split(' ');
            int s = Array.FindIndex(w, t => NegationTask.Positive.Contains(t) || NegationTask.Negative.Contains(t));
            int n = Array.FindIndex(w, t => NegationTask.Negations.Contains(t));
            Assert.Equal(1, w.Count(t => NegationTask.Positive.Contains(t) || NegationTask.Negative.Contains(t)));
            Assert.Equal(1, w.Count(t => NegationTask.Negations.Contains(t)));
            bool before = n < s;
            if (before) { negBefore++; Assert.InRange(s - n, NegationTask.MinGap, NegationTask.MaxGap); }
            Assert.Equal(NegationTask.Positive.Contains(w[s]) ^ before ? "positive" : "negative", labels[i]);
        }
        Assert.InRange(negBefore, 1800, 2200);
        // The best bag-of-words rule (polarity of the sentiment word) is at chance.
        int agree = texts.Select((t, i) => t.Split(' ').Any(NegationTask.Positive.Contains) == (labels[i] == "positive")).Count(b => b);
        Assert.InRange(agree / 4000.0, 0.46, 0.54);
    }
}
