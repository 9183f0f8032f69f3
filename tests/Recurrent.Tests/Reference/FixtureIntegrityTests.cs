// Proves the committed PyTorch fixtures are intact and self-consistent before anything is compared
// with them: hashes match the manifest, shapes match the PyTorch configuration, values are finite.
using System.Security.Cryptography;
using System.Text.Json;

namespace Recurrent.Tests.Reference;

public class FixtureIntegrityTests
{
    public static TheoryData<string> StackCases => Fixture.Cases("stack");
    public static TheoryData<string> CellCases => Fixture.Cases("cell");
    public static TheoryData<string> TrainCases => Fixture.Cases("train");

    private static int Gates(string mode) => mode switch
    {
        "RNN" => 1,
        "LSTM" => 4,
        "GRU" => 3,
        _ => throw new InvalidDataException($"unknown mode '{mode}'"),
    };

    [Fact]
    public void EveryFileMatchesTheManifestHash()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixture.Root, "pytorch", "manifest.json")));
        var files = doc.RootElement.GetProperty("files").EnumerateObject().ToList();
        Assert.True(files.Count >= 70, $"manifest lists only {files.Count} files");
        foreach (var f in files)
        {
            var path = Path.Combine(Fixture.Root, f.Name);
            Assert.True(File.Exists(path), $"fixture listed in the manifest is missing: {f.Name}");
            string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
            Assert.True(hash == f.Value.GetString(), $"{f.Name}: SHA-256 {hash} differs from the manifest (regenerate with tools/reference/make_fixtures.py)");
        }
        // And nothing on disk that the manifest does not know (a stale or hand-edited fixture).
        var listed = files.Select(f => f.Name).ToHashSet();
        foreach (var kind in new[] { "stack", "cell", "train" })
            foreach (var rel in Fixture.List(kind))
                Assert.True(listed.Contains($"pytorch/{rel}"), $"pytorch/{rel} is not in the manifest");
    }

    [Theory]
    [MemberData(nameof(StackCases))]
    public void StackFixtureIsConsistent(string path)
    {
        var f = Fixture.Load(path);
        Assert.Equal("stack", f.Kind);
        string mode = f.ConfigString("mode");
        int g = Gates(mode), I = f.ConfigInt("input_size"), H = f.ConfigInt("hidden_size");
        int L = f.ConfigInt("num_layers"), D = f.ConfigBool("bidirectional") ? 2 : 1;
        int B = f.ConfigInt("batch"), T = f.ConfigInt("steps");
        bool bias = f.ConfigBool("bias"), lstm = mode == "LSTM";

        var expectedParams = new Dictionary<string, int[]>();
        for (int layer = 0; layer < L; layer++)
            for (int dir = 0; dir < D; dir++)
            {
                string sfx = $"_l{layer}{(dir == 1 ? "_reverse" : "")}";
                expectedParams[$"weight_ih{sfx}"] = [g * H, layer == 0 ? I : D * H];
                expectedParams[$"weight_hh{sfx}"] = [g * H, H];
                if (bias) { expectedParams[$"bias_ih{sfx}"] = [g * H]; expectedParams[$"bias_hh{sfx}"] = [g * H]; }
            }
        AssertShapes(path, "params", expectedParams, f.Params);

        var expectedInputs = new Dictionary<string, int[]> { ["input"] = [B, T, I] };
        if (f.ConfigBool("initial_state"))
        {
            expectedInputs["h0"] = [L * D, B, H];
            if (lstm) expectedInputs["c0"] = [L * D, B, H];
        }
        AssertShapes(path, "inputs", expectedInputs, f.Inputs);

        var expectedOutputs = new Dictionary<string, int[]> { ["output"] = [B, T, D * H], ["h_n"] = [L * D, B, H] };
        if (lstm) expectedOutputs["c_n"] = [L * D, B, H];
        AssertShapes(path, "outputs", expectedOutputs, f.Outputs);
        AssertShapes(path, "loss_weights", expectedOutputs, f.LossWeights);

        var expectedGrads = new Dictionary<string, int[]>(expectedParams);
        foreach (var (k, v) in expectedInputs) expectedGrads[k] = v;
        AssertShapes(path, "grads", expectedGrads, f.Grads);

        if (f.Lengths is { } lengths)
        {
            Assert.Equal(B, lengths.Length);
            var output = f.Outputs["output"];
            for (int b = 0; b < B; b++)
            {
                Assert.InRange(lengths[b], 1, T);
                for (int t = lengths[b]; t < T; t++)
                    for (int j = 0; j < D * H; j++)
                        Assert.True(output.Data[(b * T + t) * D * H + j] == 0, $"{path}: padded output [{b}, {t}, {j}] is not zero");
            }
        }
        AssertFiniteAndFloat32Tolerance(f, T >= 100 ? 1e-4 : 1e-5);
    }

    [Theory]
    [MemberData(nameof(CellCases))]
    public void CellFixtureIsConsistent(string path)
    {
        var f = Fixture.Load(path);
        Assert.Equal("cell", f.Kind);
        string mode = f.ConfigString("mode");
        int g = Gates(mode), I = f.ConfigInt("input_size"), H = f.ConfigInt("hidden_size"), B = f.ConfigInt("batch");
        bool lstm = mode == "LSTM";
        var expectedParams = new Dictionary<string, int[]> { ["weight_ih"] = [g * H, I], ["weight_hh"] = [g * H, H] };
        if (f.ConfigBool("bias")) { expectedParams["bias_ih"] = [g * H]; expectedParams["bias_hh"] = [g * H]; }
        AssertShapes(path, "params", expectedParams, f.Params);
        var expectedInputs = new Dictionary<string, int[]> { ["input"] = [B, I] };
        if (f.ConfigBool("initial_state"))
        {
            expectedInputs["h0"] = [B, H];
            if (lstm) expectedInputs["c0"] = [B, H];
        }
        AssertShapes(path, "inputs", expectedInputs, f.Inputs);
        var expectedOutputs = new Dictionary<string, int[]> { ["h"] = [B, H] };
        if (lstm) expectedOutputs["c"] = [B, H];
        AssertShapes(path, "outputs", expectedOutputs, f.Outputs);
        var expectedGrads = new Dictionary<string, int[]>(expectedParams);
        foreach (var (k, v) in expectedInputs) expectedGrads[k] = v;
        AssertShapes(path, "grads", expectedGrads, f.Grads);
        AssertFiniteAndFloat32Tolerance(f, 1e-5);
    }

    [Theory]
    [MemberData(nameof(TrainCases))]
    public void TrainFixtureIsConsistent(string path)
    {
        var f = Fixture.Load(path);
        Assert.Equal("train", f.Kind);
        int I = f.ConfigInt("input_size"), H = f.ConfigInt("hidden_size"), C = f.ConfigInt("classes");
        int B = f.ConfigInt("batch"), T = f.ConfigInt("steps"), steps = f.ConfigInt("train_steps");
        var expectedParams = new Dictionary<string, int[]>
        {
            ["lstm.weight_ih_l0"] = [4 * H, I], ["lstm.weight_hh_l0"] = [4 * H, H],
            ["lstm.bias_ih_l0"] = [4 * H], ["lstm.bias_hh_l0"] = [4 * H],
            ["head.weight"] = [C, H], ["head.bias"] = [C],
        };
        AssertShapes(path, "params", expectedParams, f.Params);
        AssertShapes(path, "grads_step0", expectedParams, f.GradsStep0);
        AssertShapes(path, "final_params", expectedParams, f.FinalParams);
        AssertShapes(path, "inputs", new() { ["input"] = [B, T, I] }, f.Inputs);
        Assert.NotNull(f.Targets);
        Assert.Equal(B, f.Targets!.Length);
        Assert.All(f.Targets, row => { Assert.Equal(T, row.Length); Assert.All(row, c => Assert.InRange(c, 0, C - 1)); });
        Assert.Equal(steps, f.Losses.Length);
        Assert.All(f.Losses, l => Assert.True(double.IsFinite(l) && l > 0, $"{path}: loss {l}"));
        Assert.NotNull(f.FinalLoss);
        // Training must have moved every parameter, or the fixture tests nothing about the optimizer.
        foreach (var (name, p0) in f.Params)
            Assert.True(p0.Data.Zip(f.FinalParams[name].Data).Any(z => z.First != z.Second), $"{path}: {name} unchanged by training");
        if (!f.Config.GetProperty("clip_grad_norm").ValueKind.Equals(JsonValueKind.Null))
        {
            Assert.Equal(steps, f.GradNormsBeforeClip.Length);
            double maxNorm = f.ConfigDouble("clip_grad_norm");
            Assert.True(f.GradNormsBeforeClip.All(n => n > maxNorm), $"{path}: clipping never active, the fixture would not test it");
        }
        AssertFiniteAndFloat32Tolerance(f, 1e-5);
    }

    [Fact]
    public void TorchExportDirectoryIsComplete()
    {
        var dir = Path.Combine(Fixture.Root, "torch_export");
        foreach (var name in new[] { "model.safetensors", "config.json", "x.npy", "y.npy", "hn.npy", "cn.npy" })
            Assert.True(File.Exists(Path.Combine(dir, name)), $"torch_export/{name} missing");
        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "config.json")));
        var c = config.RootElement;
        Assert.Equal("LSTM", c.GetProperty("mode").GetString());
        int I = c.GetProperty("input_size").GetInt32(), H = c.GetProperty("hidden_size").GetInt32(), L = c.GetProperty("num_layers").GetInt32();
        int D = c.GetProperty("bidirectional").GetBoolean() ? 2 : 1;

        // safetensors: u64 header length, JSON header, data; every tensor inside the data, nothing overlapping.
        var bytes = File.ReadAllBytes(Path.Combine(dir, "model.safetensors"));
        long n = BitConverter.ToInt64(bytes, 0);
        Assert.InRange(n, 2, bytes.Length - 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        long dataLength = bytes.Length - 8 - n, covered = 0;
        var names = new HashSet<string>();
        foreach (var t in header.RootElement.EnumerateObject())
        {
            if (t.Name == "__metadata__") continue;
            names.Add(t.Name);
            Assert.Equal("F32", t.Value.GetProperty("dtype").GetString());
            var offsets = t.Value.GetProperty("data_offsets").EnumerateArray().Select(v => v.GetInt64()).ToArray();
            long count = t.Value.GetProperty("shape").EnumerateArray().Aggregate(1L, (a, v) => a * v.GetInt64());
            Assert.Equal(count * 4, offsets[1] - offsets[0]);
            Assert.InRange(offsets[1], 0, dataLength);
            covered += offsets[1] - offsets[0];
        }
        Assert.Equal(dataLength, covered);
        var expected = new HashSet<string>();
        for (int layer = 0; layer < L; layer++)
            for (int dir2 = 0; dir2 < D; dir2++)
                foreach (var p in new[] { "weight_ih", "weight_hh", "bias_ih", "bias_hh" })
                    expected.Add($"{p}_l{layer}{(dir2 == 1 ? "_reverse" : "")}");
        Assert.True(expected.SetEquals(names), $"safetensors names: {string.Join(", ", names.Order())}");

        // .npy headers: float32 little-endian, C order, shapes as PyTorch produced them.
        int[] x = NpyShape(Path.Combine(dir, "x.npy"));
        Assert.Equal(3, x.Length);
        Assert.Equal(I, x[2]);
        Assert.Equal(new[] { x[0], x[1], D * H }, NpyShape(Path.Combine(dir, "y.npy")));
        Assert.Equal(new[] { L * D, x[0], H }, NpyShape(Path.Combine(dir, "hn.npy")));
        Assert.Equal(new[] { L * D, x[0], H }, NpyShape(Path.Combine(dir, "cn.npy")));
    }

    private static int[] NpyShape(string path) => TorchFiles.ReadNpy(path).Shape.ToArray();

    private static void AssertShapes(string path, string group, Dictionary<string, int[]> expected, IReadOnlyDictionary<string, FixtureTensor> actual)
    {
        var missing = expected.Keys.Except(actual.Keys).ToList();
        var extra = actual.Keys.Except(expected.Keys).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{path}: {group} missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}]");
        foreach (var (name, shape) in expected)
            Assert.True(actual[name].Shape.SequenceEqual(shape),
                $"{path}: {group}.{name} has shape {actual[name].ShapeText}, expected {Tensors.Tensor<double>.FormatShape(shape)}");
    }

    // All values finite, and PyTorch's own float32 run stays within the tolerance our float32 tests use:
    // a tolerance that PyTorch itself could not meet would make the comparison tests meaningless.
    private static void AssertFiniteAndFloat32Tolerance(Fixture f, double tolerance)
    {
        foreach (var group in new[] { f.Inputs, f.Params, f.LossWeights, f.Outputs, f.Grads, f.GradsStep0, f.FinalParams })
            foreach (var (name, t) in group)
                Assert.True(t.Data.All(double.IsFinite), $"{f.RelativePath}: {name} has a non-finite value");
        Assert.Equal(JsonValueKind.Object, f.TorchFloat32Error.ValueKind);
        foreach (var (name, err) in Flatten(f.TorchFloat32Error, ""))
            Assert.True(err <= tolerance, $"{f.RelativePath}: PyTorch float32 error {name} = {err:E2} exceeds {tolerance:E0}");
    }

    private static IEnumerable<(string Name, double Value)> Flatten(JsonElement e, string prefix)
    {
        if (e.ValueKind == JsonValueKind.Number) { yield return (prefix, e.GetDouble()); yield break; }
        foreach (var p in e.EnumerateObject())
            foreach (var x in Flatten(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}"))
                yield return x;
    }
}
