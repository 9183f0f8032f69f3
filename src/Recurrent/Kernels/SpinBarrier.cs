// A reusable barrier for a fixed team of threads that meet once per recurrent time step (microseconds apart):
// waiters spin instead of blocking, because a kernel-level wait and wake-up would cost more than a step's work.
// Used with Parallelism.RunTeam, which guarantees every part its own thread.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Recurrent.Kernels;

/// <summary>Spinning barrier for <see cref="Parallelism.RunTeam{TBody}"/> parts; allocation-free after construction.</summary>
internal sealed class SpinBarrier
{
    // Arrival count and generation on their own cache lines, so arriving does not evict the line the waiters poll.
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct State
    {
        [FieldOffset(64)] public int Arrived;
        [FieldOffset(128)] public int Generation;
        [FieldOffset(132)] public int Broken;
    }

    private State _state;
    private int _parts = 1;

    /// <summary>Sets the number of participants for the next round (call only while nobody waits).</summary>
    public void Reset(int parts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        _parts = parts;
        _state.Arrived = 0;
        Volatile.Write(ref _state.Broken, 0);
    }

    /// <summary>Marks the barrier broken (a participant failed): current and later waiters throw instead of hanging.</summary>
    public void Break() => Volatile.Write(ref _state.Broken, 1);

    /// <summary>Waits until all participants have arrived.</summary>
    /// <exception cref="OperationCanceledException">Another participant broke the barrier.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]               // a spin loop entered a few times per call
    public void SignalAndWait()
    {
        if (_parts == 1) return;
        int generation = Volatile.Read(ref _state.Generation);
        if (Interlocked.Increment(ref _state.Arrived) == _parts)
        {
            _state.Arrived = 0;                                              // before the release below
            Volatile.Write(ref _state.Generation, generation + 1);
            return;
        }
        int spins = 0;
        while (Volatile.Read(ref _state.Generation) == generation)
        {
            if (Volatile.Read(ref _state.Broken) != 0) throw new OperationCanceledException("SpinBarrier: another participant failed.");
            // Spin tightly for the common case (the partner is a step behind by microseconds); if it is not running
            // (a busy machine), give up the core so that it can.
            if (++spins < 20_000) Thread.SpinWait(1);
            else Thread.Yield();
        }
    }
}
