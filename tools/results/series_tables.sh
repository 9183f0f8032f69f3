#!/usr/bin/env bash
# Regenerates the forecasting and classification numbers of docs/results.md with the CLI:
#   the noisy-sine forecaster over seeds 1–10 and 42 (default settings, and --cell lstm|rnn),
#   the negation task over seeds 42, 1, 2 (LSTM, biLSTM with last/mean/max pooling, GRU, RNN; the
#   bag-of-words baseline is trained in every run).
# Usage: tools/results/series_tables.sh [OUTDIR]   (default runs/results-series; about 30 min on 1 core)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-runs/results-series}
mkdir -p "$out"
dotnet build -c Release src/Recurrent.Cli >/dev/null
recurrent() { dotnet src/Recurrent.Cli/bin/Release/net10.0/Recurrent.Cli.dll "$@"; }

echo "# sine: config seed test_mse_1step test_rmse_1step test_mae_1step | test_mse_kstep 1 4 16 64 | naive_mse_kstep 1 4 16 64 | mlp_book_mse_1step clean_signal_mse_1step"
for extra in "" "--cell lstm" "--cell rnn"; do
  for seed in 1 2 3 4 5 6 7 8 9 10 42; do
    dir="$out/sine${extra// /}-$seed"
    recurrent train --seed "$seed" $extra --out "$dir" -q > /dev/null
    python3 - "$dir/metrics.json" "${extra:-default}" "$seed" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); k = m["test_mse_kstep"]; n = m["naive_mse_kstep"]
print(f"{sys.argv[2]:12s} {sys.argv[3]:>3s} {m['test_mse_1step']:.4f} {m['test_rmse_1step']:.4f} {m['test_mae_1step']:.4f} | "
      f"{k['1']:.4f} {k['4']:.4f} {k['16']:.4f} {k['64']:.4f} | {n['1']:.4f} {n['4']:.4f} {n['16']:.4f} {n['64']:.4f} | "
      f"{m['mlp_book_mse_1step']:.4f} {m['clean_signal_mse_1step']:.4f}")
PY
  done
done

echo "# negation: config seed test_accuracy test_macro_f1 bow_test_accuracy majority_class_accuracy"
for extra in "" "--bidirectional" "--bidirectional --pool mean" "--bidirectional --pool max" "--cell gru" "--cell rnn"; do
  for seed in 42 1 2; do
    dir="$out/negation${extra// /}-$seed"
    recurrent train classify --task negation --seed "$seed" $extra --out "$dir" -q > /dev/null
    python3 - "$dir/metrics.json" "${extra:-default}" "$seed" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]:28s} {sys.argv[3]:>3s} {m['test_accuracy']:.4f} {m['test_macro_f1']:.4f} {m['bow_test_accuracy']:.4f} {m['majority_class_accuracy']:.4f}")
PY
  done
done
