// A tiny fork-join pool for splitting one kernel call across cores: persistent background workers,
// each with its own ticket it waits on (spinning briefly, then sleeping), so a call allocates nothing
// and costs a few microseconds. Work is split by the caller into deterministic parts; which thread runs a
// part never changes the result.
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
public static unsafe class Parallelism
{
    private static int s_threads = 1;
    private static readonly object s_gate = new();
    private static Worker[] s_workers = [];
    private static int s_busy;          // 1 while a parallel call owns the workers
    private static int s_sleepers;      // workers blocked in Monitor.Wait
    private static int s_pending;       // worker parts of the current call not yet finished
    private static delegate*<void*, int, int, void> s_body;
    private static void* s_state;
    private static int s_parts;
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
    /// Runs <c>body.Run(p, parts)</c> for p = 0..parts−1: part 0 on the calling thread, the others on
    /// persistent workers, and returns when all are done. When the workers are already in use (a nested or
    /// concurrent call) the parts run one after another on the calling thread — same results.
    /// No allocation after the workers exist.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parts"/> is less than 1.</exception>
    public static void Run<TBody>(int parts, ref TBody body) where TBody : struct, IParallelBody
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        if (parts == 1) { body.Run(0, 1); return; }
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int p = 0; p < parts; p++) body.Run(p, parts);
            return;
        }
        try
        {
            EnsureWorkers(parts - 1);
            TBody local = body; // on this frame: stays put while the workers read it through a pointer
            s_body = &Invoke<TBody>;
            s_state = Unsafe.AsPointer(ref local);
            s_parts = parts;
            s_failure = null;
            Volatile.Write(ref s_pending, parts - 1);
            for (int w = 0; w < parts - 1; w++) Interlocked.Increment(ref s_workers[w].Ticket); // full fence: publishes the job
            if (Volatile.Read(ref s_sleepers) > 0) lock (s_gate) Monitor.PulseAll(s_gate);

            ExceptionDispatchInfo? mine = null;
            try { local.Run(0, parts); }
            catch (Exception e) { mine = ExceptionDispatchInfo.Capture(e); }

            var spin = new SpinWait();
            while (Volatile.Read(ref s_pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
            s_state = null;
            (mine ?? s_failure)?.Throw();
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    private static void Invoke<TBody>(void* state, int part, int parts) where TBody : struct, IParallelBody
        => Unsafe.AsRef<TBody>(state).Run(part, parts);

    private static void EnsureWorkers(int count)
    {
        if (s_workers.Length >= count) return;
        var grown = new Worker[count];
        Array.Copy(s_workers, grown, s_workers.Length);
        for (int i = s_workers.Length; i < count; i++)
        {
            grown[i] = new Worker(i + 1);
            var thread = new Thread(grown[i].Loop) { IsBackground = true, Name = $"Recurrent worker {i + 1}" };
            thread.Start();
        }
        s_workers = grown;
    }

    private sealed class Worker(int part)
    {
        public long Ticket; // bumped by the caller for every call this worker takes part in

        public void Loop()
        {
            long seen = 0;
            while (true)
            {
                seen = WaitForTicket(seen);
                try { s_body(s_state, part, s_parts); }
                catch (Exception e) { s_failure ??= ExceptionDispatchInfo.Capture(e); }
                Interlocked.Decrement(ref s_pending);
            }
        }

        private long WaitForTicket(long seen)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            int spins = 0;
            while (Volatile.Read(ref Ticket) == seen)
            {
                bool keepSpinning = ++spins % 64 != 0 || System.Diagnostics.Stopwatch.GetTimestamp() - start < SpinTicks;
                if (keepSpinning) { Thread.SpinWait(20); continue; }
                lock (s_gate)
                {
                    Interlocked.Increment(ref s_sleepers); // full fence before re-reading the ticket (pairs with the caller's)
                    while (Volatile.Read(ref Ticket) == seen) Monitor.Wait(s_gate);
                    Interlocked.Decrement(ref s_sleepers);
                }
            }
            return Volatile.Read(ref Ticket);
        }
    }
}
