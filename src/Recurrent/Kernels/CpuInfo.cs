// What machine are we on: CPU model, cores and SIMD width, for benchmark reports and `recurrent bench`.
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recurrent.Kernels;

/// <summary>Describes the CPU the kernels run on.</summary>
public static class CpuInfo
{
    /// <summary>CPU model name from <c>/proc/cpuinfo</c> ("model name"), or "unknown CPU" where that file is absent.</summary>
    public static string ModelName { get; } = ReadModelName();

    /// <summary>Logical processors available to this process.</summary>
    public static int LogicalCores => Environment.ProcessorCount;

    /// <summary>The widest SIMD the runtime accelerates, e.g. "AVX-512 (512-bit)", "AVX2+FMA (256-bit)".</summary>
    public static string Simd
    {
        get
        {
            if (Vector512.IsHardwareAccelerated) return "AVX-512 (512-bit)";
            if (Vector256.IsHardwareAccelerated && Fma.IsSupported) return "AVX2+FMA (256-bit)";
            if (Vector256.IsHardwareAccelerated) return "AVX (256-bit, no FMA)";
            if (Vector128.IsHardwareAccelerated) return "128-bit SIMD";
            return "no SIMD";
        }
    }

    /// <summary>One line, e.g. <c>AMD EPYC, 2 logical cores, AVX2+FMA (256-bit), Vector&lt;float&gt; = 8 lanes, GEMM kernel Avx2 6×16</c>.</summary>
    public static string Describe()
    {
        var kind = GemmF32.Best;
        return $"{ModelName}, {LogicalCores} logical cores, {Simd}, Vector<float> = {Vector<float>.Count} lanes, " +
               $"GEMM kernel {kind} {GemmF32.MR(kind)}×{GemmF32.NR(kind)}";
    }

    private static string ReadModelName()
    {
        try
        {
            const string path = "/proc/cpuinfo";
            if (File.Exists(path))
            {
                foreach (var line in File.ReadLines(path))
                {
                    if (!line.StartsWith("model name", StringComparison.Ordinal)) continue;
                    int colon = line.IndexOf(':');
                    if (colon >= 0) return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return "unknown CPU";
    }
}
