// `recurrent bench`: char-LM training/inference/generation throughput with the protocol of
// ../shared/bench/torch_charlm.py, so the two can be run side by side. The measuring lives in
// Recurrent.Training.CharLmBenchmark; this file parses options and prints.
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.Kernels;
using Recurrent.Nn;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

/// <summary>The <c>bench</c> verb.</summary>
public static class BenchCommand
{
    public static Command Create(CliContext ctx)
    {
        var cell = new Option<string[]>("--cell") { Description = "Cells: rnn, gru, lstm or all (several allowed).", DefaultValueFactory = _ => ["all"], AllowMultipleArgumentsPerToken = true };
        cell.AcceptOnlyFromAmong("rnn", "gru", "lstm", "all");
        var hidden = new Option<int[]>("--hidden") { Description = "Hidden sizes H (several allowed).", DefaultValueFactory = _ => [256], AllowMultipleArgumentsPerToken = true };
        var batch = new Option<int>("--batch") { Description = "Minibatch rows B.", DefaultValueFactory = _ => 32 };
        var steps = new Option<int>("--steps") { Description = "Time steps T per minibatch.", DefaultValueFactory = _ => 35 };
        var vocab = new Option<int>("--vocab") { Description = "Vocabulary size V of the synthetic corpus (ignored with --data).", DefaultValueFactory = _ => 28 };
        var mode = new Option<string[]>("--mode") { Description = "train, infer and/or generate (several allowed).", DefaultValueFactory = _ => ["train", "infer"], AllowMultipleArgumentsPerToken = true };
        mode.AcceptOnlyFromAmong("train", "infer", "generate");
        var threads = new Option<int[]>("--threads") { Description = "Kernel thread counts (several allowed).", DefaultValueFactory = _ => [1], AllowMultipleArgumentsPerToken = true };
        var batches = new Option<int>("--batches") { Description = "Measured minibatches.", DefaultValueFactory = _ => 200 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up minibatches.", DefaultValueFactory = _ => 20 };
        var data = new Option<string?>("--data") { Description = "Text file (d2l preprocessing, characters); synthetic uniform tokens when absent." };
        var json = new Option<bool>("--json") { Description = "One JSON line per configuration on stdout." };
        var longSeq = new Option<bool>("--long") { Description = "Also run every configuration at the long-sequence shape T=1000, B=8." };
        var path = new Option<string>("--path") { Description = "fused (allocation-free step, default) or autograd (the general ops and graph).", DefaultValueFactory = _ => "fused" };
        path.AcceptOnlyFromAmong("fused", "autograd");
        foreach (var o in new[] { batch, steps, vocab, batches })
            o.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{o.Name} must be ≥ 1 (got {r.GetValueOrDefault<int>()})."); });
        warmup.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError($"--warmup must be ≥ 0 (got {r.GetValueOrDefault<int>()})."); });
        hidden.Validators.Add(r => { foreach (int h in r.GetValueOrDefault<int[]>() ?? []) if (h < 1) r.AddError($"--hidden must be ≥ 1 (got {h})."); });
        threads.Validators.Add(r => { foreach (int t in r.GetValueOrDefault<int[]>() ?? []) if (t < 1 || t > 256) r.AddError($"--threads must be between 1 and 256 (got {t})."); });

        var cmd = new Command("bench", "Char-LM throughput (the torch_charlm.py protocol): tokens/s, GFLOP/s and % of the measured FMA peak.")
        {
            cell, hidden, batch, steps, vocab, mode, threads, batches, warmup, data, json, longSeq, path,
        };
        var common = CommonOptions.AddTo(cmd, seed: true, threads: false, @out: false, quiet: true);
        cmd.SetAction(r =>
        {
            bool asJson = r.GetValue(json);
            var inv = CultureInfo.InvariantCulture;
            var cells = Cells(r.GetValue(cell)!);
            var modes = r.GetValue(mode)!.Distinct().Select(ParseMode).ToArray();
            var threadCounts = r.GetValue(threads)!.Distinct().ToArray();
            ulong seed = common.GetSeed(r);
            var benchPath = r.GetValue(path) == "autograd" ? CharLmBenchPath.Autograd : CharLmBenchPath.Fused;

            // Corpus: the d2l character pipeline on a file, or synthetic uniform tokens (the peer's fallback).
            int[] corpus; int v; string dataName;
            if (r.GetValue(data) is { } file)
            {
                var text = TextCorpus.Load(file, TextPrep.D2l, TokenLevel.Char);
                var vocabulary = text.BuildVocabulary();
                corpus = vocabulary.Encode(text.Tokens);
                v = vocabulary.Count;
                dataName = Path.GetFileName(file);
            }
            else
            {
                v = r.GetValue(vocab);
                corpus = CharLmBenchmark.SyntheticCorpus(175_000, v, seed);
                dataName = "synthetic";
            }

            // Start-up: the machine and its measured FMA peak (the yardstick for pct_of_peak).
            var peaks = threadCounts.ToDictionary(t => t, t => FmaPeak.MeasureGflops(t));
            string peakText = string.Join(", ", peaks.Select(p => $"{p.Value.ToString("F1", inv)} GFLOP/s on {p.Key} thread{(p.Key == 1 ? "" : "s")}"));
            if (asJson)
                ctx.Out.WriteLine(new JsonObject
                {
                    ["bench"] = "env", ["cpu"] = CpuInfo.Describe(), ["simd"] = CpuInfo.Simd, ["logical_cores"] = CpuInfo.LogicalCores,
                    ["fma_peak_gflops"] = new JsonObject(peaks.Select(p => KeyValuePair.Create(p.Key.ToString(inv), (JsonNode?)Math.Round(p.Value, 1)))),
                    ["data"] = dataName, ["corpus_tokens"] = corpus.Length, ["vocab"] = v, ["path"] = PathName(benchPath),
                    ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", inv),
                }.ToJsonString());
            else
            {
                ctx.Out.WriteLine($"cpu: {CpuInfo.Describe()}");
                ctx.Out.WriteLine($"FMA peak (measured): {peakText}");
                ctx.Out.WriteLine($"data: {dataName} ({corpus.Length:N0} tokens, V={v}), path: {PathName(benchPath)}");
            }

            var shapes = new List<(int B, int T)> { (r.GetValue(batch), r.GetValue(steps)) };
            if (r.GetValue(longSeq) && shapes[0] != (8, 1000)) shapes.Add((8, 1000));
            foreach (int h in r.GetValue(hidden)!.Distinct())
                foreach (var c in cells)
                    foreach (var (b, t) in shapes)
                        foreach (int th in threadCounts)
                            foreach (var m in modes)
                            {
                                ctx.Cancellation.ThrowIfCancellationRequested();
                                var config = new CharLmBenchConfig(c, h, m == CharLmBenchMode.Generate ? 1 : b, t, m, th,
                                    r.GetValue(batches), r.GetValue(warmup), seed, benchPath);
                                var res = CharLmBenchmark.Run(config, corpus, v, peaks[th]);
                                ctx.Out.WriteLine(asJson ? ToJson(res, dataName) : ToText(res));
                                ctx.Out.Flush();
                            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static RecurrentMode[] Cells(string[] names)
    {
        var list = new List<RecurrentMode>();
        foreach (var n in names)
        {
            if (n == "all") list.AddRange([RecurrentMode.RnnTanh, RecurrentMode.Gru, RecurrentMode.Lstm]);
            else list.Add(n switch { "rnn" => RecurrentMode.RnnTanh, "gru" => RecurrentMode.Gru, _ => RecurrentMode.Lstm });
        }
        return list.Distinct().ToArray();
    }

    private static CharLmBenchMode ParseMode(string m) => m switch
    {
        "train" => CharLmBenchMode.Train,
        "infer" => CharLmBenchMode.Infer,
        _ => CharLmBenchMode.Generate,
    };

    private static string CellName(RecurrentMode m) => m switch { RecurrentMode.Gru => "gru", RecurrentMode.Lstm => "lstm", _ => "rnn" };

    private static string PathName(CharLmBenchPath p) => p == CharLmBenchPath.Fused ? "fused" : "autograd";

    private static string ToJson(CharLmBenchResult res, string dataName)
    {
        var c = res.Config;
        var o = new JsonObject
        {
            ["bench"] = "recurrent_charlm", ["cell"] = CellName(c.Cell), ["hidden"] = c.Hidden, ["batch"] = c.Batch, ["steps"] = c.Steps,
            ["mode"] = c.Mode.ToString().ToLowerInvariant(), ["threads"] = c.Threads, ["vocab"] = res.Vocab, ["data"] = dataName,
            ["path"] = PathName(c.Path), ["warmup_batches"] = c.Warmup, ["measured_batches"] = c.Batches,
            ["seconds"] = Math.Round(res.Seconds, 4), ["cpu_seconds"] = Math.Round(res.CpuSeconds, 4), ["tokens_per_s"] = Math.Round(res.TokensPerSecond, 1),
            ["gemm_flop_per_token"] = res.FlopPerToken, ["gflops"] = Math.Round(res.Gflops, 2), ["pct_of_peak"] = Math.Round(res.PctOfPeak, 1),
            ["alloc_bytes_per_batch"] = Math.Round(res.AllocatedBytesPerBatch, 1),
        };
        if (c.Mode == CharLmBenchMode.Generate) o["us_per_token"] = Math.Round(res.MicrosecondsPerToken, 3);
        else o["ppl_last_quarter"] = Math.Round(res.PplLastQuarter, 3);
        return o.ToJsonString();
    }

    private static string ToText(CharLmBenchResult res)
    {
        var c = res.Config;
        var inv = CultureInfo.InvariantCulture;
        string extra = c.Mode == CharLmBenchMode.Generate
            ? $"{res.MicrosecondsPerToken.ToString("F2", inv),8} µs/token"
            : $"ppl {res.PplLastQuarter.ToString("F3", inv)}";
        return string.Create(inv, $"{CellName(c.Cell),-4} H={c.Hidden,-4} B={c.Batch,-3} T={c.Steps,-4} {c.Mode.ToString().ToLowerInvariant(),-8} threads={c.Threads}  " +
            $"{res.TokensPerSecond,12:N0} tok/s  {res.Gflops,7:F1} GFLOP/s  {res.PctOfPeak,5:F1}% of peak  {extra}  alloc {res.AllocatedBytesPerBatch:N0} B/{(c.Mode == CharLmBenchMode.Generate ? "token" : "batch")}  cpu {res.CpuSeconds:F2}s/{res.Seconds:F2}s wall");
    }
}
