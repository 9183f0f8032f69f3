#!/usr/bin/env bash
# Recurrent vs PyTorch on the torch_charlm.py protocol, in one sitting, from the repository root:
#   tools/bench/side_by_side.sh [OUTDIR] [BATCHES] [WARMUP]
# Needs ../shared/bench/torch_charlm.py, ../shared/data/timemachine.txt and PyTorch under /usr/bin/python3.
# The two programs alternate per (cell, H) so that a change in machine load hits both alike.
# Writes OUTDIR/{ours,torch}.jsonl, the load average before/after each pair, and prints the Markdown table.
# SHORT=1 runs only the standard B=32, T=35 pairs (about 6 of the 9 minutes), for a quick sitting in a quiet window.
set -euo pipefail
out=${1:-bench-results}
batches=${2:-200}
warmup=${3:-20}
mkdir -p "$out"
data=../shared/data/timemachine.txt
peer=../shared/bench/torch_charlm.py
[ -f "$data" ] || { echo "missing $data (corpora live in ../shared/data, never in the repo)" >&2; exit 1; }
[ -f "$peer" ] || { echo "missing $peer" >&2; exit 1; }
dotnet build -c Release src/Recurrent.Cli >/dev/null
cli=src/Recurrent.Cli/bin/Release/net10.0/Recurrent.Cli
: > "$out/ours.jsonl"; : > "$out/torch.jsonl"; : > "$out/load.txt"
torch() { OMP_WAIT_POLICY=passive /usr/bin/python3 "$peer" --threads 1 1:2 2 "$@"; }

for h in 256 512; do
  for cell in rnn gru lstm; do
    echo "$(date -u +%H:%M:%S) $cell H=$h load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
    "$cli" bench --cell $cell --hidden $h --mode train infer --threads 1 2 --batches "$batches" --warmup "$warmup" \
        --data "$data" --json | tee -a "$out/ours.jsonl"
    torch --models $cell --hidden $h --modes train infer --batches "$batches" --warmup "$warmup" | tee -a "$out/torch.jsonl"
  done
done
# Long sequences (T = 1000, B = 8): 20 measured minibatches of 8000 tokens.
[ "${SHORT:-0}" = 1 ] || for cell in rnn gru lstm; do
  echo "$(date -u +%H:%M:%S) $cell long load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
  "$cli" bench --cell $cell --hidden 256 --batch 8 --steps 1000 --batches 20 --warmup 3 --mode train infer --threads 1 2 \
      --data "$data" --json | tee -a "$out/ours.jsonl"
  torch --models $cell --hidden 256 --modes train infer --batch-size 8 --num-steps 1000 --batches 20 --warmup 3 | tee -a "$out/torch.jsonl"
done
# Generation: batch 1, token by token through the step-wise cell (Recurrent only; the peer has no such mode).
[ "${SHORT:-0}" = 1 ] || "$cli" bench --cell all --hidden 256 512 --mode generate --batches 100 --warmup 10 --data "$data" --json | tee "$out/ours_generate.jsonl"
echo "$(date -u +%H:%M:%S) end load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
python3 tools/bench/compare.py "$out/ours.jsonl" "$out/torch.jsonl" | tee "$out/table.md"
