#!/usr/bin/env bash
# Recurrent vs PyTorch on the torch_charlm.py protocol, in one sitting, from the repository root:
#   tools/bench/side_by_side.sh [OUTDIR]
# Needs ../shared/bench/torch_charlm.py, ../shared/data/timemachine.txt and PyTorch under /usr/bin/python3.
# Writes OUTDIR/{ours,torch}.jsonl (+ long-sequence and generate runs) and prints the Markdown table.
set -euo pipefail
out=${1:-bench-results}
mkdir -p "$out"
data=../shared/data/timemachine.txt
peer=../shared/bench/torch_charlm.py
[ -f "$data" ] || { echo "missing $data (corpora live in ../shared/data, never in the repo)" >&2; exit 1; }
[ -f "$peer" ] || { echo "missing $peer" >&2; exit 1; }
dotnet build -c Release src/Recurrent.Cli >/dev/null
cli=src/Recurrent.Cli/bin/Release/net10.0/Recurrent.Cli

echo "load before: $(cat /proc/loadavg)" | tee "$out/load.txt"
# Standard shape B=32, T=35: every cell × H ∈ {256, 512} × {train, infer}, 1 and 2 threads.
"$cli" bench --cell all --hidden 256 512 --mode train infer --threads 1 2 --data "$data" --json | tee "$out/ours.jsonl"
OMP_WAIT_POLICY=passive /usr/bin/python3 "$peer" --models rnn gru lstm --hidden 256 512 --threads 1 1:2 2 \
    --modes train infer --header | tee "$out/torch.jsonl"
# Long sequences (T = 1000, B = 8) and generation (batch 1, token by token; Recurrent only).
"$cli" bench --cell all --hidden 256 --batch 8 --steps 1000 --batches 20 --warmup 3 --mode train infer --threads 1 2 \
    --data "$data" --json | tee "$out/ours_long.jsonl"
OMP_WAIT_POLICY=passive /usr/bin/python3 "$peer" --models rnn gru lstm --hidden 256 --threads 1 1:2 2 --modes train infer \
    --batch-size 8 --num-steps 1000 --batches 20 --warmup 3 | tee "$out/torch_long.jsonl"
"$cli" bench --cell all --hidden 256 512 --mode generate --batches 100 --warmup 10 --data "$data" --json | tee "$out/ours_generate.jsonl"
echo "load after: $(cat /proc/loadavg)" | tee -a "$out/load.txt"

cat "$out/ours.jsonl" "$out/ours_long.jsonl" > "$out/ours_all.jsonl"
cat "$out/torch.jsonl" "$out/torch_long.jsonl" > "$out/torch_all.jsonl"
python3 tools/bench/compare.py "$out/ours_all.jsonl" "$out/torch_all.jsonl" | tee "$out/table.md"
