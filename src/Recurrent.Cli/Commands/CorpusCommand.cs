// `recurrent corpus`: statistics of a text corpus as in the book's language-model section — size,
// vocabulary, the most frequent unigrams/bigrams/trigrams — and a Zipf plot (log frequency vs log rank).
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Recurrent.Cli.Plots;
using Recurrent.Data;

namespace Recurrent.Cli.Commands;

/// <summary>The <c>corpus</c> verb.</summary>
public static class CorpusCommand
{
    public static Command Create(CliContext ctx)
    {
        var text = new Option<string>("--text") { Description = "UTF-8 text file.", Required = true };
        var level = new Option<string>("--level") { Description = "Token level: char or word.", DefaultValueFactory = _ => "word" };
        level.AcceptOnlyFromAmong("char", "word");
        var prep = new Option<string>("--prep") { Description = "d2l (letters only, lower case) or raw (every character kept).", DefaultValueFactory = _ => "d2l" };
        prep.AcceptOnlyFromAmong("d2l", "raw");
        var minFreq = new Option<int>("--min-freq") { Description = "Tokens seen fewer times map to <unk> in the vocabulary size.", DefaultValueFactory = _ => 0 };
        minFreq.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--min-freq must be ≥ 0."); });
        var top = new Option<int>("--top") { Description = "How many of the most frequent n-grams to list.", DefaultValueFactory = _ => 10 };
        top.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--top must be ≥ 1."); });
        var plot = new Option<string>("--plot") { Description = "Where to write the Zipf plot (SVG).", DefaultValueFactory = _ => "zipf.svg" };
        var json = new Option<bool>("--json") { Description = "Print the statistics as JSON instead of text." };

        var cmd = new Command("corpus", "Corpus statistics: size, vocabulary, frequent n-grams and a Zipf plot.")
        {
            text, level, prep, minFreq, top, plot, json,
        };
        cmd.SetAction(r =>
        {
            var corpus = TextCorpus.Load(r.GetValue(text)!, Tokenizer.ParsePrep(r.GetValue(prep)!), Tokenizer.ParseLevel(r.GetValue(level)!));
            int n = r.GetValue(top);
            var vocab = corpus.BuildVocabulary(r.GetValue(minFreq));
            var grams = new[] { 1, 2, 3 }.Select(k => NGramStatistics.MostFrequent(corpus.Tokens, k, n)).ToArray();

            string plotPath = r.GetValue(plot)!;
            WriteZipfPlot(corpus, plotPath);

            if (r.GetValue(json))
            {
                var o = new JsonObject
                {
                    ["file"] = corpus.Source,
                    ["prep"] = corpus.Prep.ToString().ToLowerInvariant(),
                    ["level"] = corpus.Level.ToString().ToLowerInvariant(),
                    ["characters"] = corpus.Characters,
                    ["tokens"] = corpus.Tokens.Count,
                    ["distinct_tokens"] = vocab.Counts.Count,
                    ["vocabulary_size"] = vocab.Count,
                    ["zipf_plot"] = plotPath,
                };
                string[] names = ["unigrams", "bigrams", "trigrams"];
                for (int k = 0; k < 3; k++)
                    o[names[k]] = new JsonArray(grams[k].Select(g => (JsonNode)new JsonObject
                    {
                        ["tokens"] = new JsonArray(g.Gram.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
                        ["count"] = g.Count,
                    }).ToArray());
                ctx.Out.WriteLine(o.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            }
            else
            {
                var sb = new StringBuilder();
                var inv = CultureInfo.InvariantCulture;
                sb.AppendLine(inv, $"file: {corpus.Source} (prep {corpus.Prep.ToString().ToLowerInvariant()}, level {corpus.Level.ToString().ToLowerInvariant()})");
                sb.AppendLine(inv, $"characters: {corpus.Characters:N0}  tokens: {corpus.Tokens.Count:N0}  distinct: {vocab.Counts.Count:N0}  vocabulary: {vocab.Count:N0}{(vocab.HasUnknown ? " (with <unk>)" : "")}{(r.GetValue(minFreq) > 1 ? $" (min-freq {r.GetValue(minFreq)})" : "")}");
                string[] titles = ["unigrams", "bigrams", "trigrams"];
                for (int k = 0; k < 3; k++)
                {
                    sb.AppendLine(inv, $"most frequent {titles[k]}:");
                    foreach (var (gram, count) in grams[k])
                        sb.AppendLine(inv, $"  {count,8:N0}  {string.Join(" ", gram.Select(t => Show(t, corpus.Level)))}");
                }
                sb.AppendLine(inv, $"zipf plot: {plotPath}");
                ctx.Out.Write(sb.ToString());
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Tokens shown quoted and escaped, so spaces and newlines are visible.</summary>
    private static string Show(string token, TokenLevel level)
        => level == TokenLevel.Char ? $"'{Vocabulary.Escape(token)}'" : Vocabulary.Escape(token);

    /// <summary>The indices of <paramref name="count"/> ranked items worth drawing on a log rank axis: every rank
    /// while ranks are more than 1/<paramref name="perDecade"/> decade apart (the first ~90), then the first rank
    /// of each 1/<paramref name="perDecade"/>-decade step, and always the last. Frequencies fall monotonically, so
    /// the curve looks the same, while a word-level plot of tiny Shakespeare (25,670 words, 3 series) shrinks
    /// from 4 MB of SVG to a few hundred points per series.</summary>
    public static int[] LogSpacedIndices(int count, int perDecade = 200)
    {
        var kept = new List<int>();
        double lastBucket = double.NegativeInfinity;
        for (int i = 0; i < count; i++)
        {
            double bucket = Math.Floor(Math.Log10(i + 1) * perDecade);
            if (bucket > lastBucket || i == count - 1) { kept.Add(i); lastBucket = bucket; }
        }
        return [.. kept];
    }

    /// <summary>Frequency against rank on log–log axes for unigrams, bigrams and trigrams (the book's figure).</summary>
    public static void WriteZipfPlot(TextCorpus corpus, string path)
    {
        var chart = new SvgChart
        {
            Title = $"Zipf's law: {corpus.Source} ({corpus.Level.ToString().ToLowerInvariant()} level)",
            XLabel = "rank",
            YLabel = "frequency",
            LogX = true,
            LogY = true,
        };
        string[] labels = ["unigram", "bigram", "trigram"];
        for (int k = 1; k <= 3; k++)
        {
            var freqs = NGramStatistics.RankedFrequencies(corpus.Tokens, k);
            if (freqs.Length == 0) continue;
            int[] shown = LogSpacedIndices(freqs.Length);
            chart.Add(labels[k - 1], shown.Select(i => (double)(i + 1)).ToArray(), shown.Select(i => (double)freqs[i]).ToArray());
        }
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir)) throw new DirectoryNotFoundException($"{path}: the directory {dir} does not exist.");
        chart.Save(path);
    }
}
