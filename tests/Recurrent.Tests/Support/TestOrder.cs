// Test classes run one after another, not in parallel. Several of them set process-wide switches
// (Parallelism.Threads, the work thresholds, the pipeline and fused-head switches) that other classes read,
// and some assert allocation per step, which a concurrent switch to more threads (a new worker) would break.
// The results of every path do not depend on these switches; the timing and allocation assertions do.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
