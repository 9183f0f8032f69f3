// Reads a text corpus strictly: UTF-8 (BOM dropped), no newline translation, and clear errors for
// files that are missing, empty, binary or not valid UTF-8.
using System.Text;

namespace Recurrent.Data;

/// <summary>Strict reading of UTF-8 text files for corpora.</summary>
public static class TextFile
{
    /// <summary>Reads the whole file as UTF-8 (a leading BOM is dropped; newlines are kept as they are).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, contains NUL bytes (binary), or is not valid UTF-8 (the byte offset is named).</exception>
    public static string ReadUtf8(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        byte[] bytes = File.ReadAllBytes(path);
        return DecodeUtf8(bytes, path);
    }

    /// <summary>Decodes bytes as strict UTF-8; <paramref name="source"/> names the data in errors.</summary>
    public static string DecodeUtf8(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) bytes = bytes[3..];
        if (bytes.Length == 0) throw new InvalidDataException($"{source}: the file is empty.");
        int nul = bytes.IndexOf((byte)0);
        if (nul >= 0) throw new InvalidDataException($"{source}: looks binary (NUL byte at offset {nul}); expected UTF-8 text.");
        var status = System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out int read, out _, replaceInvalidSequences: false);
        if (status != System.Buffers.OperationStatus.Done)
            throw new InvalidDataException($"{source}: invalid UTF-8 at byte offset {read}.");
        return Encoding.UTF8.GetString(bytes);
    }
}
