// safetensors: round trips, PyTorch-written files, dtype conversion, and every kind of corruption
// giving one clear InvalidDataException (naming file and tensor) without a large allocation.
using System.Buffers.Binary;
using System.Text;
using Recurrent.IO;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.IO;

public class SafeTensorsTests
{
    /// <summary>Builds a safetensors file from a raw header string and data bytes.</summary>
    internal static byte[] Build(string header, byte[] data, ulong? headerLengthOverride = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLengthOverride ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    private static byte[] Floats(params float[] values)
    {
        var b = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(i * 4), values[i]);
        return b;
    }

    [Fact]
    public void Round_trip_is_exact_for_float_and_double_with_metadata()
    {
        using var dir = new TempDir();
        var rng = new Rng(7);
        var tensors = new Dictionary<string, Tensor<float>>
        {
            ["a.weight"] = Tensor<float>.Normal(rng, 0f, 1f, 3, 5),
            ["b"] = Tensor<float>.Normal(rng, 0f, 1f, 7),
            ["scalar"] = Tensor<float>.Full(3.5f),
            ["empty"] = new Tensor<float>(0, 4),
            ["c"] = Tensor<float>.Normal(rng, 0f, 1f, 2, 3, 4),
        };
        tensors["b"].Data[0] = float.NaN;
        tensors["b"].Data[1] = float.NegativeInfinity;
        tensors["b"].Data[2] = -0f;
        string path = dir.File("m.safetensors");
        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ü" });
        var back = SafeTensors.Read<float>(path);
        Assert.Equal(tensors.Keys, back.Tensors.Keys);
        foreach (var (name, t) in tensors)
        {
            Assert.True(back.Tensors[name].SameShape(t.Shape), name);
            Assert.Equal(Bits(t.Data), Bits(back.Tensors[name].Data));
        }
        Assert.Equal("pt", back.Metadata["format"]);
        Assert.Equal("ü", back.Metadata["note"]);
        // Data section aligned to 8 bytes, like the reference implementation.
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path)) % 8);

        var d = new Dictionary<string, Tensor<double>> { ["x"] = Tensor<double>.Normal(rng, 0, 1, 4, 2) };
        SafeTensors.Write(dir.File("d.safetensors"), d);
        Assert.Equal("F64", SafeTensors.ReadHeader(dir.File("d.safetensors")).Entries[0].DType);
        var dback = SafeTensors.Read<double>(dir.File("d.safetensors")).Tensors["x"];
        Assert.Equal(d["x"].ToArray(), dback.ToArray());
    }

    private static int[] Bits(Span<float> v) => v.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    [Fact]
    public void Reads_the_PyTorch_written_fixture()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", "torch_export", "model.safetensors");
        var content = SafeTensors.Read<float>(path);
        // 2-layer bidirectional LSTM, I=4, H=8: 4 tensors per layer and direction.
        Assert.Equal(16, content.Tensors.Count);
        Assert.Equal([32, 4], content.Tensors["weight_ih_l0"].Shape.ToArray());
        Assert.Equal([32, 16], content.Tensors["weight_ih_l1_reverse"].Shape.ToArray());
        Assert.Equal([32], content.Tensors["bias_hh_l1"].Shape.ToArray());
        Assert.All(content.Tensors.Values, t => Assert.All(t.ToArray(), v => Assert.True(float.IsFinite(v) && Math.Abs(v) < 1)));
    }

    [Fact]
    public void Reads_F64_F16_BF16_converting_to_float()
    {
        using var dir = new TempDir();
        var data = new List<byte>();
        var f64 = new byte[16];
        BinaryPrimitives.WriteDoubleLittleEndian(f64, 1.25);
        BinaryPrimitives.WriteDoubleLittleEndian(f64.AsSpan(8), -3.0);
        data.AddRange(f64);
        var f16 = new byte[4];
        BinaryPrimitives.WriteHalfLittleEndian(f16, (Half)0.5f);
        BinaryPrimitives.WriteHalfLittleEndian(f16.AsSpan(2), (Half)(-2f));
        data.AddRange(f16);
        var bf16 = new byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(bf16, (ushort)(BitConverter.SingleToUInt32Bits(1.5f) >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(bf16.AsSpan(2), (ushort)(BitConverter.SingleToUInt32Bits(-96f) >> 16));
        data.AddRange(bf16);
        string header = """{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"h":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},"b":{"dtype":"BF16","shape":[2,1],"data_offsets":[20,24]}}""";
        string path = dir.File("mixed.safetensors");
        File.WriteAllBytes(path, Build(header, data.ToArray()));
        var t = SafeTensors.Read<float>(path).Tensors;
        Assert.Equal([1.25f, -3f], t["a"].ToArray());
        Assert.Equal([0.5f, -2f], t["h"].ToArray());
        Assert.Equal([1.5f, -96f], t["b"].ToArray());
        Assert.Equal([2, 1], t["b"].Shape.ToArray());
    }

    public static TheoryData<string, string, string[]> CorruptHeaders => new()
    {
        { "not json", "{\"a\": [1, 2", ["not valid JSON"] },
        { "array", "[1, 2]", ["JSON object"] },
        { "unknown dtype", """{"w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}""", ["'w'", "unknown dtype 'F33'"] },
        { "integer dtype", """{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", ["'w'", "I64", "not supported"] },
        { "offsets past end", """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", ["'w'", "past the end"] },
        { "size mismatch", """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", ["'w'", "8 bytes", "needs 12"] },
        { "overlap", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", ["overlaps"] },
        { "negative offset", """{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", ["'w'", "data_offsets"] },
        { "reversed offsets", """{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}""", ["'w'", "data_offsets"] },
        { "negative dim", """{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", ["'w'", "shape"] },
        { "fractional dim", """{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", ["'w'", "shape"] },
        { "huge shape", """{"w":{"dtype":"F32","shape":[100000,100000,100000],"data_offsets":[0,8]}}""", ["'w'", "more elements"] },
        { "missing dtype", """{"w":{"shape":[2],"data_offsets":[0,8]}}""", ["'w'", "dtype"] },
        { "missing offsets", """{"w":{"dtype":"F32","shape":[2]}}""", ["'w'", "data_offsets"] },
        { "entry not object", """{"w":5}""", ["'w'", "object"] },
        { "duplicate", """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", ["'w'", "twice"] },
        { "bad metadata", """{"__metadata__":{"k":1},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", ["metadata", "'k'"] },
    };

    [Theory]
    [MemberData(nameof(CorruptHeaders))]
    public void Corrupt_header_gives_a_clear_error(string what, string header, string[] fragments)
    {
        using var dir = new TempDir();
        string path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, Build(header, Floats(1, 2)));
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Read<float>(path));
        Assert.StartsWith(path, ex.Message);
        Assert.DoesNotContain("\n", ex.Message);
        foreach (var f in fragments) Assert.True(ex.Message.Contains(f, StringComparison.OrdinalIgnoreCase), $"{what}: '{ex.Message}' lacks '{f}'");
    }

    [Fact]
    public void Shorter_than_8_bytes_is_rejected()
    {
        using var dir = new TempDir();
        string path = dir.File("tiny.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Read<float>(path));
        Assert.Contains("3 bytes", ex.Message);
        File.WriteAllBytes(path, []);
        Assert.Throws<InvalidDataException>(() => SafeTensors.Read<float>(path));
    }

    [Fact]
    public void Header_length_past_the_end_is_rejected_without_allocating_it()
    {
        using var dir = new TempDir();
        string path = dir.File("trunc.safetensors");
        File.WriteAllBytes(path, Build("{}", [], headerLengthOverride: 50_000_000));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Read<float>(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000, "allocated the bogus header");
        Assert.Contains("past the end", ex.Message);
    }

    [Fact]
    public void Absurd_header_length_is_rejected_without_allocating_it()
    {
        using var dir = new TempDir();
        string path = dir.File("huge.safetensors");
        File.WriteAllBytes(path, Build("{}", [], headerLengthOverride: 1UL << 62));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Read<float>(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000, "allocated the bogus header");
        Assert.Contains("absurdly large", ex.Message);
    }

    [Fact]
    public void Truncated_data_is_rejected_naming_the_tensor()
    {
        using var dir = new TempDir();
        string path = dir.File("m.safetensors");
        SafeTensors.Write(path, new Dictionary<string, Tensor<float>> { ["a"] = new Tensor<float>(4), ["big"] = new Tensor<float>(100) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Read<float>(path));
        Assert.Contains("'big'", ex.Message);
        Assert.Contains("past the end", ex.Message);
    }

    [Fact]
    public void Missing_file_is_FileNotFound_naming_it()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => SafeTensors.Read<float>("/nonexistent-dir-xyz/m.safetensors"));
        Assert.Contains("m.safetensors", ex.Message);
    }

    [Fact]
    public void Writer_rejects_duplicate_and_reserved_names()
    {
        using var dir = new TempDir();
        var t = new Tensor<float>(2);
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(dir.File("x"), [KeyValuePair.Create("a", t), KeyValuePair.Create("a", t)]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(dir.File("x"), [KeyValuePair.Create("__metadata__", t)]));
        Assert.False(File.Exists(dir.File("x")));
        Assert.Empty(Directory.GetFiles(dir.Path)); // no temporary file left behind
    }
}
