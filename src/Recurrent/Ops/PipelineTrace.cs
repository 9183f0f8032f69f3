// Where each thread of a RecurrentPipeline spends a pass (benchmarks only): per part, the Stopwatch ticks of each
// kind of work and of each wait, and when the part finished relative to the start of the pass. Off (null) by
// default, which costs one test per mark.
namespace Recurrent.Ops;

/// <summary>What a pipeline part was doing.</summary>
internal enum PipelinePhase
{
    /// <summary>Forward: the time loop of the part's own layer.</summary>
    Recur,
    /// <summary>Forward: an input stage (dropout + projection) of a layer above, or layer 0's projection.</summary>
    Stage,
    /// <summary>Forward: waiting for the layer below (a stage's input or a stage another thread claimed).</summary>
    WaitForward,
    /// <summary>Backward: the time loop of the part's own layer.</summary>
    BackSteps,
    /// <summary>Backward: the output gradient of a layer below (dGates·W_ih + dropout).</summary>
    Fill,
    /// <summary>Backward: waiting for the layer above (a fill's input or a fill another thread claimed).</summary>
    WaitBackward,
    /// <summary>Forward/backward: set-up and tear-down of a layer (packing, bias sums, copies).</summary>
    BeginEnd,
    /// <summary>Backward: weight-gradient GEMM blocks.</summary>
    Weights,
    /// <summary>Backward: waiting until a weight-gradient block's layer is final.</summary>
    WaitWeights,
    /// <summary>Forward/backward: a range of the language-model head (logits and loss; their gradient and dY).</summary>
    Head,
    /// <summary>Forward: the time loop of the first step range only (also counted in Recur).</summary>
    RecurFirst,
    /// <summary>Forward: the projection GEMM + bias of a layer above's stage only (also counted in Stage).</summary>
    StageGemm,
    /// <summary>Backward: the dGates·W_ih GEMM of a fill only (also counted in Fill).</summary>
    FillGemm,
    /// <summary>Ticks from the start of the pass until this part finished.</summary>
    Finished,
}

/// <summary>Per-part phase ticks of pipelined passes, summed over passes: <c>Ticks[part · PhaseCount + phase]</c>,
/// forward and backward passes apart (<see cref="Forward"/>, <see cref="Backward"/>).</summary>
internal static class PipelineTrace
{
    public const int MaxParts = 4;
    public static readonly int PhaseCount = Enum.GetValues<PipelinePhase>().Length;

    /// <summary>Null = off. Set both to arrays of MaxParts·PhaseCount to collect.</summary>
    public static long[]? Forward, Backward;

    [ThreadStatic] private static long[]? t_ticks;
    [ThreadStatic] private static int t_part;

    public static bool On => Forward is not null;

    public static void BeginPart(int part, bool backward)
    {
        t_ticks = backward ? Backward : Forward;
        t_part = part;
    }

    public static void EndPart() => t_ticks = null;

    public static long Now() => t_ticks is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Adds the ticks since <paramref name="t0"/> to <paramref name="phase"/> and restarts the clock.</summary>
    public static void Mark(PipelinePhase phase, ref long t0)
    {
        var ticks = t_ticks;
        if (ticks is null || t_part >= MaxParts) return;
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        ticks[t_part * PhaseCount + (int)phase] += now - t0;
        t0 = now;
    }
}
