using System.Text;
using System.Text.Json.Nodes;
using Recurrent.Tests.Cli;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Tasks;

/// <summary>End-to-end runs of `recurrent train classify` and `recurrent classify` with tiny settings.</summary>
public class ClassifyCliTests
{
    private static readonly string[] Tiny = ["--embedding", "4", "--hidden", "4", "--epochs", "2", "-q"];

    private static string WriteReviews(TempDir dir, Func<int, string>? label = null, string name = "reviews.csv")
    {
        var sb = new StringBuilder("id,review,stars\n");
        string[] good = ["great film", "I loved it, really", "wonderful \"acting\"", "a delight"];
        string[] bad = ["boring", "awful plot\nand worse acting", "I hated it", "a mess"];
        for (int i = 0; i < 40; i++)
        {
            string text = i % 2 == 0 ? good[i / 2 % 4] : bad[i / 2 % 4];
            sb.Append(i).Append(',').Append(Recurrent.Data.CsvTable.Quote(text)).Append(',').Append(label?.Invoke(i) ?? (i % 2 == 0 ? "pos" : "neg")).Append('\n');
        }
        string path = dir.File(name);
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    [Fact]
    public void NegationTaskTrainsModelAndBaselineAndWritesMetrics()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run(["train", "classify", "--task", "negation", "--samples", "200", "--bidirectional", "--pool", "mean", "--out", dir.Path, .. Tiny]).AssertOk();
        Assert.Contains("bag-of-words (baseline)", r.Stdout);
        Assert.Contains("confusion matrix", r.Stdout);
        var m = JsonNode.Parse(File.ReadAllText(dir.File("metrics.json")))!.AsObject();
        foreach (var key in new[] { "test_accuracy", "test_macro_f1", "bow_test_accuracy", "majority_class_accuracy" })
            Assert.InRange(m[key]!.GetValue<double>(), 0, 1);
        var cm = m["confusion_matrix"]!["rows_true_columns_predicted"]!.AsArray();
        Assert.Equal(m["test_examples"]!.GetValue<int>(), cm.Sum(row => row!.AsArray().Sum(v => v!.GetValue<int>())));
        Assert.True(File.Exists(dir.File("model.safetensors")));

        var c = CliRunner.Run("classify", "--model", dir.Path, "--text", "the film was not good").AssertOk();
        Assert.Matches(@"^label: (negative|positive)\nprobabilities: negative 0\.\d{4}, positive 0\.\d{4}\n$", c.Stdout.Replace("\r", ""));
    }

    [Fact]
    public void CsvTrainingAndBatchClassification()
    {
        using var dir = new TempDir();
        string csv = WriteReviews(dir);
        string model = dir.File("model");
        CliRunner.Run(["train", "classify", "--csv", csv, "--text-col", "review", "--label-col", "stars", "--cell", "gru", "--out", model, .. Tiny]).AssertOk();
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
        Assert.Equal(["neg", "pos"], config["classes"]!.AsArray().Select(v => v!.GetValue<string>()));
        var r = CliRunner.Run("classify", "--model", model, "--csv", csv).AssertOk();
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("row,predicted,p_neg,p_pos", lines[0]);
        Assert.Equal(41, lines.Length);
        Assert.Contains("accuracy", r.Stderr);   // the file has the label column: the score is reported
        string outCsv = dir.File("pred.csv");
        CliRunner.Run("classify", "--model", model, "--csv", csv, "--out", outCsv).AssertOk();
        Assert.Equal(41, File.ReadAllLines(outCsv).Length);
        var chars = CliRunner.Run(["train", "classify", "--csv", csv, "--text-col", "review", "--label-col", "stars", "--level", "char", "--model", "bow", "--out", dir.File("c"), .. Tiny]).AssertOk();
        Assert.Contains("bag-of-words", chars.Stdout);
    }

    // ---------- bad input ----------

    [Fact]
    public void SingleClassLabels()
    {
        using var dir = new TempDir();
        string csv = WriteReviews(dir, _ => "pos");
        CliRunner.Run(["train", "classify", "--csv", csv, "--text-col", "review", "--label-col", "stars", "--out", dir.File("m"), .. Tiny])
            .AssertUserError(1, "reviews.csv, column 'stars'", "every row has the label 'pos'");
    }

    [Fact]
    public void EmptyTextAndEmptyLabel()
    {
        using var dir = new TempDir();
        string csv = WriteReviews(dir);
        var text = File.ReadAllText(csv).Replace("\n1,boring,neg\n", "\n1,\"  \",neg\n");
        File.WriteAllText(csv, text);
        CliRunner.Run(["train", "classify", "--csv", csv, "--text-col", "review", "--label-col", "stars", "--out", dir.File("m"), .. Tiny])
            .AssertUserError(1, "reviews.csv: line 3, column 'review'", "empty text");
        File.WriteAllText(csv, text.Replace("\n1,\"  \",neg\n", "\n1,boring,\n"));
        CliRunner.Run(["train", "classify", "--csv", csv, "--text-col", "review", "--label-col", "stars", "--out", dir.File("m"), .. Tiny])
            .AssertUserError(1, "line 3, column 'stars'", "empty label");
    }

    [Fact]
    public void MissingColumnsFilesAndTexts()
    {
        using var dir = new TempDir();
        string csv = WriteReviews(dir);
        CliRunner.Run(["train", "classify", "--csv", csv, "--out", dir.File("m"), .. Tiny])
            .AssertUserError(1, "reviews.csv", "no column 'text'", "'review'");
        CliRunner.Run(["train", "classify", "--csv", dir.File("none.csv"), "--out", dir.File("m"), .. Tiny])
            .AssertUserError(1, "none.csv", "not found");
        CliRunner.Run(["train", "classify", "--out", dir.File("m"), .. Tiny]).AssertUserError(2, "--csv", "--task");
        string model = dir.File("model");
        CliRunner.Run(["train", "classify", "--csv", csv, "--text-col", "review", "--label-col", "stars", "--model", "bow", "--out", model, .. Tiny]).AssertOk();
        CliRunner.Run("classify", "--model", model, "--text", "").AssertUserError(1, "--text", "empty text");
        CliRunner.Run("classify", "--model", model).AssertUserError(2, "--text", "--csv");
        CliRunner.Run("classify", "--model", dir.File("none"), "--text", "x").AssertUserError(1, "none", "not found");
    }
}
