// `recurrent forecast`: a trained forecaster on a CSV the user brings. Forecasts K steps past the end of
// the file (recursively beyond the trained horizon when the model is univariate), writes a CSV and an
// SVG of the history and the forecast. --backtest instead hides the last K rows and forecasts them, so
// the plot and the printed errors compare forecast and actual.
using System.CommandLine;
using System.Globalization;
using System.Text;
using Recurrent.Cli.Plots;
using Recurrent.Data;
using Recurrent.IO;
using Recurrent.Models;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

/// <summary>The <c>forecast</c> verb.</summary>
public static class ForecastCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Option<string>("--model") { Description = "Model directory written by `recurrent train forecast` (config.json + model.safetensors).", Required = true };
        var csv = new Option<string>("--csv") { Description = "CSV with the model's columns; forecasting starts after its last row.", Required = true };
        var horizon = new Option<int>("--horizon") { Description = "K: steps to forecast past the end.", Required = true };
        horizon.Validators.Add(r => { int k = r.GetValueOrDefault<int>(); if (k < 1 || k > 1_000_000) r.AddError("--horizon must be between 1 and 1000000."); });
        var output = new Option<string>("--out") { Description = "Forecast CSV to write.", DefaultValueFactory = _ => "forecast.csv" };
        var plot = new Option<string>("--plot") { Description = "SVG plot to write (default: the --out path with .svg)." };
        var backtest = new Option<bool>("--backtest") { Description = "Hold out the last K rows, forecast them and compare with the actual values." };
        var history = new Option<int>("--history") { Description = "Past rows shown in the plot (0 = all).", DefaultValueFactory = _ => 200 };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Do not print the forecast table." };
        var cmd = new Command("forecast", "Forecast the next K values of a series with a trained model.") { model, csv, horizon, output, plot, backtest, history, quiet };
        cmd.SetAction(r =>
        {
            var (m, info) = ForecasterCheckpoint.Load<float>(r.GetValue(model)!);
            int K = r.GetValue(horizon);
            string csvPath = r.GetValue(csv)!;
            var table = CsvTable.Load(csvPath);
            string file = Path.GetFileName(csvPath);
            var (names, values) = ForecastDataset.ReadColumns(table, info.Target, info.Features.Skip(1).ToList());
            TimeAxis? time = info.TimeColumn is not null && table.HasColumn(info.TimeColumn) ? TimeAxis.FromCsv(table, info.TimeColumn) : null;
            int F = names.Length, n = table.RowCount;
            if (F > 1 && K > info.Horizon)
                throw new UserErrorException($"the model uses extra features ({string.Join(", ", names.Skip(1))}) and was trained for horizon {info.Horizon}: it cannot forecast {K} steps because the future of those features is unknown; use --horizon {info.Horizon} or train with --horizon {K}.");
            bool test = r.GetValue(backtest);
            int end = test ? n - K : n;                                     // rows the model may see
            if (end < info.Lookback)
                throw new UserErrorException(test
                    ? $"{file}: {n} rows are fewer than the model's lookback {info.Lookback} + --horizon {K} needed for --backtest."
                    : $"{file}: {n} rows are fewer than the model's lookback {info.Lookback}.");
            var scaled = info.Scaler.Transform(values);
            var forecast = RecursiveForecast.FromOrigins(scaled, F, [end - 1], info.Lookback, info.Horizon, K, m.Predict)[0]
                .Select(z => info.Scaler.Inverse(z, 0)).ToArray();

            // Times of the forecast rows: the file's own labels when backtesting, else the axis continued.
            string[] labels;
            double[] pos = time?.Positions() ?? Enumerable.Range(1, n).Select(i => (double)i).ToArray();
            double[] fpos;
            if (test) { labels = Enumerable.Range(end, K).Select(t => time?.Labels[t] ?? (t + 1).ToString(CultureInfo.InvariantCulture)).ToArray(); fpos = pos[end..n]; }
            else if (time is not null) { labels = time.Extend(K); fpos = time.ExtendPositions(K); }
            else { labels = Enumerable.Range(n + 1, K).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray(); fpos = Enumerable.Range(n + 1, K).Select(i => (double)i).ToArray(); }

            var target = Enumerable.Range(0, n).Select(t => values[t * F]).ToArray();
            string outPath = r.GetValue(output)!;
            var sb = new StringBuilder();
            sb.Append("step,").Append(CsvTable.Quote(time is null ? "row" : info.TimeColumn!)).Append(',').Append(CsvTable.Quote("forecast_" + info.Target));
            if (test) sb.Append(',').Append(CsvTable.Quote("actual_" + info.Target));
            sb.Append('\n');
            for (int k = 0; k < K; k++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{k + 1},{CsvTable.Quote(labels[k])},{TaskCliHelpers.F(forecast[k])}");
                if (test) sb.Append(',').Append(TaskCliHelpers.F(target[end + k]));
                sb.Append('\n');
            }
            CheckParent(outPath, "--out");
            AtomicFile.WriteAllText(outPath, sb.ToString());

            string plotPath = r.GetValue(plot) ?? Path.ChangeExtension(outPath, ".svg");
            CheckParent(plotPath, "--plot");
            int show = r.GetValue(history) is > 0 and var h ? Math.Min(h, end) : end;
            var chart = new SvgChart { Title = $"{info.Target}: {K}-step forecast{(test ? " (backtest)" : "")}", XLabel = time?.AxisTitle(info.TimeColumn!) ?? "row", YLabel = info.Target };
            chart.Add("history", pos[(end - show)..end], target[(end - show)..end]);
            if (test) chart.Add("actual", pos[(end - 1)..n], target[(end - 1)..n], markers: K <= 50);
            chart.Add("forecast", [pos[end - 1], .. fpos], [target[end - 1], .. forecast], markers: K <= 50, dashed: true);
            chart.Save(plotPath);

            if (!r.GetValue(quiet))
            {
                var o = new StringBuilder();
                o.AppendLine(CultureInfo.InvariantCulture, $"{K}-step forecast of '{info.Target}' from {(test ? $"row {end} (backtest)" : "the end of " + file)}:");
                for (int k = 0; k < K; k++)
                    o.AppendLine(CultureInfo.InvariantCulture, $"  {k + 1,5}  {labels[k],-20} {forecast[k],12:G6}{(test ? $"  actual {target[end + k],12:G6}" : "")}");
                if (test)
                {
                    var a = target[end..n];
                    var naive = Enumerable.Repeat(target[end - 1], K).ToArray();
                    o.AppendLine(CultureInfo.InvariantCulture, $"backtest: model MAE {ForecastMetrics.Mae(a, forecast):G4}, RMSE {ForecastMetrics.Rmse(a, forecast):G4}; naive MAE {ForecastMetrics.Mae(a, naive):G4}, RMSE {ForecastMetrics.Rmse(a, naive):G4}");
                }
                o.AppendLine($"written: {outPath}, {plotPath}");
                ctx.Out.Write(o.ToString());
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    internal static void CheckParent(string path, string option)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir)) throw new UserErrorException($"{option} {path}: the directory {dir} does not exist.");
    }
}
