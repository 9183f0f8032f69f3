// BenchmarkDotNet suite for the float32 GEMM shapes of GemmShape.All:
// dotnet run -c Release --project bench/Recurrent.Benchmarks -- --filter '*Gemm*'
using BenchmarkDotNet.Attributes;
using Recurrent.Kernels;

namespace Recurrent.Benchmarks;

/// <summary>One benchmark per shape; each is checked against the reference GEMM before timing.</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private GemmCase _case = null!;

    public static IEnumerable<GemmShape> Shapes => GemmShape.All;

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = GemmShape.All[0];

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Threads = Threads;
        _case = new GemmCase(Shape);
        _case.Prepare();
        _case.Check();
    }

    [Benchmark]
    public void Multiply() => _case.Run();
}
