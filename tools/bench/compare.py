#!/usr/bin/env python3
"""Side-by-side table of `recurrent bench --json` and ../shared/bench/torch_charlm.py output (JSON lines).

Usage: compare.py ours.jsonl torch.jsonl            (wall clock, best thread setting of each side)
       compare.py --cpu ours.jsonl torch_cpu.jsonl   (one thread, tokens per CPU-second: ours from
           cpu_seconds, torch from tools/bench/torch_charlm_cputime.py whose "seconds" are CPU seconds)
For each (cell, hidden, mode, batch, steps) it takes the best tokens/s over the thread settings of each
side (the issue compares against PyTorch "at its best thread setting") and prints a Markdown table with
the ratio, plus the per-thread figures. Lines that are not benchmark results (env headers) are skipped.
"""
import json
import sys
from collections import defaultdict


def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            rows.append(json.loads(line))
    return rows


def main():
    cpu = sys.argv[1] == "--cpu"
    args = sys.argv[2:] if cpu else sys.argv[1:]
    ours_rows, torch_rows = load(args[0]), load(args[1])
    if cpu:
        for r in ours_rows:
            if r.get("bench") == "recurrent_charlm":
                r["tokens_per_s"] = r["measured_batches"] * r["batch"] * r["steps"] / r["cpu_seconds"]
        ours_rows = [r for r in ours_rows if r.get("threads") == 1]
        torch_rows = [r for r in torch_rows if r.get("threads") == "1"]
    ours = defaultdict(dict)   # key -> threads -> row
    for r in ours_rows:
        if r.get("bench") != "recurrent_charlm":
            continue
        key = (r["cell"], r["hidden"], r["mode"], r["batch"], r["steps"])
        ours[key][str(r["threads"])] = r
    torch = defaultdict(dict)
    for r in torch_rows:
        if r.get("bench") != "torch_charlm":
            continue
        key = (r["model"], r["hidden"], r["mode"], r["batch_size"], r["num_steps"])
        torch[key][r["threads"]] = r

    print("| cell | H | B×T | mode | Recurrent tok/s (threads) | PyTorch tok/s (threads) | ratio | Recurrent per thread count | PyTorch per thread setting |")
    print("|---|---|---|---|---:|---:|---:|---|---|")
    order = {"rnn": 0, "gru": 1, "lstm": 2}
    for key in sorted(set(ours) | set(torch), key=lambda k: (k[3] * k[4] != 1120, k[1], order.get(k[0], 9), k[2])):
        cell, h, mode, b, t = key
        o, p = ours.get(key, {}), torch.get(key, {})
        bo = max(o.items(), key=lambda kv: kv[1]["tokens_per_s"]) if o else None
        bp = max(p.items(), key=lambda kv: kv[1]["tokens_per_s"]) if p else None
        ratio = f"**{bo[1]['tokens_per_s'] / bp[1]['tokens_per_s']:.2f}×**" if bo and bp else "—"
        fo = f"{bo[1]['tokens_per_s']:,.0f} ({bo[0]})" if bo else "—"
        fp = f"{bp[1]['tokens_per_s']:,.0f} ({bp[0]})" if bp else "—"
        po = ", ".join(f"{k}: {v['tokens_per_s']:,.0f}" for k, v in sorted(o.items()))
        pp = ", ".join(f"{k}: {v['tokens_per_s']:,.0f}" for k, v in sorted(p.items()))
        print(f"| {cell} | {h} | {b}×{t} | {mode} | {fo} | {fp} | {ratio} | {po} | {pp} |")


if __name__ == "__main__":
    main()
