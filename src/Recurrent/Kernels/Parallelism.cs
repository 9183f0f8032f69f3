// A tiny fork-join pool for splitting one kernel call across cores: persistent background workers that
// spin briefly and then sleep between calls, so a call allocates nothing and costs a few microseconds.
// Work is split by the caller into fixed parts; which thread runs a part never changes the result.
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Recurrent.Kernels;

/// <summary>One piece of a parallel kernel call: part <c>part</c> of <c>parts</c> (a struct, passed by reference).</summary>
public interface IParallelBody
{
    /// <summary>Runs part <paramref name="part"/> (0 ≤ part &lt; <paramref name="parts"/>). Parts must write disjoint outputs.</summary>
    void Run(int part, int parts);
}

/// <summary>Process-wide thread count for kernels (GEMM, large pointwise passes) and the fork-join
/// mechanism that uses it. Results never depend on <see cref="Threads"/>.</summary>
/// <remarks>
/// Parts are claimed dynamically: the calling thread and the workers take the next unclaimed part until
/// none is left. On a machine shared with other processes a worker that is not scheduled in time simply
/// claims nothing, and the caller does the work instead of waiting for it.
/// </remarks>
public static unsafe class Parallelism
{
    private static int s_threads = 1;
    private static readonly object s_gate = new();
    private static int s_workerCount;
    private static int s_busy;          // 1 while a parallel call owns the workers
    private static int s_sleepers;      // workers blocked in Monitor.Wait
    // The claim word: generation (bits 40–63), part count (bits 32–39), next unclaimed part (bits 0–31).
    // Claiming is one compare-exchange on it, so a part is only ever claimed for the call it belongs to.
    private static long s_claim;
    private static int s_done;          // parts finished in the current call
    private static delegate*<void*, int, int, void> s_body;
    private static void* s_state;
    private static ExceptionDispatchInfo? s_failure;

    /// <summary>How long an idle worker spins for the next call before it sleeps (a recurrent layer calls
    /// once per time step, microseconds apart; sleeping between steps would add a wake-up each time).</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000; // 200 µs

    /// <summary>Threads used by kernels (default 1; the CLI sets it from <c>--threads</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Value below 1 or above 256.</exception>
    public static int Threads
    {
        get => Volatile.Read(ref s_threads);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 256);
            Volatile.Write(ref s_threads, value);
        }
    }

    /// <summary>
    /// Runs <c>body.Run(p, parts)</c> once for every p = 0..parts−1, on the calling thread and up to
    /// parts−1 persistent workers, and returns when all are done. When the workers are already in use
    /// (a nested or concurrent call) the parts run one after another on the calling thread — same results.
    /// No allocation after the workers exist.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parts"/> is less than 1 or more than 255.</exception>
    public static void Run<TBody>(int parts, ref TBody body) where TBody : struct, IParallelBody
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parts, 255);
        if (parts == 1) { body.Run(0, 1); return; }
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int p = 0; p < parts; p++) body.Run(p, parts);
            return;
        }
        try
        {
            EnsureWorkers(Math.Min(parts, Threads) - 1);
            Publish(parts, ref body);
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>
    /// Runs <c>body.Run(p, parts)</c> for p = 0..parts−1 with every part on its OWN thread at the same time (the
    /// caller and parts−1 workers), so that parts may wait for each other (a <see cref="SpinBarrier"/> per time step).
    /// Returns false without running anything when that cannot be guaranteed: the workers are in use (a nested or
    /// concurrent call) or <paramref name="parts"/> exceeds <see cref="Threads"/>. Every part must pass the same
    /// sequence of barriers; a part that fails must break the barrier so that the others stop waiting.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parts"/> is less than 1 or more than 255.</exception>
    internal static bool RunTeam<TBody>(int parts, ref TBody body) where TBody : struct, IParallelBody
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parts, 255);
        if (parts == 1) { body.Run(0, 1); return true; }
        if (parts > Threads) return false;
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0) return false;
        // A thread that holds a part cannot claim another before that part ends, and a part cannot end before
        // every part has passed its barriers: so with parts threads (caller + parts−1 workers) each part gets its own.
        try
        {
            EnsureWorkers(parts - 1);
            Publish(parts, ref body);
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
        return true;
    }

    /// <summary>Publishes a call to the workers, takes part in it and waits for its end (the caller owns s_busy).</summary>
    private static void Publish<TBody>(int parts, ref TBody body) where TBody : struct, IParallelBody
    {
        TBody local = body; // on this frame: stays put while the workers read it through a pointer
        s_body = &Invoke<TBody>;
        s_state = Unsafe.AsPointer(ref local);
        s_failure = null;
        s_done = 0;
        long generation = ((Volatile.Read(ref s_claim) >>> 40) + 1) & 0xFF_FFFF;
        Interlocked.Exchange(ref s_claim, (generation << 40) | ((long)parts << 32)); // full fence: publishes the call
        if (Volatile.Read(ref s_sleepers) > 0) lock (s_gate) Monitor.PulseAll(s_gate);

        ClaimAndRun();
        var spin = new SpinWait();
        while (Volatile.Read(ref s_done) != parts) spin.SpinOnce(sleep1Threshold: -1);
        s_state = null;
        s_failure?.Throw();
    }

    /// <summary>Claims and runs parts of the current call until none is left.</summary>
    private static void ClaimAndRun()
    {
        while (true)
        {
            long claim = Volatile.Read(ref s_claim);
            int parts = (int)((claim >> 32) & 0xFF), part = (int)claim;
            if (part >= parts) return;
            if (Interlocked.CompareExchange(ref s_claim, claim + 1, claim) != claim) continue;
            // The call cannot finish before this part does, so its body and state are stable here.
            try { s_body(s_state, part, parts); }
            catch (Exception e) { Interlocked.CompareExchange(ref s_failure, ExceptionDispatchInfo.Capture(e), null); }
            Interlocked.Increment(ref s_done);
        }
    }

    private static bool WorkAvailable()
    {
        long claim = Volatile.Read(ref s_claim);
        return (int)claim < (int)((claim >> 32) & 0xFF);
    }

    private static void Invoke<TBody>(void* state, int part, int parts) where TBody : struct, IParallelBody
        => Unsafe.AsRef<TBody>(state).Run(part, parts);

    private static void EnsureWorkers(int count)
    {
        for (; s_workerCount < count; s_workerCount++)
        {
            var thread = new Thread(WorkerLoop) { IsBackground = true, Name = $"Recurrent worker {s_workerCount + 1}" };
            thread.Start();
        }
    }

    private static void WorkerLoop()
    {
        while (true)
        {
            WaitForWork();
            ClaimAndRun();
        }
    }

    private static void WaitForWork()
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        int spins = 0;
        while (!WorkAvailable())
        {
            bool keepSpinning = ++spins % 64 != 0 || System.Diagnostics.Stopwatch.GetTimestamp() - start < SpinTicks;
            if (keepSpinning) { Thread.SpinWait(20); continue; }
            lock (s_gate)
            {
                Interlocked.Increment(ref s_sleepers); // full fence before re-reading the claim word (pairs with the caller's)
                while (!WorkAvailable()) Monitor.Wait(s_gate);
                Interlocked.Decrement(ref s_sleepers);
            }
            return;
        }
    }
}
