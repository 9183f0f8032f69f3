// `recurrent classify`: a trained text classifier on new texts, one from --text or many from a CSV.
// Prints the label and the class probabilities; with --csv it writes one row per text.
using System.CommandLine;
using System.Globalization;
using System.Text;
using Recurrent.Data;
using Recurrent.IO;
using Recurrent.Models;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

/// <summary>The <c>classify</c> verb.</summary>
public static class ClassifyCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Option<string>("--model") { Description = "Model directory written by `recurrent train classify`.", Required = true };
        var text = new Option<string[]>("--text") { Description = "Text to classify (repeat for several).", AllowMultipleArgumentsPerToken = false };
        var csv = new Option<string>("--csv") { Description = "CSV file of texts to classify." };
        var textCol = new Option<string>("--text-col") { Description = "Text column of --csv (default: the one the model was trained on)." };
        var output = new Option<string>("--out") { Description = "With --csv: write the predictions CSV here instead of stdout." };
        var cmd = new Command("classify", "Label texts with a trained classifier and show the class probabilities.") { model, text, csv, textCol, output };
        cmd.SetAction(r =>
        {
            var texts = r.GetValue(text) ?? [];
            string? csvPath = r.GetValue(csv);
            if ((texts.Length == 0) == (csvPath is null))
                throw new UsageException("give either --text \"...\" or --csv FILE.");
            var (m, info) = ClassifierCheckpoint.Load<float>(r.GetValue(model)!);
            var enc = info.Encoder;
            var inv = CultureInfo.InvariantCulture;

            if (csvPath is null)
            {
                var seqs = texts.Select((t, i) => enc.Encode(t, texts.Length == 1 ? "--text" : $"--text #{i + 1}", info.MaxLength)).ToList();
                var probs = m.PredictProbabilities(PaddedBatch.Create(seqs, enc.PadId));
                var sb = new StringBuilder();
                for (int i = 0; i < texts.Length; i++)
                {
                    int best = ArgMax(probs[i]);
                    if (texts.Length > 1) sb.AppendLine(inv, $"text: {texts[i]}");
                    sb.AppendLine(inv, $"label: {info.Labels.Decode(best)}");
                    sb.AppendLine("probabilities: " + string.Join(", ", info.Labels.Classes.Select((c, k) => string.Create(inv, $"{c} {probs[i][k]:0.0000}"))));
                }
                ctx.Out.Write(sb.ToString());
                return ExitCodes.Ok;
            }

            var table = CsvTable.Load(csvPath);
            string file = Path.GetFileName(csvPath);
            string col = r.GetValue(textCol) ?? info.TextColumn;
            var rows = table.Strings(col);
            if (rows.Length == 0) throw new UserErrorException($"{file}: no data rows.");
            var ids = rows.Select((t, i) => enc.Encode(t, $"{file}: line {table.LineOf(i)}, column '{col}'", info.MaxLength)).ToList();
            var outSb = new StringBuilder();
            outSb.Append("row,predicted");
            foreach (var c in info.Labels.Classes) outSb.Append(',').Append(CsvTable.Quote("p_" + c));
            outSb.Append('\n');
            var predicted = new int[rows.Length];
            const int chunk = 256;
            for (int start = 0; start < rows.Length; start += chunk)
            {
                int n = Math.Min(chunk, rows.Length - start);
                var probs = m.PredictProbabilities(PaddedBatch.Create(ids.GetRange(start, n), enc.PadId));
                for (int i = 0; i < n; i++)
                {
                    predicted[start + i] = ArgMax(probs[i]);
                    outSb.Append(inv, $"{start + i + 1},{CsvTable.Quote(info.Labels.Decode(predicted[start + i]))}");
                    foreach (var p in probs[i]) outSb.Append(inv, $",{p:0.######}");
                    outSb.Append('\n');
                }
            }
            string? outPath = r.GetValue(output);
            if (outPath is null) ctx.Out.Write(outSb.ToString());
            else
            {
                ForecastCommand.CheckParent(outPath, "--out");
                AtomicFile.WriteAllText(outPath, outSb.ToString());
                ctx.Out.WriteLine($"{rows.Length} predictions written to {outPath}");
            }
            // When the file also has the labels (e.g. a held-out test file), say how well the model did.
            if (info.LabelColumn is { } lc && table.HasColumn(lc))
            {
                var truth = table.Strings(lc);
                var known = Enumerable.Range(0, rows.Length).Where(i => info.Labels.Classes.Contains(truth[i].Trim())).ToArray();
                if (known.Length > 0)
                {
                    var a = known.Select(i => info.Labels.Encode(truth[i])).ToArray();
                    var p = known.Select(i => predicted[i]).ToArray();
                    ctx.Error.WriteLine(string.Create(inv, $"accuracy {ClassificationMetrics.Accuracy(a, p):0.0000}, macro-F1 {ClassificationMetrics.MacroF1(a, p, info.Labels.Count):0.0000} on the {known.Length} rows whose '{lc}' is a known class"));
                }
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static int ArgMax(double[] p)
    {
        int best = 0;
        for (int c = 1; c < p.Length; c++) if (p[c] > p[best]) best = c;
        return best;
    }
}
