// Progress on stderr: a live single-line bar redrawn with '\r' on a terminal, plain lines when stderr
// is a file or pipe (so logs stay readable), nothing with --quiet. Results never go here.
using System.Diagnostics;
using System.Text;

namespace Recurrent.Cli;

/// <summary>Reports the progress of a long job (epochs, steps, sequences) on stderr.
/// Terminal: one line rewritten in place at most every 100 ms. Not a terminal: one line per 10% of the
/// work (and at the end). <see cref="Message"/> lines (e.g. per-epoch metrics) are always printed unless quiet.</summary>
public sealed class ProgressReporter
{
    private readonly TextWriter _writer;
    private readonly bool _terminal;
    private readonly bool _quiet;
    private readonly Func<double> _seconds;
    private string _label = "";
    private long _total;
    private double _startSeconds;
    private double _lastDrawSeconds = double.NegativeInfinity;
    private int _lastDecile = -1;
    private int _barLength; // characters of the live line currently on screen (0 = none)

    /// <summary>Minimum seconds between two redraws of the live bar.</summary>
    public double RedrawInterval { get; init; } = 0.1;

    public ProgressReporter(TextWriter writer, bool terminal, bool quiet, Func<double>? clockSeconds = null)
    {
        _writer = writer;
        _terminal = terminal;
        _quiet = quiet;
        var sw = Stopwatch.StartNew();
        _seconds = clockSeconds ?? (() => sw.Elapsed.TotalSeconds);
    }

    /// <summary>True when nothing is printed (--quiet).</summary>
    public bool Quiet => _quiet;

    /// <summary>Begins a job of <paramref name="total"/> units (0 = unknown) called <paramref name="label"/>.</summary>
    public void Start(string label, long total)
    {
        ClearBar();
        _label = label;
        _total = Math.Max(0, total);
        _startSeconds = _seconds();
        _lastDrawSeconds = double.NegativeInfinity;
        _lastDecile = -1;
    }

    /// <summary>Reports that <paramref name="done"/> units are finished; <paramref name="status"/> is a short
    /// metrics string such as <c>loss 1.234</c>.</summary>
    public void Update(long done, string? status = null)
    {
        if (_quiet) return;
        double now = _seconds();
        bool finished = _total > 0 && done >= _total;
        if (_terminal)
        {
            if (!finished && now - _lastDrawSeconds < RedrawInterval) return;
            _lastDrawSeconds = now;
            DrawBar(Format(done, status, now, bar: true));
        }
        else
        {
            int decile = _total > 0 ? (int)Math.Min(10, done * 10 / _total) : -1;
            if (_total > 0 && decile == _lastDecile) return;
            if (_total <= 0 && now - _lastDrawSeconds < 10) return; // unknown total: every 10 s
            _lastDecile = decile;
            _lastDrawSeconds = now;
            _writer.WriteLine(Format(done, status, now, bar: false));
        }
    }

    /// <summary>Prints a full line (above the live bar on a terminal).</summary>
    public void Message(string line)
    {
        if (_quiet) return;
        ClearBar();
        _writer.WriteLine(line);
    }

    /// <summary>Ends the job: leaves the final bar on its own line (terminal) and prints <paramref name="summary"/> if given.</summary>
    public void Finish(string? summary = null)
    {
        if (_quiet) return;
        if (_terminal && _barLength > 0)
        {
            _writer.WriteLine();
            _barLength = 0;
        }
        if (summary is not null) _writer.WriteLine(summary);
        _writer.Flush();
    }

    private string Format(long done, string? status, double now, bool bar)
    {
        var sb = new StringBuilder();
        if (_label.Length > 0) sb.Append(_label).Append(' ');
        double elapsed = now - _startSeconds;
        if (_total > 0)
        {
            double fraction = Math.Clamp((double)done / _total, 0, 1);
            if (bar)
            {
                const int width = 24;
                int filled = (int)Math.Round(fraction * width);
                sb.Append('[').Append('#', filled).Append('-', width - filled).Append("] ");
            }
            sb.Append($"{fraction * 100,3:0}% {done}/{_total}");
            if (done > 0 && done < _total)
                sb.Append(" eta ").Append(FormatTime(elapsed / done * (_total - done)));
        }
        else
        {
            sb.Append(done);
        }
        sb.Append(' ').Append(FormatTime(elapsed));
        if (!string.IsNullOrEmpty(status)) sb.Append("  ").Append(status);
        return sb.ToString();
    }

    private void DrawBar(string line)
    {
        // Pad with spaces so a shorter line fully overwrites the previous one.
        int pad = Math.Max(0, _barLength - line.Length);
        _writer.Write('\r');
        _writer.Write(line);
        if (pad > 0) _writer.Write(new string(' ', pad));
        _barLength = line.Length;
        _writer.Flush();
    }

    private void ClearBar()
    {
        if (!_terminal || _barLength == 0) return;
        _writer.Write('\r');
        _writer.Write(new string(' ', _barLength));
        _writer.Write('\r');
        _barLength = 0;
    }

    /// <summary>"1:05" or "1:02:03".</summary>
    public static string FormatTime(double seconds)
    {
        if (double.IsNaN(seconds) || double.IsInfinity(seconds) || seconds < 0) return "?";
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
    }
}
