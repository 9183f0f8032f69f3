// The safetensors format (Hugging Face): 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then raw
// little-endian tensor data. Every size is validated against the file length BEFORE anything is
// allocated, so a corrupt or hostile file gives one clear error instead of a huge allocation.
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Recurrent.Tensors;

namespace Recurrent.IO;

/// <summary>One tensor entry of a safetensors header (validated).</summary>
/// <param name="Name">The tensor name (PyTorch state_dict name).</param>
/// <param name="DType">The safetensors dtype: F32, F64, F16 or BF16.</param>
/// <param name="Shape">The dimensions.</param>
/// <param name="Begin">Start of the data, in bytes from the start of the data section.</param>
/// <param name="End">End (exclusive) of the data.</param>
public sealed record SafeTensorsEntry(string Name, string DType, int[] Shape, long Begin, long End)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);
}

/// <summary>The tensors and the free-form string metadata of a safetensors file.</summary>
public sealed record SafeTensorsContent<T>(Dictionary<string, Tensor<T>> Tensors, Dictionary<string, string> Metadata)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>Reads and writes safetensors files. Reading accepts F32, F64, F16 and BF16 and converts to
/// the requested element type; writing stores float as F32 and double as F64.</summary>
public static class SafeTensors
{
    /// <summary>Headers larger than this are rejected as corrupt (real headers are kilobytes).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>Bytes per element of every dtype the format defines; only the floating ones are readable.</summary>
    private static readonly Dictionary<string, int> KnownDTypes = new()
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2,
        ["I64"] = 8, ["U64"] = 8, ["I32"] = 4, ["U32"] = 4, ["I16"] = 2, ["U16"] = 2,
        ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1,
    };

    private static bool IsReadable(string dtype) => dtype is "F32" or "F64" or "F16" or "BF16";

    /// <summary>Reads every tensor as <typeparamref name="T"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is corrupt or holds an unsupported dtype; the message names the file and tensor.</exception>
    public static SafeTensorsContent<T> Read<T>(string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var stream = OpenRead(path);
        var (entries, metadata, dataStart) = ReadHeader(stream, path);
        var tensors = new Dictionary<string, Tensor<T>>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            var tensor = new Tensor<T>(e.Shape) { Name = e.Name };
            stream.Seek(dataStart + e.Begin, SeekOrigin.Begin);
            ReadElements(stream, e.DType, tensor.Data, path, e.Name);
            tensors.Add(e.Name, tensor);
        }
        return new SafeTensorsContent<T>(tensors, metadata);
    }

    /// <summary>Reads only the header: the validated tensor entries (in file order) and the metadata.</summary>
    public static (IReadOnlyList<SafeTensorsEntry> Entries, Dictionary<string, string> Metadata) ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        var (entries, metadata, _) = ReadHeader(stream, path);
        return (entries, metadata);
    }

    /// <summary>Writes <paramref name="tensors"/> (in the given order) atomically.</summary>
    /// <exception cref="ArgumentException">A name is empty, reserved or repeated.</exception>
    public static void Write<T>(string path, IEnumerable<KeyValuePair<string, Tensor<T>>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var list = tensors.ToList();
        string dtype = typeof(T) == typeof(float) ? "F32"
            : typeof(T) == typeof(double) ? "F64"
            : throw new NotSupportedException($"SafeTensors.Write: element type {typeof(T).Name} is not supported (float or double).");
        int size = KnownDTypes[dtype];

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in list)
        {
            if (string.IsNullOrEmpty(name) || name == MetadataKey)
                throw new ArgumentException($"SafeTensors.Write: invalid tensor name '{name}'.");
            if (!names.Add(name)) throw new ArgumentException($"SafeTensors.Write: tensor '{name}' given twice.");
        }

        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in list)
            {
                long bytes = (long)t.Length * size;
                w.WriteStartObject(name);
                w.WriteString("dtype", dtype);
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 so the data section is aligned (as the reference writer does).
        int pad = (int)((8 - json.Length % 8) % 8);
        for (int i = 0; i < pad; i++) json.WriteByte((byte)' ');

        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)json.Length);
            s.Write(len);
            json.Position = 0;
            json.CopyTo(s);
            foreach (var (_, t) in list) WriteElements(s, t.Data);
        });
    }

    private static FileStream OpenRead(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: file not found.", path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    private static (List<SafeTensorsEntry> Entries, Dictionary<string, string> Metadata, long DataStart) ReadHeader(FileStream stream, string path)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw new InvalidDataException($"{path}: not a safetensors file ({fileLength} bytes; the 8-byte header length is missing).");
        Span<byte> lenBytes = stackalloc byte[8];
        stream.ReadExactly(lenBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"{path}: safetensors header length {headerLength} bytes is absurdly large (limit {MaxHeaderBytes}); the file is corrupt or not safetensors.");
        if ((long)headerLength > fileLength - 8)
            throw new InvalidDataException($"{path}: safetensors header length {headerLength} bytes runs past the end of the file ({fileLength} bytes); the file is truncated or corrupt.");
        if (headerLength < 2)
            throw new InvalidDataException($"{path}: safetensors header of {headerLength} bytes is too short to hold a JSON object.");

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: safetensors header is not valid JSON ({FirstSentence(ex.Message)}).");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: safetensors header must be a JSON object, found {doc.RootElement.ValueKind}.");
            var entries = new List<SafeTensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name))
                    throw new InvalidDataException($"{path}: tensor '{prop.Name}' appears twice in the safetensors header.");
                if (prop.Name == MetadataKey)
                {
                    ReadMetadata(prop.Value, metadata, path);
                    continue;
                }
                entries.Add(ParseEntry(prop.Name, prop.Value, dataLength, path));
            }
            CheckNoOverlap(entries, path);
            return (entries, metadata, dataStart);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string path)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: safetensors '{MetadataKey}' must be an object of strings.");
        foreach (var m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{path}: safetensors metadata '{m.Name}' must be a string, found {m.Value.ValueKind}.");
            metadata[m.Name] = m.Value.GetString()!;
        }
    }

    private static SafeTensorsEntry ParseEntry(string name, JsonElement e, long dataLength, string path)
    {
        string where = $"{path}: tensor '{name}'";
        if (e.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{where}: header entry must be an object with dtype, shape and data_offsets.");

        if (!e.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{where}: missing or non-string 'dtype'.");
        string dtype = dtypeEl.GetString()!;
        if (!KnownDTypes.TryGetValue(dtype, out int elementSize))
            throw new InvalidDataException($"{where}: unknown dtype '{dtype}' (expected one of F32, F64, F16, BF16).");
        if (!IsReadable(dtype))
            throw new InvalidDataException($"{where}: dtype {dtype} is not supported (only floating-point F32, F64, F16, BF16).");

        if (!e.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{where}: missing or non-array 'shape'.");
        var shape = new int[shapeEl.GetArrayLength()];
        if (shape.Length > 16) throw new InvalidDataException($"{where}: rank {shape.Length} is implausible (more than 16 dimensions).");
        long count = 1;
        int k = 0;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0 || dim > int.MaxValue)
                throw new InvalidDataException($"{where}: shape entry {d} is not a non-negative integer.");
            shape[k++] = (int)dim;
            count = dim == 0 ? 0 : count > Array.MaxLength / dim ? long.MaxValue : count * dim;
        }
        if (count > Array.MaxLength)
            throw new InvalidDataException($"{where}: shape {Tensor<float>.FormatShape(shape)} holds more elements than one array can hold.");

        if (!e.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new InvalidDataException($"{where}: 'data_offsets' must be an array [begin, end].");
        if (!offEl[0].TryGetInt64(out long begin) || !offEl[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new InvalidDataException($"{where}: data_offsets [{offEl[0]}, {offEl[1]}] are not valid byte offsets (0 ≤ begin ≤ end).");
        if (end > dataLength)
            throw new InvalidDataException($"{where}: data_offsets [{begin}, {end}] run past the end of the data section ({dataLength} bytes); the file is truncated or corrupt.");
        long expected = count * elementSize;
        if (end - begin != expected)
            throw new InvalidDataException($"{where}: data_offsets [{begin}, {end}] span {end - begin} bytes but shape {Tensor<float>.FormatShape(shape)} of {dtype} needs {expected}.");

        foreach (var p in e.EnumerateObject())
            if (p.Name is not ("dtype" or "shape" or "data_offsets"))
                throw new InvalidDataException($"{where}: unexpected field '{p.Name}' in the header entry.");
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static void CheckNoOverlap(List<SafeTensorsEntry> entries, string path)
    {
        var byStart = entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ToList();
        for (int i = 1; i < byStart.Count; i++)
            if (byStart[i].Begin < byStart[i - 1].End)
                throw new InvalidDataException(
                    $"{path}: tensor '{byStart[i].Name}' data [{byStart[i].Begin}, {byStart[i].End}] overlaps tensor '{byStart[i - 1].Name}' [{byStart[i - 1].Begin}, {byStart[i - 1].End}].");
    }

    /// <summary>Reads <c>destination.Length</c> elements of <paramref name="dtype"/>, converting to T, in bounded chunks.</summary>
    private static void ReadElements<T>(Stream s, string dtype, Span<T> destination, string path, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = KnownDTypes[dtype];
        const int chunkElements = 1 << 16;
        var buffer = new byte[Math.Min(destination.Length, chunkElements) * size];
        int done = 0;
        while (done < destination.Length)
        {
            int n = Math.Min(chunkElements, destination.Length - done);
            var bytes = buffer.AsSpan(0, n * size);
            try { s.ReadExactly(bytes); }
            catch (EndOfStreamException) { throw new InvalidDataException($"{path}: tensor '{name}': data ends early; the file is truncated."); }
            var dst = destination.Slice(done, n);
            if (typeof(T) == typeof(float) && dtype == "F32" && BitConverter.IsLittleEndian)
                bytes.CopyTo(MemoryMarshal.AsBytes(dst));
            else if (typeof(T) == typeof(double) && dtype == "F64" && BitConverter.IsLittleEndian)
                bytes.CopyTo(MemoryMarshal.AsBytes(dst));
            else
                for (int i = 0; i < n; i++)
                {
                    var b = bytes.Slice(i * size, size);
                    dst[i] = dtype switch
                    {
                        "F32" => T.CreateTruncating(BinaryPrimitives.ReadSingleLittleEndian(b)),
                        "F64" => T.CreateTruncating(BinaryPrimitives.ReadDoubleLittleEndian(b)),
                        "F16" => T.CreateTruncating((float)BinaryPrimitives.ReadHalfLittleEndian(b)),
                        // bfloat16 is the upper half of a float32.
                        _ => T.CreateTruncating(BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b) << 16)),
                    };
                }
            done += n;
        }
    }

    private static void WriteElements<T>(Stream s, ReadOnlySpan<T> source) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (BitConverter.IsLittleEndian)
        {
            const int chunk = 1 << 16; // AsBytes of a whole multi-GB span could overflow int
            for (int i = 0; i < source.Length; i += chunk)
                s.Write(MemoryMarshal.AsBytes(source.Slice(i, Math.Min(chunk, source.Length - i))));
            return;
        }
        Span<byte> b = stackalloc byte[8];
        foreach (var v in source)
        {
            if (typeof(T) == typeof(float)) { BinaryPrimitives.WriteSingleLittleEndian(b, float.CreateTruncating(v)); s.Write(b[..4]); }
            else { BinaryPrimitives.WriteDoubleLittleEndian(b, double.CreateTruncating(v)); s.Write(b[..8]); }
        }
    }

    private static string FirstSentence(string message)
    {
        int i = message.IndexOf(". ", StringComparison.Ordinal);
        return (i > 0 ? message[..i] : message.TrimEnd('.')).Replace('\n', ' ');
    }
}
