// The process-wide switches that tests of the parallel paths change (thread count, the work thresholds below
// which a layer stays on one thread, the pipelined stack, the fused LM head), saved on creation and restored on
// Dispose: `using var _ = ParallelSettings.Save();` replaces a try/finally that restores each by hand.
using Recurrent.Kernels;
using Recurrent.Models;
using Recurrent.Nn;
using Recurrent.Ops;

namespace Recurrent.Tests.Support;

public sealed class ParallelSettings : IDisposable
{
    private readonly int _threads = Parallelism.Threads;
    private readonly long _minWork = Op.RecurrentParallelMinWork, _passMin = Op.RecurrentPassParallelMinElements;
    private readonly bool _pipelineF = RecurrentStack<float>.UsePipeline, _pipelineD = RecurrentStack<double>.UsePipeline;
    private readonly bool _fuseF = LanguageModel<float>.FuseHead, _fuseD = LanguageModel<double>.FuseHead;

    private ParallelSettings() { }

    /// <summary>Saves the current settings; <paramref name="tinyShapesInParallel"/> also lets tiny shapes run their layers
    /// on their own threads (Op.RecurrentParallelMinWork = 0), as the twin tests need.</summary>
    public static ParallelSettings Save(bool tinyShapesInParallel = false)
    {
        var saved = new ParallelSettings();
        if (tinyShapesInParallel) Op.RecurrentParallelMinWork = 0;
        return saved;
    }

    public void Dispose()
    {
        Parallelism.Threads = _threads;
        Op.RecurrentParallelMinWork = _minWork;
        Op.RecurrentPassParallelMinElements = _passMin;
        RecurrentStack<float>.UsePipeline = _pipelineF;
        RecurrentStack<double>.UsePipeline = _pipelineD;
        LanguageModel<float>.FuseHead = _fuseF;
        LanguageModel<double>.FuseHead = _fuseD;
    }
}
