// RowStepScheduler (row-split time loops with hand-over of rows at step boundaries): every (row, step) runs exactly
// once, each row's steps in order and never on two threads at once, whatever the split and the timing.
using Recurrent.Kernels;

namespace Recurrent.Tests.Kernels;

public class RowStepSchedulerTests
{
    /// <summary>Records the steps of every row; a violation is remembered (asserting on a worker thread would be lost).</summary>
    private sealed class Recorder(int rows)
    {
        public readonly int[] Next = new int[rows];
        public readonly int[] Busy = new int[rows];
        public volatile string? Failure;
    }

    private struct Body(Recorder rec, Func<int, int, bool>? stall) : IRowStepBody
    {
        public void RunStep(int row0, int rows, int step)
        {
            for (int r = row0; r < row0 + rows; r++)
            {
                if (Interlocked.Exchange(ref rec.Busy[r], 1) != 0) rec.Failure ??= $"row {r} run by two threads at step {step}";
                if (Volatile.Read(ref rec.Next[r]) != step) rec.Failure ??= $"row {r}: step {step} run when step {rec.Next[r]} was due";
                Volatile.Write(ref rec.Next[r], step + 1);
            }
            while (stall is not null && stall(row0, step)) Thread.SpinWait(10);
            for (int r = row0; r < row0 + rows; r++) Volatile.Write(ref rec.Busy[r], 0);
        }
    }

    private static void RunParts(RowStepScheduler sched, int parts, Recorder rec, Func<int, int, bool>? stall, int? slowFirst = null)
    {
        var threads = new Thread[parts];
        for (int p = 0; p < parts; p++)
        {
            int part = p;
            threads[p] = new Thread(() =>
            {
                var body = new Body(rec, stall);
                try { sched.RunPart(part, ref body); }
                catch (Exception e) { rec.Failure ??= e.ToString(); }
            });
        }
        if (slowFirst is int first)
        {
            threads[first].Start();
            SpinWait.SpinUntil(() => rec.Next.Any(n => n > 0) || rec.Failure is not null, 10_000);
        }
        for (int p = 0; p < parts; p++) if (p != slowFirst) threads[p].Start();
        foreach (var t in threads) t.Join();
    }

    [Theory]
    [InlineData(32, 35, 2)]
    [InlineData(8, 1000, 2)]
    [InlineData(13, 9, 3)]
    [InlineData(3, 5, 4)]        // fewer rows than parts: some blocks are empty
    [InlineData(1, 1, 2)]
    [InlineData(17, 40, 5)]
    public void EveryRowRunsEveryStepOnceInOrder(int rows, int steps, int parts)
    {
        var sched = new RowStepScheduler();
        for (int round = 0; round < 3; round++)                                       // reused across loops, as in FusedCharLm
        {
            var rec = new Recorder(rows);
            sched.Reset(rows, steps, parts);
            sched.SlowPartForTests = round == 1 ? parts - 1 : -1;                      // round 1: one part slow, provoking hand-overs
            RunParts(sched, parts, rec, stall: null);
            Assert.Null(rec.Failure);
            Assert.All(rec.Next, n => Assert.Equal(steps, n));
        }
    }

    [Fact]
    public void AnIdleThreadTakesOverHalfOfABusyThreadsRows()
    {
        // Part 1 starts first and stalls at step 2 until part 0 has finished its own block: part 0 must then ask for
        // rows, and part 1 hands over the upper half of its block at its next step boundary.
        const int Rows = 16, Steps = 30;
        var sched = new RowStepScheduler();
        sched.Reset(Rows, Steps, 2);
        var rec = new Recorder(Rows);
        bool otherBlockDone = false;
        bool Stall(int row0, int step)                                                  // blocks are claimed in order: the part started first has rows 0..7
        {
            if (row0 == Rows / 2 && step == Steps - 1) Volatile.Write(ref otherBlockDone, true);
            return row0 == 0 && step == 2 && !Volatile.Read(ref otherBlockDone);
        }
        int before = sched.Steals;
        RunParts(sched, 2, rec, Stall, slowFirst: 1);
        Assert.Null(rec.Failure);
        Assert.All(rec.Next, n => Assert.Equal(Steps, n));
        Assert.True(sched.Steals > before, "no rows were handed over although one part was idle and the other had 27 steps of 8 rows left");
    }
}
