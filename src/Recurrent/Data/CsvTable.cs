// A CSV file held as strings (RFC 4180: quoted fields, doubled quotes, embedded commas and newlines)
// with a header row and typed column access. Every error names the file, the line and the column,
// because the user has to find the bad cell in their own data.
using System.Globalization;
using System.Text;

namespace Recurrent.Data;

/// <summary>
/// A parsed CSV table: a header and rows of string cells. <see cref="Numeric"/> turns a column into
/// finite doubles and rejects empty, non-numeric, NaN and infinite cells with the file, line and column.
/// </summary>
public sealed class CsvTable
{
    private readonly string[] _header;
    private readonly List<string[]> _rows;
    private readonly List<int> _lines;   // 1-based physical line on which each record starts

    private CsvTable(string source, string[] header, List<string[]> rows, List<int> lines)
    {
        Source = source;
        _header = header;
        _rows = rows;
        _lines = lines;
    }

    /// <summary>The file name (or other source) used in error messages.</summary>
    public string Source { get; }

    /// <summary>Column names in file order.</summary>
    public IReadOnlyList<string> Header => _header;

    /// <summary>Number of data rows (the header is not counted).</summary>
    public int RowCount => _rows.Count;

    /// <summary>The cell at data row <paramref name="row"/> (0-based) and column <paramref name="column"/>.</summary>
    public string Cell(int row, int column) => _rows[row][column];

    /// <summary>The 1-based line of the file on which data row <paramref name="row"/> starts.</summary>
    public int LineOf(int row) => _lines[row];

    /// <summary>Reads and parses a UTF-8 CSV file with a header row.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, not UTF-8, or not well-formed CSV; the message names the line.</exception>
    public static CsvTable Load(string path) => Parse(TextFile.ReadUtf8(path), Path.GetFileName(path));

    /// <summary>Parses CSV text; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">No header, duplicate or empty column names, a row with the wrong
    /// number of fields, or malformed quoting.</exception>
    public static CsvTable Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var records = ReadRecords(text, source);
        if (records.Count == 0) throw new InvalidDataException($"{source}: the file has no header row.");
        var (header, headerLine) = records[0];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < header.Length; c++)
        {
            header[c] = header[c].Trim();
            if (header[c].Length == 0)
                throw new InvalidDataException($"{source}: line {headerLine}: column {c + 1} of the header has no name.");
            if (!seen.TryAdd(header[c], c))
                throw new InvalidDataException($"{source}: line {headerLine}: column name '{header[c]}' appears twice (columns {seen[header[c]] + 1} and {c + 1}).");
        }
        var rows = new List<string[]>(records.Count - 1);
        var lines = new List<int>(records.Count - 1);
        for (int r = 1; r < records.Count; r++)
        {
            var (fields, line) = records[r];
            // A blank line in a multi-column file is not a row; in a one-column file it is an empty cell.
            if (header.Length > 1 && fields.Length == 1 && fields[0].Length == 0) continue;
            if (fields.Length != header.Length)
                throw new InvalidDataException($"{source}: line {line}: {fields.Length} field{(fields.Length == 1 ? "" : "s")}, but the header has {header.Length}.");
            rows.Add(fields);
            lines.Add(line);
        }
        // Trailing blank lines of a one-column file are the end of the file, not empty cells.
        while (header.Length == 1 && rows.Count > 0 && rows[^1][0].Length == 0)
        {
            rows.RemoveAt(rows.Count - 1);
            lines.RemoveAt(lines.Count - 1);
        }
        return new CsvTable(source, header, rows, lines);
    }

    // RFC 4180 records. Line ends may be \r\n, \n or \r. A final line end does not start a new record.
    private static List<(string[] Fields, int Line)> ReadRecords(string text, string source)
    {
        var records = new List<(string[], int)>();
        var fields = new List<string>();
        var cell = new StringBuilder();
        int line = 1, recordLine = 1, i = 0, n = text.Length;
        while (i < n)
        {
            // One field starts here.
            if (text[i] == '"')
            {
                int quoteLine = line;
                i++;
                while (true)
                {
                    if (i >= n) throw new InvalidDataException($"{source}: line {quoteLine}: quoted field {fields.Count + 1} is never closed.");
                    char ch = text[i];
                    if (ch == '"')
                    {
                        if (i + 1 < n && text[i + 1] == '"') { cell.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    if (ch == '\r' && i + 1 < n && text[i + 1] == '\n') { cell.Append("\r\n"); i += 2; line++; continue; }
                    if (ch is '\n' or '\r') line++;
                    cell.Append(ch);
                    i++;
                }
                if (i < n && text[i] is not (',' or '\n' or '\r'))
                    throw new InvalidDataException($"{source}: line {line}: field {fields.Count + 1} has text after its closing quote.");
            }
            else
            {
                while (i < n && text[i] is not (',' or '\n' or '\r'))
                {
                    if (text[i] == '"')
                        throw new InvalidDataException($"{source}: line {line}: field {fields.Count + 1} contains a quote but is not quoted (quote the field and double the inner quote: \"\").");
                    cell.Append(text[i]);
                    i++;
                }
            }
            fields.Add(cell.ToString());
            cell.Clear();
            if (i >= n) break;
            if (text[i] == ',')
            {
                i++;
                if (i >= n) fields.Add("");   // "a,b," at the very end: a last empty field
                continue;
            }
            // End of record.
            i += text[i] == '\r' && i + 1 < n && text[i + 1] == '\n' ? 2 : 1;
            records.Add((fields.ToArray(), recordLine));
            fields.Clear();
            line++;
            recordLine = line;
        }
        if (fields.Count > 0) records.Add((fields.ToArray(), recordLine));
        return records;
    }

    /// <summary>The index of the column called <paramref name="name"/>.</summary>
    /// <exception cref="InvalidDataException">No such column; the message lists the columns there are.</exception>
    public int ColumnIndex(string name)
    {
        int i = Array.IndexOf(_header, name);
        if (i >= 0) return i;
        var ci = _header.Select((h, k) => (h, k)).Where(p => string.Equals(p.h, name, StringComparison.OrdinalIgnoreCase)).ToList();
        string hint = ci.Count == 1 ? $" (did you mean '{ci[0].h}'?)" : "";
        throw new InvalidDataException($"{Source}: no column '{name}'{hint}; the columns are: {string.Join(", ", _header.Select(h => $"'{h}'"))}.");
    }

    /// <summary>True when the table has a column of that exact name.</summary>
    public bool HasColumn(string name) => Array.IndexOf(_header, name) >= 0;

    /// <summary>The cells of a column as strings.</summary>
    /// <exception cref="InvalidDataException">No such column.</exception>
    public string[] Strings(string name)
    {
        int c = ColumnIndex(name);
        var values = new string[_rows.Count];
        for (int r = 0; r < values.Length; r++) values[r] = _rows[r][c];
        return values;
    }

    /// <summary>A column as finite doubles (invariant culture, '.' decimal separator, surrounding spaces allowed).</summary>
    /// <exception cref="InvalidDataException">No such column, or a cell is empty, not a number, NaN or infinite;
    /// the message names the file, line and column.</exception>
    public double[] Numeric(string name)
    {
        int c = ColumnIndex(name);
        var values = new double[_rows.Count];
        for (int r = 0; r < values.Length; r++) values[r] = ParseNumber(_rows[r][c], r, c);
        return values;
    }

    private double ParseNumber(string cell, int row, int column)
    {
        string where = $"{Source}: line {_lines[row]}, column '{_header[column]}'";
        string s = cell.Trim();
        if (s.Length == 0) throw new InvalidDataException($"{where}: empty cell (every row needs a number here).");
        string lower = s.ToLowerInvariant().TrimStart('+', '-');
        if (lower is "nan" or "inf" or "infinity" or "∞")
            throw new InvalidDataException($"{where}: value '{s}' is NaN or infinite; remove or fill the row.");
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            string hint = s.Contains(',') ? " (use '.' as the decimal separator)" : "";
            throw new InvalidDataException($"{where}: '{Shorten(s)}' is not a number{hint}.");
        }
        if (!double.IsFinite(v)) throw new InvalidDataException($"{where}: value '{s}' is infinite (out of range for a double).");
        return v;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";

    /// <summary>Formats a row of values as a CSV record, quoting fields that need it.</summary>
    public static string FormatRecord(IEnumerable<string> fields) => string.Join(',', fields.Select(Quote));

    /// <summary>Quotes a field when it holds a comma, a quote or a line break (RFC 4180).</summary>
    public static string Quote(string field)
        => field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
