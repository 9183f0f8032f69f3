// Process CPU time from clock_gettime(CLOCK_PROCESS_CPUTIME_ID) on Linux (falls back to
// Process.TotalProcessorTime elsewhere): on a shared machine it counts only the time we actually ran.
using System.Runtime.InteropServices;

namespace Recurrent.Benchmarks;

internal static class CpuClock
{
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private const int ClockProcessCpuTime = 2;

    public static double ProcessSeconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ClockProcessCpuTime, out var t) == 0) return t.Seconds + t.Nanoseconds * 1e-9;
        return System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    }
}
