// A small, dependency-free SVG line/scatter chart: several series, linear or log axes, ticks,
// legend. Enough for training curves, Zipf plots, gradient norms and forecasts.
using System.Globalization;
using System.Text;

namespace Recurrent.Cli.Plots;

/// <summary>One series of points on a chart.</summary>
public sealed record Series(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, bool Markers = false, bool Dashed = false);

/// <summary>Builds an SVG line chart. Non-finite points (and non-positive ones on log axes) are skipped.</summary>
public sealed class SvgChart
{
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22"];
    private readonly List<Series> _series = [];

    public string Title { get; init; } = "";
    public string XLabel { get; init; } = "";
    public string YLabel { get; init; } = "";
    public bool LogX { get; init; }
    public bool LogY { get; init; }
    public int Width { get; init; } = 720;
    public int Height { get; init; } = 440;

    public SvgChart Add(Series series) { _series.Add(series); return this; }

    public SvgChart Add(string label, IReadOnlyList<double> x, IReadOnlyList<double> y, bool markers = false, bool dashed = false)
        => Add(new Series(label, x, y, markers, dashed));

    /// <summary>Writes the chart to <paramref name="path"/> atomically.</summary>
    public void Save(string path)
    {
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, Render());
        File.Move(tmp, path, overwrite: true);
    }

    public string Render()
    {
        const int left = 78, right = 24, top = 44, bottom = 58;
        int plotW = Width - left - right, plotH = Height - top - bottom;
        var pts = _series.Select(s => Points(s).ToList()).ToList();
        var all = pts.SelectMany(p => p).ToList();
        double xMin = all.Count > 0 ? all.Min(p => p.X) : 0, xMax = all.Count > 0 ? all.Max(p => p.X) : 1;
        double yMin = all.Count > 0 ? all.Min(p => p.Y) : 0, yMax = all.Count > 0 ? all.Max(p => p.Y) : 1;
        (xMin, xMax) = Pad(xMin, xMax, LogX);
        (yMin, yMax) = Pad(yMin, yMax, LogY);
        double Sx(double x) => left + (Map(x, LogX) - Map(xMin, LogX)) / (Map(xMax, LogX) - Map(xMin, LogX)) * plotW;
        double Sy(double y) => top + plotH - (Map(y, LogY) - Map(yMin, LogY)) / (Map(yMax, LogY) - Map(yMin, LogY)) * plotH;

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{Esc(Title)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#333\"/>\n");

        foreach (double t in Ticks(xMin, xMax, LogX))
        {
            double x = Sx(t);
            sb.Append(F($"<line x1=\"{x:0.##}\" y1=\"{top}\" x2=\"{x:0.##}\" y2=\"{top + plotH}\" stroke=\"#eee\"/>\n"));
            sb.Append(F($"<text x=\"{x:0.##}\" y=\"{top + plotH + 16}\" text-anchor=\"middle\">{FormatTick(t)}</text>\n"));
        }
        foreach (double t in Ticks(yMin, yMax, LogY))
        {
            double y = Sy(t);
            sb.Append(F($"<line x1=\"{left}\" y1=\"{y:0.##}\" x2=\"{left + plotW}\" y2=\"{y:0.##}\" stroke=\"#eee\"/>\n"));
            sb.Append(F($"<text x=\"{left - 6}\" y=\"{y + 4:0.##}\" text-anchor=\"end\">{FormatTick(t)}</text>\n"));
        }
        sb.Append(F($"<text x=\"{left + plotW / 2}\" y=\"{Height - 16}\" text-anchor=\"middle\">{Esc(XLabel)}{(LogX ? " (log)" : "")}</text>\n"));
        sb.Append(F($"<text transform=\"translate(18,{top + plotH / 2}) rotate(-90)\" text-anchor=\"middle\">{Esc(YLabel)}{(LogY ? " (log)" : "")}</text>\n"));

        for (int s = 0; s < _series.Count; s++)
        {
            string color = Palette[s % Palette.Length];
            var p = pts[s];
            if (p.Count == 0) continue;
            var path = new StringBuilder();
            for (int i = 0; i < p.Count; i++) path.Append(F($"{(i == 0 ? "M" : "L")}{Sx(p[i].X):0.##},{Sy(p[i].Y):0.##} "));
            string dash = _series[s].Dashed ? " stroke-dasharray=\"6,4\"" : "";
            sb.Append(F($"<path d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\"{dash}/>\n"));
            if (_series[s].Markers)
                foreach (var q in p) sb.Append(F($"<circle cx=\"{Sx(q.X):0.##}\" cy=\"{Sy(q.Y):0.##}\" r=\"2.5\" fill=\"{color}\"/>\n"));
            double ly = top + 14 + 16 * s;
            sb.Append(F($"<line x1=\"{left + plotW - 170}\" y1=\"{ly - 4}\" x2=\"{left + plotW - 148}\" y2=\"{ly - 4}\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>\n"));
            sb.Append(F($"<text x=\"{left + plotW - 142}\" y=\"{ly}\">{Esc(_series[s].Label)}</text>\n"));
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private IEnumerable<(double X, double Y)> Points(Series s)
    {
        int n = Math.Min(s.X.Count, s.Y.Count);
        for (int i = 0; i < n; i++)
        {
            double x = s.X[i], y = s.Y[i];
            if (!double.IsFinite(x) || !double.IsFinite(y)) continue;
            if ((LogX && x <= 0) || (LogY && y <= 0)) continue;
            yield return (x, y);
        }
    }

    private static double Map(double v, bool log) => log ? Math.Log10(v) : v;

    private static (double, double) Pad(double min, double max, bool log)
    {
        if (log)
        {
            if (min <= 0) min = 1e-12;
            if (max <= min) max = min * 10;
            return (Math.Pow(10, Math.Floor(Math.Log10(min))), Math.Pow(10, Math.Ceiling(Math.Log10(max))));
        }
        if (max <= min) { max = min + 1; min -= 1; }
        double pad = (max - min) * 0.04;
        return (min - pad, max + pad);
    }

    private static IEnumerable<double> Ticks(double min, double max, bool log)
    {
        if (log)
        {
            int lo = (int)Math.Floor(Math.Log10(min)), hi = (int)Math.Ceiling(Math.Log10(max));
            int step = Math.Max(1, (hi - lo) / 8);
            for (int e = lo; e <= hi; e += step) yield return Math.Pow(10, e);
            yield break;
        }
        double raw = (max - min) / 6, mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double nice = raw / mag < 1.5 ? 1 : raw / mag < 3 ? 2 : raw / mag < 7 ? 5 : 10;
        double stepSize = nice * mag;
        for (double t = Math.Ceiling(min / stepSize) * stepSize; t <= max + stepSize * 1e-9; t += stepSize) yield return Math.Abs(t) < stepSize * 1e-9 ? 0 : t;
    }

    private static string FormatTick(double v)
    {
        double a = Math.Abs(v);
        if (a != 0 && (a >= 1e5 || a < 1e-3)) return v.ToString("0.#E+0", CultureInfo.InvariantCulture);
        return v.ToString("0.###", CultureInfo.InvariantCulture);
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Esc(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
