using System.Text;
using Recurrent.Data;
using Recurrent.Tensors;

namespace Recurrent.Tests.Data;

public class TextDataTests
{
    [Fact]
    public void D2lPrepKeepsLettersLowercasesAndGluesLines()
    {
        var tokens = Tokenizer.Tokenize("The Time-Machine,\r\nby H. G. Wells\n\n  42 ", TextPrep.D2l, TokenLevel.Char);
        Assert.Equal("the time machineby h g wells", string.Concat(tokens));
    }

    [Fact]
    public void RawPrepRoundTripsPortugueseAccents()
    {
        const string text = "Não há ação sem coração.\nÉ você?";
        var tokens = Tokenizer.Tokenize(text, TextPrep.Raw, TokenLevel.Char);
        var vocab = new Vocabulary(tokens, withUnknown: false);
        var ids = vocab.Encode(tokens);
        Assert.Equal(text, Tokenizer.Detokenize(vocab.Decode(ids), TokenLevel.Char));
        Assert.Contains("ã", vocab.Tokens);
        Assert.Contains("ç", vocab.Tokens);
        Assert.Contains("É", vocab.Tokens);
    }

    [Fact]
    public void RawPrepCountsCodePointsNotUtf16Units()
    {
        var tokens = Tokenizer.Tokenize("a😀b", TextPrep.Raw, TokenLevel.Char);
        Assert.Equal(["a", "😀", "b"], tokens);
    }

    [Fact]
    public void VocabularyOrdersByFrequencyThenCodePointWithUnknownFirst()
    {
        var vocab = new Vocabulary(Tokenizer.Tokenize("bbaacd", TextPrep.Raw, TokenLevel.Char));
        Assert.Equal(["<unk>", "a", "b", "c", "d"], vocab.Tokens);
        Assert.Equal(0, vocab.IndexOf("z"));
    }

    [Fact]
    public void VocabularyMinFrequencyAndReservedTokens()
    {
        var words = "the cat the dog the cat a".Split(' ');
        var vocab = new Vocabulary(words, minFrequency: 2, reserved: ["<pad>"]);
        Assert.Equal(["<unk>", "<pad>", "the", "cat"], vocab.Tokens);
        Assert.Equal(0, vocab.IndexOf("dog"));
    }

    [Fact]
    public void InvalidUtf8IsRejectedWithOffset()
    {
        var bytes = Encoding.UTF8.GetBytes("abc").Concat(new byte[] { 0xC3, 0x28 }).ToArray();
        var ex = Assert.Throws<InvalidDataException>(() => TextFile.DecodeUtf8(bytes, "x.txt"));
        Assert.Contains("x.txt", ex.Message);
        Assert.Contains("offset 3", ex.Message);
    }

    [Fact]
    public void EmptyAndBinaryFilesAreRejected()
    {
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => TextFile.DecodeUtf8([], "e.txt")).Message);
        Assert.Contains("binary", Assert.Throws<InvalidDataException>(() => TextFile.DecodeUtf8(new byte[] { 65, 0, 66 }, "b.bin")).Message);
        Assert.Throws<FileNotFoundException>(() => TextFile.ReadUtf8(Path.Combine(Path.GetTempPath(), "no-such-file-recurrent.txt")));
    }

    [Fact]
    public void SequentialBatchesContinueRowByRowAndTargetsAreShifted()
    {
        int[] corpus = Enumerable.Range(0, 101).ToArray();
        var batches = SequenceBatcher.Sequential(corpus, batchSize: 2, steps: 5, rng: null);
        // L = (101 - 1) / 2 = 50 columns per stream → 10 minibatches.
        Assert.Equal(10, batches.Count);
        Assert.Equal([0, 1, 2, 3, 4, 50, 51, 52, 53, 54], batches[0].X);
        Assert.Equal([5, 6, 7, 8, 9, 55, 56, 57, 58, 59], batches[1].X);
        foreach (var b in batches) for (int i = 0; i < b.X.Length; i++) Assert.Equal(b.X[i] + 1, b.Y[i]);
    }

    [Fact]
    public void SequentialValidationCutScoresEveryTarget()
    {
        int[] corpus = Enumerable.Range(0, 23).ToArray();
        var batches = SequenceBatcher.Sequential(corpus, batchSize: 2, steps: 4, rng: null, includePartialTail: true);
        // L = 11 → chunks of width 4, 4, 3 — 22 targets in all.
        Assert.Equal([4, 4, 3], batches.Select(b => b.Steps));
        Assert.Equal(22, batches.Sum(b => b.Y.Length));
    }

    [Fact]
    public void ValidationStreamShorterThanOneMinibatchIsStillScored()
    {
        int[] corpus = Enumerable.Range(0, 9).ToArray();               // 9 tokens, B = 4 → L = 2 < T = 35
        var batches = SequenceBatcher.Sequential(corpus, batchSize: 4, steps: 35, rng: null, includePartialTail: true);
        Assert.Single(batches);
        Assert.Equal(2, batches[0].Steps);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], batches[0].Y);
        var ex = Assert.Throws<InvalidDataException>(() => SequenceBatcher.Sequential(new int[4], 4, 35, null, includePartialTail: true));
        Assert.Contains("--val-fraction", ex.Message);
    }

    [Fact]
    public void VocabularyTiesFollowCodePointsAlsoAboveTheBmp()
    {
        // U+FF01 (one UTF-16 unit) sorts before U+1F600 (a surrogate pair) by code point, not by UTF-16 units.
        var vocab = new Vocabulary(Tokenizer.Tokenize("😀！", TextPrep.Raw, TokenLevel.Char), withUnknown: false);
        Assert.Equal(["！", "😀"], vocab.Tokens);
    }

    [Fact]
    public void RandomBatchesAreDeterministicForASeedAndShifted()
    {
        int[] corpus = Enumerable.Range(0, 200).ToArray();
        var a = SequenceBatcher.Random(corpus, 4, 7, new Rng(3));
        var b = SequenceBatcher.Random(corpus, 4, 7, new Rng(3));
        Assert.Equal(a.Select(x => x.X).SelectMany(x => x), b.Select(x => x.X).SelectMany(x => x));
        foreach (var batch in a) for (int i = 0; i < batch.X.Length; i++) Assert.Equal(batch.X[i] + 1, batch.Y[i]);
        var c = SequenceBatcher.Random(corpus, 4, 7, new Rng(4));
        Assert.NotEqual(a[0].X, c[0].X);
    }

    [Fact]
    public void TooShortTextNamesTheMinibatchSize()
    {
        var ex = Assert.Throws<InvalidDataException>(() => SequenceBatcher.Sequential(new int[10], 4, 5, null));
        Assert.Contains("4 × 5 + 1", ex.Message);
    }

    [Fact]
    public void NGramCountsMatchHandCount()
    {
        var tokens = "a b a b c".Split(' ');
        var bigrams = NGramStatistics.MostFrequent(tokens, 2, 10);
        Assert.Equal(["a", "b"], bigrams[0].Gram);
        Assert.Equal(2, bigrams[0].Count);
        Assert.Equal(3, bigrams.Count);
    }
}

public class RngTests
{
    [Fact]
    public void SameSeedSameSequenceAndStateRoundTrips()
    {
        var a = new Rng(42); var b = new Rng(42);
        for (int i = 0; i < 5; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
        a.NextNormal();                       // leaves a spare normal inside the state
        var state = a.GetState();
        var expected = Enumerable.Range(0, 4).Select(_ => a.NextNormal()).ToArray();
        var c = new Rng(1); c.SetState(state);
        Assert.Equal(expected, Enumerable.Range(0, 4).Select(_ => c.NextNormal()).ToArray());
        Assert.NotEqual(new Rng(43).NextUInt64(), new Rng(42).NextUInt64());
    }

    [Fact]
    public void UniformAndNormalHaveTheRightMoments()
    {
        var rng = new Rng(5);
        var u = new double[20000]; rng.FillUniform<double>(u, -1, 1);
        var n = new double[20000]; rng.FillNormal<double>(n, 0, 2);
        Assert.InRange(u.Average(), -0.02, 0.02);
        Assert.InRange(u.Min(), -1, -0.999);
        Assert.InRange(Math.Sqrt(n.Select(v => v * v).Average()), 1.95, 2.05);
    }
}

public class RandomTruncationTests
{
    [Fact]
    public void RandomWindowsTileEachStreamAndVaryInLength()
    {
        int[] corpus = Enumerable.Range(0, 2001).ToArray();
        var batches = SequenceBatcher.SequentialRandomWindows(corpus, 4, 10, new Rng(9));
        int columns = batches.Sum(b => b.Steps);
        Assert.InRange(columns, 490, 500);                  // offset < 10 → L = (2001 − offset − 1) / 4
        Assert.True(batches.Select(b => b.Steps).Distinct().Count() > 3, "window lengths should vary");
        double mean = batches.Take(batches.Count - 1).Average(b => b.Steps);
        Assert.InRange(mean, 6, 14);
        // Row 0 continues from one window into the next.
        Assert.Equal(batches[0].X[batches[0].Steps - 1] + 1, batches[1].X[0]);
    }
}
