// The backward pass of a small Linear layer (y = x·Wᵀ + b) as two independent parts for two threads: dx = dy·W
// on one, dW = dyᵀ·x and db = Σ_rows dy on the other. Each GEMM runs whole on the calling thread of its part
// (PartGemm serial), exactly as the one-thread path runs it, so the values do not depend on who runs which part.
// Why: a language model's head ([B·T, H]·[H, V], V ≈ 30) is too small to split a GEMM across threads (waking the
// worker cost more than it saved), but its two products take ~4 ms together at B·T = 2048, H = 256.
using System.Numerics;
using Recurrent.Kernels;

namespace Recurrent.Ops;

/// <summary>Part 0: dx [N, I] += dy [N, O]·W [O, I]; part 1: dW [O, I] += dyᵀ·x [N, I] and db [O] += Σ_rows dy.
/// With one part both run, in that order.</summary>
internal readonly struct LinearBackwardParts<T>(int rows, int inF, int outF, T[] dy, T[] w, T[] x, T[] dx, T[] dw, T[]? db) : IParallelBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(int part, int parts)
    {
        if (parts == 1 || part == 0)
            PartGemm.Multiply(false, false, rows, inF, outF, dy, w, dx, accumulate: true, serial: true);
        if (parts == 1 || part == 1)
        {
            PartGemm.Multiply(true, false, outF, inF, rows, dy, x, dw, accumulate: true, serial: true);
            if (db is not null) Elementwise.SumRowsInto<T>(dy, db);
        }
    }
}
