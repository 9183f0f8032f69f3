#!/usr/bin/env bash
# Regenerates every number and plot in docs/lessons.md:
#
#     tools/lessons/run_all.sh                 # everything (hours on a 2-core machine; see docs/lessons.md)
#     tools/lessons/run_all.sh adding docs     # only some sections
#
# Sections, in the order they run: gradients adding trained seeds copy lm docs (and, only when named, torch).
# Runs go to runs/lessons/ (git-ignored). A finished run (marked by DIR.done) is skipped, so an
# interrupted invocation continues where it stopped, and two invocations started side by side share the
# runs (one .running marker per run). FORCE=1 reruns everything.
# The Time Machine is read from ../shared/data (never copied here); without it the lm section says so and is skipped.
# Every run uses one kernel thread and, on a shared machine, idle CPU priority (chrt -i 0, nice 19) so builds and
# benchmarks keep the CPU; PRIORITY=normal runs at normal priority (faster on a machine of your own).
# Knobs (environment): LENGTHS="100 50 200 400" STEPS=3000 SEEDS="1 2 3 4" COPY_LENGTHS="50" LM_EPOCHS=20 SEED=42 REBUILD=1 PRIORITY=idle
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
RUNS=${RUNS:-runs/lessons}
LENGTHS=${LENGTHS:-"100 50 200 400"}
STEPS=${STEPS:-3000}
COPY_LENGTHS=${COPY_LENGTHS:-"50"}
LM_EPOCHS=${LM_EPOCHS:-20}
SEED=${SEED:-42}
SEEDS=${SEEDS:-"1 2 3 4"}
FORCE=${FORCE:-0}
PRIORITY=${PRIORITY:-idle}
TEXT=../shared/data/timemachine.txt
SECTIONS=${*:-gradients adding trained seeds copy lm docs}

mkdir -p "$RUNS"
# A private copy of the tool, so rebuilding the source tree never swaps DLLs under a running experiment.
# REBUILD=1 refreshes it; the swap is two renames, so a run still going keeps its (open) old files.
if [ ! -f "$RUNS/bin/Recurrent.Cli.dll" ] || [ -n "${REBUILD:-}" ]; then
  rm -rf "$RUNS/bin.new" "$RUNS/bin.old"
  dotnet build -c Release src/Recurrent.Cli -o "$RUNS/bin.new" 2>&1 | tail -2
  if [ -d "$RUNS/bin" ]; then mv "$RUNS/bin" "$RUNS/bin.old"; fi
  mv "$RUNS/bin.new" "$RUNS/bin"
fi
recurrent() {
  if [ "$PRIORITY" = idle ] && command -v chrt > /dev/null; then
    chrt -i 0 nice -n 19 dotnet "$ROOT/$RUNS/bin/Recurrent.Cli.dll" "$@" --threads 1
  else
    dotnet "$ROOT/$RUNS/bin/Recurrent.Cli.dll" "$@" --threads 1
  fi
}

# run DIR ARGS...: runs `recurrent ARGS... --out DIR` (stdout to DIR.out, stderr to DIR.log, times to DIR.time) unless DIR.done
# exists. DIR.done records the exit code: a diverging run (exit 1) is a result too, not a reason to retry;
# an interrupted one (exit 130: Ctrl-C, its metrics are those of the last evaluation) is run again.
run() {
  local dir=$1; shift
  if [ -f "$dir.done" ] && [ "$FORCE" != 1 ] && [ "$(cat "$dir.done")" != 130 ]; then echo "skip $dir (done: exit $(cat "$dir.done"))"; return 0; fi
  # Another invocation running the same run (two invocations may share the work): leave it alone.
  if [ -f "$dir.running" ] && kill -0 "$(cat "$dir.running")" 2>/dev/null; then echo "skip $dir (running in process $(cat "$dir.running"))"; return 0; fi
  echo "$(date +%H:%M:%S) run $dir: recurrent $*"
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir" "$dir.done"
  echo $$ > "$dir.running"
  local code=0 TIMEFORMAT='%R %U %S'   # wall, user and system seconds of the run, into DIR.time
  { time recurrent "$@" --out "$dir" > "$dir.out" 2> "$dir.log" || code=$?; } 2> "$dir.time"
  echo "$code" > "$dir.done"
  rm -f "$dir.running"
  if [ "$code" = 0 ]; then echo "$(date +%H:%M:%S) done $dir"
  else echo "$(date +%H:%M:%S) exit $code: $dir: $(tail -1 "$dir.log")"; fi
}

cell_args() {   # rnn | gru | lstm | lstm-fb1
  case $1 in
    lstm-fb1) echo "--cell lstm --forget-bias 1" ;;
    *) echo "--cell $1" ;;
  esac
}

for section in $SECTIONS; do
  case $section in
  gradients)
    # Fresh models at PyTorch's init, the LSTM with the forget-gate bias, and an exploding vanilla RNN.
    run "$RUNS/gradients/fresh" diagnose gradients --cell all --length 100 --hidden 128 --seed "$SEED"
    run "$RUNS/gradients/fresh-fb1" diagnose gradients --cell lstm --forget-bias 1 --length 100 --hidden 128 --seed "$SEED"
    run "$RUNS/gradients/explode" diagnose gradients --cell rnn,gru,lstm --length 100 --hidden 128 --init-scale 4 --seed "$SEED"
    ;;
  adding)
    for T in $LENGTHS; do
      for c in lstm-fb1 gru lstm rnn; do
        # shellcheck disable=SC2046
        run "$RUNS/adding/T$T-$c" train adding --length "$T" $(cell_args $c) --train-steps "$STEPS" --hidden 128 --batch 64 --lr 1e-3 --clip 1 --eval-every 100 --seed "$SEED"
      done
    done
    ;;
  seeds)
    # How much of "solves / stays on the plateau" at T=100 is the seed: the same runs with other seeds.
    for seed in $SEEDS; do
      for c in lstm-fb1 lstm gru; do
        # shellcheck disable=SC2046
        run "$RUNS/seeds/T100-$c-s$seed" train adding --length 100 $(cell_args $c) --train-steps "$STEPS" --hidden 128 --batch 64 --lr 1e-3 --clip 1 --eval-every 100 --seed "$seed"
      done
    done
    ;;
  trained)
    # The same diagnosis for the models trained on the adding problem at T=100.
    for c in rnn gru lstm lstm-fb1; do
      if [ -f "$RUNS/adding/T100-$c/model.safetensors" ]; then
        run "$RUNS/gradients/trained-$c" diagnose gradients --trained "$RUNS/adding/T100-$c" --seed "$SEED"
      else
        echo "skip trained-$c: run the adding section (T=100) first"
      fi
    done
    ;;
  copy)
    for T in $COPY_LENGTHS; do
      for c in lstm-fb1 gru lstm rnn; do
        # shellcheck disable=SC2046
        run "$RUNS/copy/T$T-$c" train copy --length "$T" $(cell_args $c) --train-steps "$STEPS" --hidden 128 --batch 64 --lr 1e-3 --clip 1 --eval-every 100 --seed "$SEED"
      done
    done
    ;;
  lm)
    if [ ! -f "$TEXT" ]; then
      echo "lm: $TEXT is missing (The Time Machine, from ../shared/data); skipping the clipping and truncation runs."
      continue
    fi
    # d2l's from-scratch RNN: one-hot characters, vanilla RNN H=512, SGD lr 1, B=32, sequential minibatches.
    LM="train lm --text $TEXT --cell rnn --hidden 512 --optimizer sgd --lr 1 --batch 32 --epochs $LM_EPOCHS --seed $SEED"
    # shellcheck disable=SC2086
    {
      run "$RUNS/lm/clip-T35" $LM --steps 35 --clip-norm 1
      run "$RUNS/lm/noclip-T35" $LM --steps 35 --clip-norm 0
      run "$RUNS/lm/clip-T5" $LM --steps 5 --clip-norm 1
      run "$RUNS/lm/clip-T200" $LM --steps 200 --clip-norm 1
      run "$RUNS/lm/clip-random35" $LM --steps 35 --bptt random --clip-norm 1
    }
    ;;
  torch)
    # Optional (not in the default list): the PyTorch twin of the adding runs, for comparison.
    # Needs PyTorch for /usr/bin/python3 (see ../shared/README.md); one run takes ~30 min here.
    mkdir -p "$RUNS/torch"
    for c in ${TORCH_CELLS:-lstm-fb1}; do
      out="$RUNS/torch/T100-$c.jsonl"
      if [ -s "$out" ] && [ "$FORCE" != 1 ]; then echo "skip $out (done)"; continue; fi
      fb=0; cell=$c; if [ "$c" = lstm-fb1 ]; then fb=1; cell=lstm; fi
      /usr/bin/python3 tools/lessons/torch_adding.py --cell "$cell" --forget-bias "$fb" --length 100 --steps "$STEPS" --seed "$SEED" > "$out.tmp" && mv "$out.tmp" "$out"
    done
    ;;
  docs)
    python3 tools/lessons/make_docs.py --runs "$RUNS" --docs docs
    ;;
  *) echo "unknown section '$section' (expected gradients, adding, trained, seeds, copy, lm, docs)" >&2; exit 2 ;;
  esac
done
