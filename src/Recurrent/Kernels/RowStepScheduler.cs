// Work sharing for time loops over independent rows: each thread starts with a fixed block of rows and runs it
// step by step; a thread that runs out of work asks the busiest running thread for half of its rows, which that
// thread hands over at its next step boundary (the rows have then completed the same steps). Rows never interact,
// so each row's steps still run in order on whichever thread owns it, and the results do not depend on who ran what.
//
// Why: on the development VM the two vCPUs often run at different speeds for hundreds of milliseconds (one of them
// 15–40% slower, measured per part of the row-split time loop), and a fixed half-and-half split then waits for
// the slower one. A finer fixed split (more, smaller row blocks claimed dynamically) would cost every step: each
// block re-reads the whole packed W_hh per step and small blocks use short GEMM tiles. Handing over rows only when a
// thread is idle keeps the 16-row blocks of the common case and moves work only when it pays.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Recurrent.Kernels;

/// <summary>Runs steps <c>[s, s+1)</c> of a row range; each row's steps are called in increasing order, possibly on different threads.</summary>
internal interface IRowStepBody
{
    /// <summary>Runs logical step <paramref name="step"/> for rows [<paramref name="row0"/>, <paramref name="row0"/>+<paramref name="rows"/>).</summary>
    void RunStep(int row0, int rows, int step);
}

/// <summary>
/// The shared state of one row-split time loop with work sharing (see the file comment). Allocate once, call
/// <see cref="Reset"/> before each loop, then <see cref="RunPart{TBody}"/> once for every part (from
/// <see cref="Parallelism.Run{TBody}"/>). Allocation-free after construction.
/// </summary>
internal sealed class RowStepScheduler
{
    private const int Idle = 0, Running = 1, Done = 2;          // Lane.State
    private const int Pending = 0, Given = 1, Refused = 2;      // Lane.Answer

    // One cache line pair per part, so that polling one part's request word does not contend with another's progress.
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct Lane
    {
        [FieldOffset(0)] public int State;
        [FieldOffset(4)] public int Lo;          // rows [Lo, Hi) owned now
        [FieldOffset(8)] public int Hi;
        [FieldOffset(12)] public int Next;       // next logical step of the owned rows
        [FieldOffset(16)] public int Request;    // thief part + 1, or 0
        [FieldOffset(64)] public int Answer;     // to this part's own request
        [FieldOffset(68)] public int GiftLo;
        [FieldOffset(72)] public int GiftHi;
        [FieldOffset(76)] public int GiftStep;
    }

    private Lane[] _lanes = new Lane[2];
    private int _rows, _steps, _parts;
    private int _steals;
    private int _nextBlock;                                     // blocks of rows handed out so far (one per part)

    /// <summary>Rows handed over in the loops since construction (benchmarks and tests).</summary>
    public int Steals => Volatile.Read(ref _steals);

    /// <summary>Smallest row count a thread keeps or receives in a hand-over.</summary>
    public const int MinRows = 2;

    /// <summary>Test hook: this part spins for a while after each of its steps (provokes hand-overs). −1 = off.</summary>
    internal int SlowPartForTests = -1;

    /// <summary>Hand-overs on (default); off, every part runs exactly its fixed block (A/B measurements).</summary>
    internal static bool HandOvers = true;

    /// <summary>Prepares a loop of <paramref name="steps"/> steps over <paramref name="rows"/> rows in <paramref name="parts"/> parts.</summary>
    public void Reset(int rows, int steps, int parts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        if (_lanes.Length < parts) _lanes = new Lane[parts];
        _rows = rows; _steps = steps; _parts = parts; _nextBlock = 0;
        for (int p = 0; p < parts; p++) _lanes[p] = default;
    }

    /// <summary>Runs part <paramref name="part"/>: the next unclaimed block of rows (the parts' blocks are claimed in
    /// order, so a thread that arrives late or finishes early takes a block nobody started), then rows taken over from
    /// busier parts, until no work is left that is worth moving.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void RunPart<TBody>(int part, ref TBody body) where TBody : struct, IRowStepBody
    {
        ref Lane me = ref _lanes[part];
        Volatile.Write(ref me.State, Running);
        try
        {
            while (true)
            {
                int lo, hi, s = 0;
                int block = Interlocked.Increment(ref _nextBlock) - 1;
                if (block < _parts)
                {
                    lo = (int)((long)_rows * block / _parts); hi = (int)((long)_rows * (block + 1) / _parts);
                    me.Lo = lo; me.Hi = hi;
                    Volatile.Write(ref me.Next, 0);
                }
                else if (!HandOvers || !TakeOver(part, out lo, out hi, out s)) break;
                while (s < _steps && lo < hi)
                {
                    body.RunStep(lo, hi - lo, s);
                    if (part == SlowPartForTests) Thread.SpinWait(2000);
                    s++;
                    Volatile.Write(ref me.Next, s);
                    if (Volatile.Read(ref me.Request) != 0) Answer(ref me, ref hi, lo, s);
                }
                Volatile.Write(ref me.Next, _steps);                                // nothing left to take from here
            }
        }
        finally
        {
            // Done before the request word is emptied: a thief that asks after this exchange sees Done and withdraws.
            Interlocked.Exchange(ref me.State, Done);
            int thief = Interlocked.Exchange(ref me.Request, 0);
            if (thief != 0) Volatile.Write(ref _lanes[thief - 1].Answer, Refused);
        }
    }

    /// <summary>At a step boundary: gives the upper half of [lo, hi) to the thief that asked, if both halves are worth it.</summary>
    private void Answer(ref Lane me, ref int hi, int lo, int s)
    {
        int thief = Interlocked.Exchange(ref me.Request, 0);
        if (thief == 0) return;                                                     // withdrawn meanwhile
        ref Lane t = ref _lanes[thief - 1];
        int n = hi - lo;
        if (n < 2 * MinRows || _steps - s < 2)
        {
            Volatile.Write(ref t.Answer, Refused);
            return;
        }
        int mid = lo + n / 2;
        t.GiftLo = mid; t.GiftHi = hi; t.GiftStep = s;
        hi = mid;
        Volatile.Write(ref me.Hi, mid);
        Interlocked.Increment(ref _steals);
        Volatile.Write(ref t.Answer, Given);                                        // release: rows [mid, old hi) are at step s
    }

    /// <summary>Asks the running part with the most work left for rows; false when none is worth asking.</summary>
    private bool TakeOver(int part, out int lo, out int hi, out int s)
    {
        ref Lane me = ref _lanes[part];
        lo = hi = s = 0;
        while (true)
        {
            int victim = -1;
            long most = 0;
            for (int p = 0; p < _parts; p++)
            {
                if (p == part) continue;
                ref Lane v = ref _lanes[p];
                if (Volatile.Read(ref v.State) != Running) continue;                // not started or done
                long work = (long)(Volatile.Read(ref v.Hi) - Volatile.Read(ref v.Lo)) * (_steps - Volatile.Read(ref v.Next));
                if (Volatile.Read(ref v.Hi) - Volatile.Read(ref v.Lo) >= 2 * MinRows && _steps - Volatile.Read(ref v.Next) >= 3 && work > most)
                {
                    most = work; victim = p;
                }
            }
            if (victim < 0) return false;
            ref Lane vl = ref _lanes[victim];
            me.Answer = Pending;
            if (Interlocked.CompareExchange(ref vl.Request, part + 1, 0) != 0) { Thread.SpinWait(20); continue; }   // another thief asked first
            int spins = 0;
            while (true)
            {
                int answer = Volatile.Read(ref me.Answer);
                if (answer == Given)
                {
                    lo = me.GiftLo; hi = me.GiftHi; s = me.GiftStep;
                    me.Lo = lo; me.Hi = hi;
                    Volatile.Write(ref me.Next, s);                                 // this part is a victim candidate again
                    return true;
                }
                if (answer == Refused) break;
                if (Volatile.Read(ref vl.State) == Done && Interlocked.CompareExchange(ref vl.Request, 0, part + 1) == part + 1)
                    break;                                                          // it finished without seeing the request
                if (++spins < 20_000) Thread.SpinWait(1);
                else Thread.Yield();                                                // the victim is not running: let it
            }
        }
    }
}
