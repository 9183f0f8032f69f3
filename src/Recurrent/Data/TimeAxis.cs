// The optional time column of a forecasting CSV: numbers or dates. It checks that rows are in time
// order (a shuffled file would silently train on the future) and extends the axis past the end so
// forecasts can be labelled with their times.
using System.Globalization;

namespace Recurrent.Data;

/// <summary>A parsed time column: numeric, dates, or opaque labels.</summary>
public sealed class TimeAxis
{
    private static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM"];
    private readonly double[]? _numbers;
    private readonly DateTime[]? _dates;
    private readonly string? _dateFormat;

    private TimeAxis(string[] labels, double[]? numbers, DateTime[]? dates, string? dateFormat)
    {
        Labels = labels;
        _numbers = numbers;
        _dates = dates;
        _dateFormat = dateFormat;
    }

    /// <summary>The cells as written.</summary>
    public string[] Labels { get; }

    /// <summary>True when times are numbers or dates (so they can be plotted and extended).</summary>
    public bool IsOrdered => _numbers is not null || _dates is not null;

    /// <summary>The x-axis title for <see cref="Positions"/>: the column name, "days since …" for dates, "row" for labels.</summary>
    public string AxisTitle(string column)
        => _dates is not null ? $"{column} (days since {Labels[0]})" : _numbers is not null ? column : "row";

    /// <summary>Positions for a chart's x-axis: the numbers, days since the first date, or row indices.</summary>
    public double[] Positions()
    {
        if (_numbers is not null) return (double[])_numbers.Clone();
        if (_dates is not null) return _dates.Select(d => (d - _dates[0]).TotalDays).ToArray();
        return Enumerable.Range(0, Labels.Length).Select(i => (double)i).ToArray();
    }

    /// <summary>Reads the column <paramref name="name"/>; numeric or ISO dates must strictly increase.</summary>
    /// <exception cref="InvalidDataException">Missing column, empty cell, or times out of order (the line is named).</exception>
    public static TimeAxis FromCsv(CsvTable table, string name)
    {
        var cells = table.Strings(name).Select(c => c.Trim()).ToArray();
        int c = table.ColumnIndex(name);
        for (int r = 0; r < cells.Length; r++)
            if (cells[r].Length == 0) throw new InvalidDataException($"{table.Source}: line {table.LineOf(r)}, column '{table.Header[c]}': empty time cell.");
        if (cells.Length > 0 && cells.All(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)))
        {
            var nums = cells.Select(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
            CheckIncreasing(table, c, nums.Select(v => v).ToArray(), cells);
            return new TimeAxis(cells, nums, null, null);
        }
        foreach (var format in DateFormats)
        {
            var dates = new DateTime[cells.Length];
            bool all = true;
            for (int r = 0; r < cells.Length && all; r++)
                all = DateTime.TryParseExact(cells[r], format, CultureInfo.InvariantCulture, DateTimeStyles.None, out dates[r]);
            if (!all || cells.Length == 0) continue;
            CheckIncreasing(table, c, dates.Select(d => (double)d.Ticks).ToArray(), cells);
            return new TimeAxis(cells, null, dates, format);
        }
        return new TimeAxis(cells, null, null, null);
    }

    private static void CheckIncreasing(CsvTable table, int column, double[] v, string[] cells)
    {
        for (int r = 1; r < v.Length; r++)
            if (!(v[r] > v[r - 1]))
                throw new InvalidDataException($"{table.Source}: line {table.LineOf(r)}, column '{table.Header[column]}': time '{cells[r]}' does not come after '{cells[r - 1]}'; sort the rows by time (and remove duplicates).");
    }

    /// <summary>Labels for <paramref name="count"/> steps past the end, continuing the last spacing; "+1", "+2", … when
    /// the times are not numbers or dates.</summary>
    public string[] Extend(int count)
    {
        var result = new string[count];
        int n = Labels.Length;
        for (int k = 1; k <= count; k++)
        {
            if (_numbers is not null && n >= 2)
                result[k - 1] = (_numbers[n - 1] + k * (_numbers[n - 1] - _numbers[n - 2])).ToString("G10", CultureInfo.InvariantCulture);
            else if (_dates is not null && n >= 2)
            {
                var last = _dates[n - 1];
                var prev = _dates[n - 2];
                // Whole months (monthly data) extend by calendar months; anything else by the last time step.
                int months = (last.Year - prev.Year) * 12 + last.Month - prev.Month;
                DateTime next = last.Day == prev.Day && last.TimeOfDay == prev.TimeOfDay && months > 0
                    ? last.AddMonths(months * k)
                    : last + (last - prev) * k;
                result[k - 1] = next.ToString(_dateFormat, CultureInfo.InvariantCulture);
            }
            else result[k - 1] = "+" + k.ToString(CultureInfo.InvariantCulture);
        }
        return result;
    }

    /// <summary>Chart positions of <see cref="Extend"/>'s steps (continuing <see cref="Positions"/>).</summary>
    public double[] ExtendPositions(int count)
    {
        var p = Positions();
        int n = p.Length;
        double step = n >= 2 ? p[n - 1] - p[n - 2] : 1;
        if (_dates is not null && n >= 2)
        {
            var ext = Extend(count).Select(s => DateTime.ParseExact(s, _dateFormat!, CultureInfo.InvariantCulture)).ToArray();
            return ext.Select(d => (d - _dates[0]).TotalDays).ToArray();
        }
        return Enumerable.Range(1, count).Select(k => (n > 0 ? p[n - 1] : 0) + k * step).ToArray();
    }
}
