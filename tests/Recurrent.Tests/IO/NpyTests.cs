// .npy: byte-identical to numpy's own files, round trips, and clear errors for everything else.
using System.Buffers.Binary;
using System.Text;
using Recurrent.IO;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.IO;

public class NpyTests
{
    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "torch_export", name);

    /// <summary>A .npy file with a hand-written header dict (version 1.0 or 2.0) followed by <paramref name="data"/>.</summary>
    internal static byte[] Build(string dict, byte[] data, int version = 1)
    {
        int preamble = version == 1 ? 10 : 12;
        int total = (preamble + dict.Length + 1 + 63) / 64 * 64;
        var header = Encoding.ASCII.GetBytes(dict.PadRight(total - preamble - 1) + "\n");
        var ms = new MemoryStream();
        ms.Write(Magic);
        ms.WriteByte((byte)version);
        ms.WriteByte(0);
        var len = new byte[4];
        if (version == 1) { BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length); ms.Write(len, 0, 2); }
        else { BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)header.Length); ms.Write(len); }
        ms.Write(header);
        ms.Write(data);
        return ms.ToArray();
    }

    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private static byte[] Floats(int n) => Enumerable.Range(0, n).SelectMany(i => BitConverter.GetBytes((float)i)).ToArray();

    [Fact]
    public void Reads_numpy_files_and_writes_them_back_byte_for_byte()
    {
        using var dir = new TempDir();
        foreach (var name in new[] { "x.npy", "y.npy", "hn.npy", "cn.npy" })
        {
            var t = Npy.Read(FixturePath(name));
            Npy.Write(dir.File(name), t);
            Assert.Equal(File.ReadAllBytes(FixturePath(name)), File.ReadAllBytes(dir.File(name)));
        }
        Assert.Equal([2, 7, 4], Npy.Read(FixturePath("x.npy")).Shape.ToArray());
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 5 })]
    [InlineData(new[] { 0, 3 })]
    [InlineData(new[] { 2, 3, 4, 1 })]
    public void Round_trip_is_exact(int[] shape)
    {
        using var dir = new TempDir();
        var t = Tensor<float>.Normal(new Rng(3), 0f, 1f, shape);
        Npy.Write(dir.File("a.npy"), t);
        var back = Npy.Read(dir.File("a.npy"));
        Assert.Equal(shape, back.Shape.ToArray());
        Assert.Equal(t.ToArray(), back.ToArray());
        Assert.Equal(0, (File.ReadAllBytes(dir.File("a.npy")).Length - t.Length * 4) % 64);
    }

    [Fact]
    public void Reads_version_2_headers()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("v2.npy"), Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", Floats(6), version: 2));
        var t = Npy.Read(dir.File("v2.npy"));
        Assert.Equal([2, 3], t.Shape.ToArray());
        Assert.Equal([0f, 1, 2, 3, 4, 5], t.ToArray());
    }

    [Fact]
    public void Accepts_key_order_and_python2_longs()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a.npy"), Build("{\"shape\": (3L,), \"fortran_order\": False, \"descr\": \"<f4\"}", Floats(3)));
        Assert.Equal([3], Npy.Read(dir.File("a.npy")).Shape.ToArray());
    }

    public static TheoryData<string, byte[], string[]> BadFiles => new()
    {
        { "float64", Build("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", new byte[16]), ["float64", "astype(np.float32)"] },
        { "int64", Build("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", new byte[16]), ["int64"] },
        { "big endian", Build("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", new byte[8]), ["big-endian"] },
        { "fortran", Build("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16]), ["Fortran order", "ascontiguousarray"] },
        { "truncated", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new byte[20]), ["truncated", "(2, 3)", "24 bytes", "holds 20"] },
        { "trailing", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[8]), ["4 unexpected bytes"] },
        { "huge", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", new byte[8]), ["more elements"] },
        { "malformed", Build("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", new byte[4]), ["malformed"] },
        { "no shape", Build("{'descr': '<f4', 'fortran_order': False, }", new byte[4]), ["shape"] },
        { "structured", Build("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new byte[4]), ["malformed"] },
        { "no magic", Encoding.ASCII.GetBytes("a,b,c\n1,2,3\n"), ["not a .npy file"] },
        { "too short", [0x93, (byte)'N'], ["too short"] },
        { "version 9", [.. Magic, 9, 0, 0, 0, 0, 0], ["version 9.0"] },
        { "header past end", [.. Magic, 1, 0, 0xFF, 0x7F, (byte)'{'], ["past the end"] },
        { "huge v2 header", [.. Magic, 2, 0, 0xFF, 0xFF, 0xFF, 0x7F, (byte)'{'], ["absurdly large"] },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Bad_files_give_one_clear_line(string what, byte[] bytes, string[] fragments)
    {
        using var dir = new TempDir();
        string path = dir.File("bad.npy");
        File.WriteAllBytes(path, bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000, $"{what}: allocated too much");
        Assert.StartsWith(path, ex.Message);
        Assert.DoesNotContain("\n", ex.Message);
        foreach (var f in fragments) Assert.True(ex.Message.Contains(f, StringComparison.OrdinalIgnoreCase), $"{what}: '{ex.Message}' lacks '{f}'");
    }

    [Fact]
    public void ExpectRank_names_layout_and_shape()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Npy.ExpectRank(new Tensor<float>(2, 3), 3, "x.npy", "[B, T, input_size]"));
        Assert.Equal("x.npy: expected a 3-D array [B, T, input_size], got shape (2, 3) (2-D).", ex.Message);
        var t = new Tensor<float>(1, 2, 3);
        Assert.Same(t, Npy.ExpectRank(t, 3, "x.npy", "[B, T, I]"));
    }

    [Fact]
    public void Missing_file_is_FileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => Npy.Read("/nonexistent-dir-xyz/a.npy"));
    }
}
