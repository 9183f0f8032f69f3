#!/usr/bin/env bash
# `recurrent train lm` vs ../shared/bench/torch_lm_quality.py in one sitting, from the repository root:
#   tools/bench/lm_side_by_side.sh [OUTDIR] [ROUNDS] [EPOCHS]
# The generalisation protocol of docs/results.md (2-layer LSTM H=256, one-hot, dropout 0.2, Adam 2e-3, B=32, T=64,
# clip 1, The Time Machine, seed 0), EPOCHS epochs (default 2) per run. Each round runs, one after the other,
# ours and PyTorch's at 1 thread, then both at 2 threads, so that a change in machine load hits both alike.
# Prints one line per run (training tokens/s as each program reports it, validation perplexity after the last
# epoch) and the Markdown table of means and best runs. Needs PyTorch under /usr/bin/python3.
set -euo pipefail
out=${1:-lm-bench-results}
rounds=${2:-2}
epochs=${3:-2}
mkdir -p "$out"
data=../shared/data/timemachine.txt
peer_dir=../shared/bench
[ -f "$data" ] || { echo "missing $data (corpora live in ../shared/data, never in the repo)" >&2; exit 1; }
[ -f "$peer_dir/torch_lm_quality.py" ] || { echo "missing $peer_dir/torch_lm_quality.py" >&2; exit 1; }
dotnet build -c Release src/Recurrent.Cli >/dev/null
cli=src/Recurrent.Cli/bin/Release/net10.0/Recurrent.Cli
results="$out/runs.tsv"
printf 'round\tprogram\tthreads\ttokens_per_s\tval_ppl\tload\n' > "$results"

for r in $(seq 1 "$rounds"); do
  for t in 1 2; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    "$cli" train lm --text "$data" --prep d2l --cell lstm --layers 2 --hidden 256 --dropout 0.2 --optimizer adam \
        --lr 2e-3 --batch 32 --steps 64 --epochs "$epochs" --clip-norm 1 --offset 0 --val-fraction 0.1 \
        --threads "$t" --seed 0 --quiet --out "$out/ours-r$r-t$t" >/dev/null
    python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["tokens_per_s"], m["val_perplexity"])' \
        "$out/ours-r$r-t$t/metrics.json" | { read -r tps ppl; printf '%s\tours\t%s\t%s\t%s\t%s\n' "$r" "$t" "$tps" "$ppl" "$load"; } | tee -a "$results"
    load=$(cut -d' ' -f1 /proc/loadavg)
    (cd "$peer_dir" && OMP_WAIT_POLICY=passive /usr/bin/python3 torch_lm_quality.py --text ../data/timemachine.txt \
        --prep d2l --cell lstm --seed 0 --threads "$t" --epochs "$epochs") > "$out/torch-r$r-t$t.jsonl"
    python3 -c 'import json,sys; f=[json.loads(l) for l in open(sys.argv[1]) if "\"final\"" in l][0]; print(f["train_tokens_per_s"], f["final_val_ppl"])' \
        "$out/torch-r$r-t$t.jsonl" | { read -r tps ppl; printf '%s\tpytorch\t%s\t%s\t%s\t%s\n' "$r" "$t" "$tps" "$ppl" "$load"; } | tee -a "$results"
  done
done

python3 - "$results" <<'EOF'
import csv, sys, statistics
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def tps(prog, t): return [float(r["tokens_per_s"]) for r in rows if r["program"] == prog and r["threads"] == str(t)]
print("\n| threads | ours tokens/s: mean (runs) | PyTorch tokens/s: mean (runs) | ratio of means |")
print("|---|---:|---:|---:|")
for t in (1, 2):
    o, p = tps("ours", t), tps("pytorch", t)
    print(f"| {t} | {statistics.mean(o):,.0f} ({', '.join(f'{x:,.0f}' for x in o)}) | "
          f"{statistics.mean(p):,.0f} ({', '.join(f'{x:,.0f}' for x in p)}) | **{statistics.mean(o) / statistics.mean(p):.2f}×** |")
best_o = max((statistics.mean(tps("ours", t)), t) for t in (1, 2))
best_p = max((statistics.mean(tps("pytorch", t)), t) for t in (1, 2))
print(f"| best of each (mean) | {best_o[0]:,.0f} ({best_o[1]}) | {best_p[0]:,.0f} ({best_p[1]}) | **{best_o[0] / best_p[0]:.2f}×** |")
EOF
