// Minimal readers for the PyTorch export files (safetensors F32, .npy '<f4' C order), independent of
// the library's IO code so the tests can cross-check it.
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Recurrent.Tensors;

namespace Recurrent.Tests.Reference;

public static class TorchFiles
{
    /// <summary>safetensors: u64 LE header length, JSON header {name: {dtype, shape, data_offsets}}, raw data.</summary>
    public static Dictionary<string, Tensor<float>> ReadSafeTensors(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long n = BitConverter.ToInt64(bytes, 0);
        Assert.InRange(n, 2, bytes.Length - 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        int dataStart = 8 + (int)n;
        var result = new Dictionary<string, Tensor<float>>();
        foreach (var t in header.RootElement.EnumerateObject())
        {
            if (t.Name == "__metadata__") continue;
            Assert.Equal("F32", t.Value.GetProperty("dtype").GetString());
            int[] shape = t.Value.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var offsets = t.Value.GetProperty("data_offsets").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var data = new float[(offsets[1] - offsets[0]) / 4];
            Buffer.BlockCopy(bytes, dataStart + offsets[0], data, 0, offsets[1] - offsets[0]);   // little-endian machine
            result[t.Name] = new Tensor<float>(data, shape);
        }
        return result;
    }

    /// <summary>.npy version 1: magic, u16 header length, Python-dict header ('<f4', C order), raw data.</summary>
    public static Tensor<float> ReadNpy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 10 && bytes[0] == 0x93 && Encoding.ASCII.GetString(bytes, 1, 5) == "NUMPY", $"{path}: not a .npy file");
        int headerLength = BitConverter.ToUInt16(bytes, 8);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains("'fortran_order': False", header);
        var m = Regex.Match(header, @"'shape': \(([^)]*)\)");
        Assert.True(m.Success, $"{path}: no shape in header {header}");
        int[] shape = m.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        var data = new float[shape.Aggregate(1, (a, d) => a * d)];
        Assert.Equal(10 + headerLength + data.Length * 4, bytes.Length);
        Buffer.BlockCopy(bytes, 10 + headerLength, data, 0, data.Length * 4);
        return new Tensor<float>(data, shape);
    }
}
