// `recurrent run` end to end: PyTorch's exported LSTM reproduced within 1e-5, PyTorch's batch_first
// semantics, initial states, and one clear line for every kind of bad model or array.
using System.Text.Json.Nodes;
using Recurrent.Autograd;
using Recurrent.IO;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.Cli;

public class RunCommandTests
{
    private static string Export(string name = "") => Path.Combine(AppContext.BaseDirectory, "fixtures", "torch_export", name);

    /// <summary>A writable copy of the PyTorch export directory.</summary>
    private static string CopyExport(TempDir dir)
    {
        string model = Path.Combine(dir.Path, "model");
        Directory.CreateDirectory(model);
        foreach (var f in Directory.GetFiles(Export()))
            File.Copy(f, Path.Combine(model, Path.GetFileName(f)));
        return model;
    }

    [Fact]
    public void Reproduces_PyTorch_export_within_1e_5()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("run", "--model", Export(), "--input", Export("x.npy"), "--output", dir.File("y.npy"),
            "--hn", dir.File("hn.npy"), "--cn", dir.File("cn.npy")).AssertOk();
        Assert.Contains("(2, 7, 16)", r.Stdout);
        foreach (var name in new[] { "y.npy", "hn.npy", "cn.npy" })
        {
            var expected = Npy.Read(Export(name));
            var actual = Npy.Read(dir.File(name));
            Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
            Tolerance.AssertClose(expected.Data, actual.Data, rtol: 0, atol: 1e-5, what: name);
        }
    }

    [Fact]
    public void Batch_first_false_reads_and_writes_time_major_like_PyTorch()
    {
        using var dir = new TempDir();
        string model = CopyExport(dir);
        var config = ConfigJson.ReadFile(Path.Combine(model, "config.json"));
        config["batch_first"] = false;
        ConfigJson.WriteFile(Path.Combine(model, "config.json"), config);
        Tensor<float> xT, yT;
        using (GradMode.Disable())
        {
            xT = Op.SwapBatchTime(Npy.Read(Export("x.npy")));   // [T, B, I]
            yT = Op.SwapBatchTime(Npy.Read(Export("y.npy")));   // [T, B, D·H]
        }
        Npy.Write(dir.File("xt.npy"), xT);
        CliRunner.Run("run", "--model", model, "--input", dir.File("xt.npy"), "--output", dir.File("yt.npy"), "--hn", dir.File("hn.npy")).AssertOk();
        var y = Npy.Read(dir.File("yt.npy"));
        Assert.Equal([7, 2, 16], y.Shape.ToArray());
        Tolerance.AssertClose(yT.Data, y.Data, rtol: 0, atol: 1e-5, what: "y (time-major)");
        Tolerance.AssertClose(Npy.Read(Export("hn.npy")).Data, Npy.Read(dir.File("hn.npy")).Data, rtol: 0, atol: 1e-5, what: "h_n");

        // The batch-first input is now read as T=2, B=7: a 3-D array with 4 features is valid, so check the
        // message of a shape that cannot fit instead: h0 sized for the batch-first reading.
        Npy.Write(dir.File("h0.npy"), new Tensor<float>(4, 2, 8));
        CliRunner.Run("run", "--model", model, "--input", Export("x.npy"), "--output", dir.File("o.npy"), "--h0", dir.File("h0.npy"))
            .AssertUserError(1, "h0.npy", "(4, 2, 8)", "expected [4, 7, 8]");
    }

    [Theory]
    [InlineData(RecurrentMode.Gru)]
    [InlineData(RecurrentMode.RnnRelu)]
    [InlineData(RecurrentMode.Lstm)]
    public void Runs_a_saved_stack_with_initial_states_like_the_library(RecurrentMode mode)
    {
        using var dir = new TempDir();
        var config = new RecurrentConfig(mode, 3, 4, NumLayers: 2, BatchFirst: true);
        var stack = config.CreateStack<float>(new Rng(21));
        stack.Eval();
        Checkpoint.Save(dir.File("m"), stack, config.ToJson());
        var rng = new Rng(4);
        var x = Tensor<float>.Normal(rng, 0f, 1f, 2, 5, 3);
        var h0 = Tensor<float>.Normal(rng, 0f, 1f, 2, 2, 4);
        var c0 = Tensor<float>.Normal(rng, 0f, 1f, 2, 2, 4);
        Npy.Write(dir.File("x.npy"), x);
        Npy.Write(dir.File("h0.npy"), h0);
        Npy.Write(dir.File("c0.npy"), c0);
        var args = new List<string> { "run", "--model", dir.File("m"), "--input", dir.File("x.npy"), "--output", dir.File("y.npy"),
            "--h0", dir.File("h0.npy"), "--hn", dir.File("hn.npy"), "--threads", "2" };
        if (mode == RecurrentMode.Lstm) args.AddRange(["--c0", dir.File("c0.npy"), "--cn", dir.File("cn.npy")]);
        CliRunner.Run([.. args]).AssertOk();

        RecurrentResult<float> expected;
        using (GradMode.Disable()) expected = stack.Forward(x, h0, mode == RecurrentMode.Lstm ? c0 : null);
        Assert.Equal(expected.Output.ToArray(), Npy.Read(dir.File("y.npy")).ToArray());
        Assert.Equal(expected.HN.ToArray(), Npy.Read(dir.File("hn.npy")).ToArray());
        if (mode == RecurrentMode.Lstm) Assert.Equal(expected.CN!.ToArray(), Npy.Read(dir.File("cn.npy")).ToArray());
        else
        {
            CliRunner.Run("run", "--model", dir.File("m"), "--input", dir.File("x.npy"), "--output", dir.File("y2.npy"), "--c0", dir.File("c0.npy"))
                .AssertUserError(2, "--c0", "only for LSTM");
            CliRunner.Run("run", "--model", dir.File("m"), "--input", dir.File("x.npy"), "--output", dir.File("y2.npy"), "--cn", dir.File("cn.npy"))
                .AssertUserError(2, "--cn", "only for LSTM");
        }
    }

    [Fact]
    public void Missing_required_option_is_a_usage_error()
    {
        var r = CliRunner.Run("run", "--model", Export());
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--input", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Same_file_for_two_outputs_is_a_usage_error()
    {
        using var dir = new TempDir();
        CliRunner.Run("run", "--model", Export(), "--input", Export("x.npy"), "--output", dir.File("y.npy"), "--hn", dir.File("y.npy"))
            .AssertUserError(2, "different files");
    }

    // ---- corrupt checkpoints: one line, exit 1, no stack trace, no huge allocation ----

    /// <summary>Runs `recurrent run` on a copy of the export whose files were damaged by <paramref name="damage"/>.</summary>
    private static CliResult RunDamaged(Action<string> damage)
    {
        using var dir = new TempDir();
        string model = CopyExport(dir);
        damage(model);
        return CliRunner.Run("run", "--model", model, "--input", Export("x.npy"), "--output", dir.File("y.npy"));
    }

    private static void PatchWeights(string model, Func<byte[], byte[]> patch)
    {
        string path = Path.Combine(model, "model.safetensors");
        File.WriteAllBytes(path, patch(File.ReadAllBytes(path)));
    }

    private static void RewriteHeader(string model, Func<string, string> edit)
    {
        string path = Path.Combine(model, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        int n = (int)BitConverter.ToUInt64(bytes, 0);
        string header = System.Text.Encoding.UTF8.GetString(bytes, 8, n);
        File.WriteAllBytes(path, IO.SafeTensorsTests.Build(edit(header), bytes[(8 + n)..]));
    }

    private static void EditConfig(string model, Action<JsonObject> edit)
    {
        string path = Path.Combine(model, "config.json");
        var o = ConfigJson.ReadFile(path);
        edit(o);
        ConfigJson.WriteFile(path, o);
    }

    private static void ReplaceWeights(string model, Func<Dictionary<string, Tensor<float>>, IEnumerable<KeyValuePair<string, Tensor<float>>>> edit)
    {
        string path = Path.Combine(model, "model.safetensors");
        var t = SafeTensors.Read<float>(path).Tensors;
        SafeTensors.Write(path, edit(t).ToList());
    }

    [Fact]
    public void Truncated_weights_file() =>
        RunDamaged(m => PatchWeights(m, b => b[..(b.Length - 100)])).AssertUserError(1, "model.safetensors", "past the end");

    [Fact]
    public void Weights_file_shorter_than_8_bytes() =>
        RunDamaged(m => PatchWeights(m, b => b[..5])).AssertUserError(1, "model.safetensors", "5 bytes");

    [Fact]
    public void Header_length_past_the_end() =>
        RunDamaged(m => PatchWeights(m, b => { BitConverter.GetBytes((ulong)(b.Length + 10)).CopyTo(b, 0); return b; }))
            .AssertUserError(1, "model.safetensors", "past the end of the file");

    [Fact]
    public void Absurd_header_length()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunDamaged(m => PatchWeights(m, b => { BitConverter.GetBytes(ulong.MaxValue - 7).CopyTo(b, 0); return b; }))
            .AssertUserError(1, "model.safetensors", "absurdly large");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 20_000_000, "the bogus header length was allocated");
    }

    [Fact]
    public void Header_is_not_json() =>
        RunDamaged(m => RewriteHeader(m, h => h.Replace("\"dtype\":", "\"dtype\""))).AssertUserError(1, "model.safetensors", "not valid JSON");

    [Fact]
    public void Unknown_dtype() =>
        RunDamaged(m => RewriteHeader(m, h => h.Replace("\"F32\"", "\"Q7\""))).AssertUserError(1, "model.safetensors", "unknown dtype 'Q7'");

    [Fact]
    public void Missing_tensor() =>
        RunDamaged(m => ReplaceWeights(m, t => t.Where(kv => kv.Key != "weight_hh_l1_reverse")))
            .AssertUserError(1, "does not match config.json", "missing tensor 'weight_hh_l1_reverse'");

    [Fact]
    public void Extra_tensor() =>
        RunDamaged(m => ReplaceWeights(m, t => t.Append(KeyValuePair.Create("weight_ih_l2", new Tensor<float>(32, 16)))))
            .AssertUserError(1, "does not match config.json", "unexpected tensor 'weight_ih_l2'");

    [Fact]
    public void Misshaped_tensor() =>
        RunDamaged(m => ReplaceWeights(m, t => t.Select(kv => kv.Key == "bias_ih_l0" ? KeyValuePair.Create(kv.Key, new Tensor<float>(31)) : kv)))
            .AssertUserError(1, "'bias_ih_l0'", "[31]", "[32]");

    [Fact]
    public void Config_not_matching_weights() =>
        RunDamaged(m => EditConfig(m, o => o["hidden_size"] = 16)).AssertUserError(1, "does not match config.json", "LSTM(input_size=4, hidden_size=16");

    [Fact]
    public void Config_mode_not_matching_weights() =>
        RunDamaged(m => EditConfig(m, o => o["mode"] = "GRU")).AssertUserError(1, "does not match config.json", "GRU(");

    [Fact]
    public void Config_bad_field() =>
        RunDamaged(m => EditConfig(m, o => o["num_layers"] = "two")).AssertUserError(1, "config.json", "'num_layers' must be an integer");

    [Fact]
    public void Config_not_json() =>
        RunDamaged(m => File.WriteAllText(Path.Combine(m, "config.json"), "{ \"mode\": LSTM }")).AssertUserError(1, "config.json", "not valid JSON", "line 1");

    [Fact]
    public void Missing_config() =>
        RunDamaged(m => File.Delete(Path.Combine(m, "config.json"))).AssertUserError(1, "config.json", "not found");

    [Fact]
    public void Missing_weights() =>
        RunDamaged(m => File.Delete(Path.Combine(m, "model.safetensors"))).AssertUserError(1, "model.safetensors", "not found");

    [Fact]
    public void Missing_model_directory()
    {
        using var dir = new TempDir();
        CliRunner.Run("run", "--model", dir.File("nope"), "--input", Export("x.npy"), "--output", dir.File("y.npy"))
            .AssertUserError(1, "nope", "model directory not found");
    }

    // ---- bad arrays ----

    private static CliResult RunWithInput(TempDir dir, byte[] npy, string name = "x.npy")
    {
        File.WriteAllBytes(dir.File(name), npy);
        return CliRunner.Run("run", "--model", Export(), "--input", dir.File(name), "--output", dir.File("y.npy"));
    }

    [Fact]
    public void Input_wrong_dtype()
    {
        using var dir = new TempDir();
        RunWithInput(dir, IO.NpyTests.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 7, 4), }", new byte[2 * 7 * 4 * 8]))
            .AssertUserError(1, "x.npy", "float64", "astype(np.float32)");
    }

    [Fact]
    public void Input_wrong_rank()
    {
        using var dir = new TempDir();
        Npy.Write(dir.File("x.npy"), new Tensor<float>(7, 4));
        CliRunner.Run("run", "--model", Export(), "--input", dir.File("x.npy"), "--output", dir.File("y.npy"))
            .AssertUserError(1, "x.npy", "expected a 3-D array [B, T, 4]", "(7, 4)");
    }

    [Fact]
    public void Input_wrong_feature_count()
    {
        using var dir = new TempDir();
        Npy.Write(dir.File("x.npy"), new Tensor<float>(2, 7, 5));
        CliRunner.Run("run", "--model", Export(), "--input", dir.File("x.npy"), "--output", dir.File("y.npy"))
            .AssertUserError(1, "x.npy", "5 features", "input_size is 4");
    }

    [Fact]
    public void Input_truncated()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Export("x.npy"));
        RunWithInput(dir, bytes[..^12]).AssertUserError(1, "x.npy", "truncated");
    }

    [Fact]
    public void Input_missing()
    {
        using var dir = new TempDir();
        CliRunner.Run("run", "--model", Export(), "--input", dir.File("none.npy"), "--output", dir.File("y.npy"))
            .AssertUserError(1, "none.npy", "not found");
        Assert.False(File.Exists(dir.File("y.npy")));
    }

    [Fact]
    public void Input_is_not_npy()
    {
        using var dir = new TempDir();
        RunWithInput(dir, "1,2,3\n"u8.ToArray(), "x.csv").AssertUserError(1, "x.csv", "not a .npy file");
    }
}
