// NumPy .npy arrays (format versions 1.0, 2.0 and 3.0): float32, little-endian, C order — the arrays
// the command line reads and writes. Sizes are checked against the file length before allocating.
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Recurrent.Tensors;

namespace Recurrent.IO;

/// <summary>Reads and writes NumPy <c>.npy</c> files holding float32 little-endian C-order arrays.
/// Other dtypes, Fortran order and truncated files are rejected with a message naming the file and the
/// fix (e.g. <c>x.astype(np.float32)</c>).</summary>
public static class Npy
{
    // 0x93 then "NUMPY" (a u8 string literal would UTF-8-encode 0x93 as two bytes).
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private const int MaxHeaderBytes = 1 << 20;

    /// <summary>Reads a float32 array.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a .npy file, wrong dtype, Fortran order, or truncated; the message names the file.</exception>
    public static Tensor<float> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long fileLength = s.Length;
        var (shape, dataStart) = ReadHeader(s, fileLength, path);

        long count = 1;
        foreach (int d in shape) count = d == 0 ? 0 : count > Array.MaxLength / d ? long.MaxValue : count * d;
        if (count > Array.MaxLength)
            throw new InvalidDataException($"{path}: shape {FormatShape(shape)} holds more elements than one array can hold.");
        long needed = count * sizeof(float);
        long available = fileLength - dataStart;
        if (available < needed)
            throw new InvalidDataException($"{path}: truncated: shape {FormatShape(shape)} needs {needed} bytes of float32 data but the file holds {available}.");
        if (available > needed)
            throw new InvalidDataException($"{path}: {available - needed} unexpected bytes after the {FormatShape(shape)} float32 data; the file is corrupt.");

        var tensor = new Tensor<float>(shape);
        var bytes = MemoryMarshal.AsBytes(tensor.Data);
        s.Seek(dataStart, SeekOrigin.Begin);
        s.ReadExactly(bytes);
        if (!BitConverter.IsLittleEndian)
        {
            var data = tensor.Data;
            for (int i = 0; i < data.Length; i++)
                data[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(data[i])));
        }
        return tensor;
    }

    /// <summary>Reads a float32 array that must have <paramref name="rank"/> dimensions;
    /// <paramref name="layout"/> (e.g. <c>"[B, T, input_size]"</c>) is shown in the error.</summary>
    public static Tensor<float> Read(string path, int rank, string layout) => ExpectRank(Read(path), rank, path, layout);

    /// <summary>Returns <paramref name="tensor"/> if it has <paramref name="rank"/> dimensions, else throws
    /// an <see cref="InvalidDataException"/> naming <paramref name="path"/>, the expected layout and the actual shape.</summary>
    public static Tensor<float> ExpectRank(Tensor<float> tensor, int rank, string path, string layout)
    {
        if (tensor.Rank != rank)
            throw new InvalidDataException($"{path}: expected a {rank}-D array {layout}, got shape {FormatShape(tensor.Shape)} ({tensor.Rank}-D).");
        return tensor;
    }

    /// <summary>Writes a float32 array (format 1.0, or 2.0 when the header needs it), atomically.</summary>
    public static void Write(string path, Tensor<float> tensor)
    {
        var shape = tensor.Shape.ToArray();
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {FormatShape(shape)}, }}";
        // Pad with spaces and end with '\n' so the data starts on a 64-byte boundary (as numpy does).
        int version = dict.Length + 1 + 10 > ushort.MaxValue ? 2 : 1;
        int preamble = version == 1 ? 10 : 12;
        int total = (preamble + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - preamble - 1) + "\n";
        var headerBytes = Encoding.ASCII.GetBytes(header);

        AtomicFile.Write(path, s =>
        {
            s.Write(Magic);
            s.WriteByte((byte)version);
            s.WriteByte(0);
            Span<byte> len = stackalloc byte[4];
            if (version == 1) { BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)headerBytes.Length); s.Write(len[..2]); }
            else { BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)headerBytes.Length); s.Write(len); }
            s.Write(headerBytes);
            var data = tensor.Data;
            Span<byte> b = stackalloc byte[4];
            const int chunk = 1 << 16;
            for (int i = 0; i < data.Length; i += chunk)
            {
                var part = data.Slice(i, Math.Min(chunk, data.Length - i));
                if (BitConverter.IsLittleEndian) s.Write(MemoryMarshal.AsBytes(part));
                else
                {
                    foreach (var v in part) { BinaryPrimitives.WriteSingleLittleEndian(b, v); s.Write(b); }
                }
            }
        });
    }

    /// <summary>Python tuple syntax, as numpy prints shapes: <c>()</c>, <c>(5,)</c>, <c>(2, 3)</c>.</summary>
    public static string FormatShape(ReadOnlySpan<int> shape) => shape.Length switch
    {
        0 => "()",
        1 => $"({shape[0]},)",
        _ => "(" + string.Join(", ", shape.ToArray()) + ")",
    };

    private static (int[] Shape, long DataStart) ReadHeader(Stream s, long fileLength, string path)
    {
        if (fileLength < 10)
            throw new InvalidDataException($"{path}: not a .npy file ({fileLength} bytes; too short for the header).");
        Span<byte> pre = stackalloc byte[10];
        s.ReadExactly(pre);
        if (!pre[..6].SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a .npy file (missing the \\x93NUMPY magic; save it with numpy.save).");
        int major = pre[6];
        long headerLength;
        long preamble;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(pre[8..10]);
            preamble = 10;
        }
        else if (major is 2 or 3)
        {
            if (fileLength < 12) throw new InvalidDataException($"{path}: truncated .npy header.");
            Span<byte> len = stackalloc byte[4];
            pre[8..10].CopyTo(len);
            s.ReadExactly(len[2..]);
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(len);
            preamble = 12;
        }
        else throw new InvalidDataException($"{path}: unsupported .npy format version {major}.{pre[7]} (expected 1.0, 2.0 or 3.0).");
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"{path}: .npy header length {headerLength} bytes is absurdly large; the file is corrupt.");
        if (preamble + headerLength > fileLength)
            throw new InvalidDataException($"{path}: .npy header length {headerLength} runs past the end of the file ({fileLength} bytes); the file is truncated.");

        var headerBytes = new byte[headerLength];
        s.ReadExactly(headerBytes);
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        var dict = ParseDict(header, path);

        if (!dict.TryGetValue("descr", out var descrObj) || descrObj is not string descr)
            throw new InvalidDataException($"{path}: .npy header has no 'descr' string (a structured or corrupt array).");
        if (descr != "<f4")
            throw new InvalidDataException($"{path}: dtype {DescribeDType(descr)}, expected float32 little-endian ('<f4'); convert with x.astype(np.float32).");
        if (!dict.TryGetValue("fortran_order", out var fo) || fo is not bool fortran)
            throw new InvalidDataException($"{path}: .npy header has no 'fortran_order' flag.");
        if (fortran)
            throw new InvalidDataException($"{path}: array is stored in Fortran order; save np.ascontiguousarray(x) instead.");
        if (!dict.TryGetValue("shape", out var shapeObj) || shapeObj is not List<long> shapeList)
            throw new InvalidDataException($"{path}: .npy header has no 'shape' tuple.");
        if (shapeList.Count > 32)
            throw new InvalidDataException($"{path}: rank {shapeList.Count} is implausible.");
        var shape = new int[shapeList.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (shapeList[i] < 0 || shapeList[i] > int.MaxValue)
                throw new InvalidDataException($"{path}: shape entry {shapeList[i]} is out of range.");
            shape[i] = (int)shapeList[i];
        }
        return (shape, preamble + headerLength);
    }

    private static string DescribeDType(string descr)
    {
        if (descr.Length < 2) return $"'{descr}'";
        char order = descr[0];
        string name = descr[1..] switch
        {
            "f2" => "float16", "f4" => "float32", "f8" => "float64", "f16" => "float128",
            "i1" => "int8", "i2" => "int16", "i4" => "int32", "i8" => "int64",
            "u1" => "uint8", "u2" => "uint16", "u4" => "uint32", "u8" => "uint64",
            "b1" => "bool", "O" => "object", _ => "",
        };
        string endian = order == '>' ? " big-endian" : "";
        return name.Length > 0 ? $"{name}{endian} ('{descr}')" : $"'{descr}'";
    }

    /// <summary>Parses numpy's header, a Python dict literal with string keys and values that are strings,
    /// True/False, or tuples of integers: <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>.</summary>
    private static Dictionary<string, object> ParseDict(string text, string path)
    {
        int i = 0;
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        InvalidDataException Bad(string what) => new($"{path}: malformed .npy header ({what} at character {i}): {text.Trim()}");

        void SkipWs() { while (i < text.Length && char.IsWhiteSpace(text[i])) i++; }
        void Expect(char c) { SkipWs(); if (i >= text.Length || text[i] != c) throw Bad($"expected '{c}'"); i++; }
        string ReadString()
        {
            SkipWs();
            if (i >= text.Length || text[i] is not ('\'' or '"')) throw Bad("expected a quoted string");
            char q = text[i++];
            int start = i;
            while (i < text.Length && text[i] != q) i++;
            if (i >= text.Length) throw Bad("unterminated string");
            return text[start..i++];
        }
        long ReadInt()
        {
            SkipWs();
            int start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
            if (start == i || !long.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                throw Bad("expected an integer");
            if (i < text.Length && text[i] == 'L') i++; // Python 2 long suffix
            return v;
        }

        Expect('{');
        while (true)
        {
            SkipWs();
            if (i < text.Length && text[i] == '}') { i++; break; }
            string key = ReadString();
            Expect(':');
            SkipWs();
            if (i >= text.Length) throw Bad("expected a value");
            object value;
            if (text[i] is '\'' or '"') value = ReadString();
            else if (string.CompareOrdinal(text, i, "True", 0, 4) == 0) { value = true; i += 4; }
            else if (string.CompareOrdinal(text, i, "False", 0, 5) == 0) { value = false; i += 5; }
            else if (text[i] == '(')
            {
                i++;
                var list = new List<long>();
                while (true)
                {
                    SkipWs();
                    if (i < text.Length && text[i] == ')') { i++; break; }
                    if (list.Count > 64) throw Bad("tuple too long");
                    list.Add(ReadInt());
                    SkipWs();
                    if (i < text.Length && text[i] == ',') i++;
                    else if (i < text.Length && text[i] == ')') { i++; break; }
                    else throw Bad("expected ',' or ')'");
                }
                value = list;
            }
            else throw Bad("unsupported value");
            if (!result.TryAdd(key, value)) throw Bad($"key '{key}' given twice");
            SkipWs();
            if (i < text.Length && text[i] == ',') i++;
        }
        SkipWs();
        if (i != text.Length) throw Bad("unexpected text after the dict");
        return result;
    }
}
