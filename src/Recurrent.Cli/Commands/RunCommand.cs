// `recurrent run`: inference of a saved recurrent stack (ours or a PyTorch export) on .npy arrays.
// Follows PyTorch's layout rules: x is [B, T, I] when the config says batch_first, else [T, B, I];
// h0/c0/h_n/c_n are always [num_layers·directions, B, H].
using System.CommandLine;
using Recurrent.Autograd;
using Recurrent.IO;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Cli.Commands;

/// <summary>The <c>run</c> verb.</summary>
public static class RunCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Option<string>("--model") { Description = "Model directory (model.safetensors + config.json).", Required = true };
        var input = new Option<string>("--input") { Description = "Input .npy, float32 [B, T, input_size] (or [T, B, input_size] when batch_first is false).", Required = true };
        var output = new Option<string>("--output") { Description = "Where to write the outputs .npy ([B, T, D·H] or [T, B, D·H]).", Required = true };
        var h0 = new Option<string?>("--h0") { Description = "Initial hidden state .npy [num_layers·D, B, hidden_size] (default zeros)." };
        var c0 = new Option<string?>("--c0") { Description = "Initial cell state .npy (LSTM only), same shape as --h0." };
        var hn = new Option<string?>("--hn") { Description = "Where to write the final hidden state .npy." };
        var cn = new Option<string?>("--cn") { Description = "Where to write the final cell state .npy (LSTM only)." };
        var prefix = new Option<string?>("--prefix") { Description = "Name prefix of the stack's tensors in model.safetensors (default: none for a bare stack, 'rnn.' for a task model whose config.json has an \"rnn\" object)." };

        var cmd = new Command("run", "Run a saved RNN/LSTM/GRU stack (e.g. exported from PyTorch) on a .npy input.")
        {
            model, input, output, h0, c0, hn, cn, prefix,
        };
        var common = CommonOptions.AddTo(cmd, seed: false, @out: false, quiet: false);

        cmd.SetAction(r =>
        {
            common.ApplyThreads(r);
            string modelDir = r.GetValue(model)!, inputPath = r.GetValue(input)!, outputPath = r.GetValue(output)!;
            string? h0Path = r.GetValue(h0), c0Path = r.GetValue(c0), hnPath = r.GetValue(hn), cnPath = r.GetValue(cn);

            var outputs = new[] { outputPath, hnPath, cnPath }.OfType<string>().Select(Path.GetFullPath).ToList();
            if (outputs.Distinct().Count() != outputs.Count)
                throw new UsageException("--output, --hn and --cn must name different files.");

            var (config, stack) = RecurrentConfig.LoadStack<float>(modelDir, r.GetValue(prefix));
            bool lstm = config.Mode == RecurrentMode.Lstm;
            string modeName = RecurrentConfig.ModeName(config.Mode);
            if (!lstm && c0Path is not null) throw new UsageException($"--c0 is only for LSTM models; {modelDir} is {modeName}.");
            if (!lstm && cnPath is not null) throw new UsageException($"--cn is only for LSTM models; {modelDir} is {modeName}.");

            int I = config.InputSize, H = config.HiddenSize, S = config.NumLayers * config.NumDirections;
            string layout = config.BatchFirst ? $"[B, T, {I}] (batch_first)" : $"[T, B, {I}] (batch_first is false)";
            var x = Npy.Read(inputPath, 3, layout);
            if (x.Dim(2) != I)
                throw new InvalidDataException($"{inputPath}: shape {Npy.FormatShape(x.Shape)} has {x.Dim(2)} features per step but the model's input_size is {I}; expected {layout}.");
            if (x.Dim(0) == 0 || x.Dim(1) == 0)
                throw new InvalidDataException($"{inputPath}: shape {Npy.FormatShape(x.Shape)} is empty; expected {layout} with B, T ≥ 1.");
            int B = config.BatchFirst ? x.Dim(0) : x.Dim(1);

            var h = h0Path is null ? null : ReadState(h0Path, S, B, H);
            var c = c0Path is null ? null : ReadState(c0Path, S, B, H);

            RecurrentResult<float> result;
            using (GradMode.Disable())
            {
                var xb = config.BatchFirst ? x : Op.SwapBatchTime(x);               // [B, T, I]
                result = stack.Forward(xb, h, c);
                if (!config.BatchFirst) result = result with { Output = Op.SwapBatchTime(result.Output) }; // [T, B, D·H]
            }

            Npy.Write(outputPath, result.Output);
            ctx.Out.WriteLine($"output {outputPath} {Npy.FormatShape(result.Output.Shape)}");
            if (hnPath is not null)
            {
                Npy.Write(hnPath, result.HN);
                ctx.Out.WriteLine($"h_n {hnPath} {Npy.FormatShape(result.HN.Shape)}");
            }
            if (cnPath is not null)
            {
                Npy.Write(cnPath, result.CN!);
                ctx.Out.WriteLine($"c_n {cnPath} {Npy.FormatShape(result.CN!.Shape)}");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Reads an initial state, which PyTorch always lays out as [num_layers·directions, B, H].</summary>
    private static Tensor<float> ReadState(string path, int slices, int batch, int hidden)
    {
        string layout = $"[{slices}, {batch}, {hidden}] (num_layers·directions, B, hidden_size)";
        var t = Npy.Read(path, 3, layout);
        if (t.Dim(0) != slices || t.Dim(1) != batch || t.Dim(2) != hidden)
            throw new InvalidDataException($"{path}: shape {Npy.FormatShape(t.Shape)} does not fit the model and input; expected {layout}.");
        return t;
    }
}
