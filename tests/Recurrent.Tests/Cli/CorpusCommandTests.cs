// `recurrent corpus` end to end: statistics, Zipf plot, and one-line errors for bad files.
using System.Text;
using System.Text.Json;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Cli;

public class CorpusCommandTests
{
    [Fact]
    public void WordStatisticsAndZipfPlot()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("t.txt"), "The cat sat.\nThe cat ran!\nthe dog sat\n");
        var r = CliRunner.Run("corpus", "--text", dir.File("t.txt"), "--plot", dir.File("z.svg"), "--top", "3").AssertOk();
        Assert.Contains("tokens: 9", r.Stdout);
        Assert.Contains("vocabulary: 6", r.Stdout);                       // the cat sat ran dog + <unk>
        Assert.Contains("       3  the", r.Stdout);
        Assert.Contains("       2  the cat", r.Stdout);
        string svg = File.ReadAllText(dir.File("z.svg"));
        Assert.StartsWith("<svg", svg);
        Assert.Contains("trigram", svg);
        Assert.Contains("(log)", svg);
    }

    [Fact]
    public void CharLevelRawKeepsAccentsAndJsonIsParsable()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("pt.txt"), "ação ação é\n", new UTF8Encoding(false));
        var r = CliRunner.Run("corpus", "--text", dir.File("pt.txt"), "--level", "char", "--prep", "raw", "--json", "--plot", dir.File("z.svg")).AssertOk();
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(12, doc.RootElement.GetProperty("tokens").GetInt32());
        var unigrams = doc.RootElement.GetProperty("unigrams").EnumerateArray().Select(u => u.GetProperty("tokens")[0].GetString()).ToList();
        Assert.Contains("ç", unigrams);
        Assert.Contains("ã", unigrams);
        Assert.Contains("é", unigrams);
    }

    [Fact]
    public void ZipfPlotThinsLongTailsOnTheLogRankAxis()
    {
        int[] idx = Recurrent.Cli.Commands.CorpusCommand.LogSpacedIndices(100_000);
        Assert.Equal(Enumerable.Range(0, 80), idx.Take(80));              // the head: every rank
        Assert.Equal(99_999, idx[^1]);                                   // the tail ends at the last rank
        Assert.True(idx.Zip(idx.Skip(1)).All(p => p.Second > p.First));
        Assert.InRange(idx.Length, 500, 200 * 5 + 1);                     // ≤ 200 per decade over 5 decades
        Assert.Equal([0, 1, 2], Recurrent.Cli.Commands.CorpusCommand.LogSpacedIndices(3));

        // 20,000 distinct words: the plot stays small instead of growing with the vocabulary.
        using var dir = new TempDir();
        var sb = new StringBuilder();
        for (int i = 0; i < 20_000; i++) sb.Append("w").Append(i).Append(i % 3 == 0 ? " common " : " ");
        File.WriteAllText(dir.File("many.txt"), sb.ToString());
        CliRunner.Run("corpus", "--text", dir.File("many.txt"), "--prep", "raw", "--plot", dir.File("z.svg")).AssertOk();
        Assert.InRange(new FileInfo(dir.File("z.svg")).Length, 1, 300_000);
    }

    [Fact]
    public void MissingFileIsOneLine()
    {
        using var dir = new TempDir();
        CliRunner.Run("corpus", "--text", dir.File("nope.txt"), "--plot", dir.File("z.svg")).AssertUserError(1, "nope.txt", "not found");
    }

    [Fact]
    public void EmptyBinaryAndInvalidUtf8FilesAreOneLine()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("e.txt"), []);
        CliRunner.Run("corpus", "--text", dir.File("e.txt"), "--plot", dir.File("z.svg")).AssertUserError(1, "e.txt", "empty");
        File.WriteAllBytes(dir.File("b.bin"), [0x7F, 0x45, 0x4C, 0x46, 0, 0, 1]);
        CliRunner.Run("corpus", "--text", dir.File("b.bin"), "--plot", dir.File("z.svg")).AssertUserError(1, "b.bin", "binary");
        File.WriteAllBytes(dir.File("latin1.txt"), [0x63, 0x61, 0x66, 0xE9, 0x0A]);   // "café" in Latin-1
        CliRunner.Run("corpus", "--text", dir.File("latin1.txt"), "--plot", dir.File("z.svg")).AssertUserError(1, "latin1.txt", "UTF-8", "offset 3");
    }

    [Fact]
    public void NoLettersUnderD2lSuggestsRaw()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("digits.txt"), "12 34 56\n");
        CliRunner.Run("corpus", "--text", dir.File("digits.txt"), "--plot", dir.File("z.svg")).AssertUserError(1, "digits.txt", "--prep raw");
    }

    [Fact]
    public void BadLevelIsAUsageError()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("t.txt"), "abc");
        var r = CliRunner.Run("corpus", "--text", dir.File("t.txt"), "--level", "syllable");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("syllable", r.Stderr);
    }
}
