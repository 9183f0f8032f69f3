// Reads the PyTorch reference fixtures written by tools/reference/make_fixtures.py (format
// "recurrent-fixture/1"; see tools/reference/README.md). Loading only: comparisons live in the tests.
using System.Numerics;
using System.Text.Json;
using Recurrent.Tensors;

namespace Recurrent.Tests.Reference;

/// <summary>A tensor from a fixture: shape and values (each stored as a float32, widened exactly).</summary>
public sealed record FixtureTensor(int[] Shape, double[] Data)
{
    /// <summary>A new tensor of element type <typeparamref name="T"/> holding these values.</summary>
    public Tensor<T> ToTensor<T>() where T : unmanaged, IFloatingPointIeee754<T>
        => Tensor<T>.FromDoubles(Data, Shape);

    public string ShapeText => Tensor<double>.FormatShape(Shape);
}

/// <summary>One fixture file: PyTorch's configuration, inputs, parameters and expected results.</summary>
public sealed class Fixture
{
    public const string Format = "recurrent-fixture/1";

    /// <summary>The folder the test project copies <c>tests/fixtures/**</c> to.</summary>
    public static string Root => Path.Combine(AppContext.BaseDirectory, "fixtures");

    private static readonly Dictionary<string, FixtureTensor> Empty = [];

    public required string RelativePath { get; init; }
    public required string Name { get; init; }
    /// <summary>"stack", "cell" or "train".</summary>
    public required string Kind { get; init; }
    public required JsonElement Config { get; init; }
    public int[]? Lengths { get; init; }
    public IReadOnlyDictionary<string, FixtureTensor> Inputs { get; init; } = Empty;
    public IReadOnlyDictionary<string, FixtureTensor> Params { get; init; } = Empty;
    public IReadOnlyDictionary<string, FixtureTensor> LossWeights { get; init; } = Empty;
    public IReadOnlyDictionary<string, FixtureTensor> Outputs { get; init; } = Empty;
    public IReadOnlyDictionary<string, FixtureTensor> Grads { get; init; } = Empty;
    public IReadOnlyDictionary<string, FixtureTensor> GradsStep0 { get; init; } = Empty;
    public IReadOnlyDictionary<string, FixtureTensor> FinalParams { get; init; } = Empty;
    /// <summary>Training targets [B, T] (class indices).</summary>
    public int[][]? Targets { get; init; }
    public double[] Losses { get; init; } = [];
    public double[] GradNormsBeforeClip { get; init; } = [];
    public double? FinalLoss { get; init; }
    /// <summary>The loss PyTorch computed for stack and cell fixtures (float64).</summary>
    public double? LossValue { get; init; }
    /// <summary>The raw "torch_float32_error" object: PyTorch float32 vs this reference.</summary>
    public JsonElement TorchFloat32Error { get; init; }

    public int ConfigInt(string key) => Config.GetProperty(key).GetInt32();
    public bool ConfigBool(string key) => Config.GetProperty(key).GetBoolean();
    public double ConfigDouble(string key) => Config.GetProperty(key).GetDouble();
    public string ConfigString(string key) => Config.GetProperty(key).GetString()
        ?? throw new InvalidDataException($"{RelativePath}: config.{key} is null.");

    /// <summary>Fixture paths (relative to <c>fixtures/pytorch</c>, e.g. "stack/lstm_l1_uni_h0.json") of one kind, sorted.</summary>
    public static IEnumerable<string> List(string kind)
    {
        var dir = Path.Combine(Root, "pytorch", kind);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"fixture folder missing: {dir} (tests/fixtures is copied by the test project).");
        return Directory.GetFiles(dir, "*.json").Select(p => $"{kind}/{Path.GetFileName(p)}").Order(StringComparer.Ordinal);
    }

    /// <summary>xunit MemberData rows: one fixture path per row.</summary>
    public static TheoryData<string> Cases(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var p in List(kind)) data.Add(p);
        return data;
    }

    /// <summary>Loads <paramref name="relativePath"/> (under <c>fixtures/pytorch</c>).</summary>
    /// <exception cref="InvalidDataException">The file is not a valid fixture; the message names the file and key.</exception>
    public static Fixture Load(string relativePath)
    {
        var path = Path.Combine(Root, "pytorch", relativePath);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        string format = root.GetProperty("format").GetString() ?? "";
        if (format != Format) throw new InvalidDataException($"{relativePath}: format '{format}', expected '{Format}'.");

        Dictionary<string, FixtureTensor> Group(string key)
        {
            if (!root.TryGetProperty(key, out var g) || g.ValueKind == JsonValueKind.Null) return [];
            var result = new Dictionary<string, FixtureTensor>(StringComparer.Ordinal);
            foreach (var p in g.EnumerateObject()) result[p.Name] = ReadTensor(p.Value, $"{relativePath}: {key}.{p.Name}");
            return result;
        }

        double[] Doubles(string key) => root.TryGetProperty(key, out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().Select(v => v.GetDouble()).ToArray() : [];

        return new Fixture
        {
            RelativePath = relativePath,
            Name = root.GetProperty("name").GetString() ?? "",
            Kind = root.GetProperty("kind").GetString() ?? "",
            Config = root.GetProperty("config").Clone(),
            Lengths = root.TryGetProperty("lengths", out var l) && l.ValueKind == JsonValueKind.Array
                ? l.EnumerateArray().Select(v => v.GetInt32()).ToArray() : null,
            Inputs = Group("inputs"),
            Params = Group("params"),
            LossWeights = Group("loss_weights"),
            Outputs = Group("outputs"),
            Grads = Group("grads"),
            GradsStep0 = Group("grads_step0"),
            FinalParams = Group("final_params"),
            Targets = root.TryGetProperty("targets", out var t) && t.ValueKind == JsonValueKind.Array
                ? t.EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray() : null,
            Losses = Doubles("losses"),
            GradNormsBeforeClip = Doubles("grad_norms_before_clip"),
            FinalLoss = root.TryGetProperty("final_loss", out var fl) ? fl.GetDouble() : null,
            LossValue = root.TryGetProperty("loss_value", out var lv) ? lv.GetDouble() : null,
            TorchFloat32Error = root.TryGetProperty("torch_float32_error", out var e) ? e.Clone() : default,
        };
    }

    private static FixtureTensor ReadTensor(JsonElement e, string what)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var values = e.GetProperty("data");
        long size = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new InvalidDataException($"{what}: negative dimension in shape {Tensor<double>.FormatShape(shape)}.");
            size *= d;
        }
        int n = values.GetArrayLength();
        if (n != size) throw new InvalidDataException($"{what}: shape {Tensor<double>.FormatShape(shape)} holds {size} values but the data has {n}.");
        var data = new double[n];
        int i = 0;
        // Every number was written as the shortest text of a float32: read it as float32, widen exactly.
        foreach (var v in values.EnumerateArray()) data[i++] = v.GetSingle();
        return new FixtureTensor(shape, data);
    }
}
