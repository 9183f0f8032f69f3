#!/usr/bin/env bash
# Regenerates the language-model numbers of docs/results.md with the CLI:
#   book         The Time Machine, d2l prep, first 10,000 characters, B=32, T=35, SGD, gradient-norm clip 1,
#                500 epochs, seed 0: the six models of d2l chapters 9–10, and their generations;
#   quality      generalisation: the protocol of ../shared/bench/torch_lm_quality.py, ours and PyTorch's run
#                concurrently in pairs (one thread each) so both see the same machine load;
#   shakespeare  tiny Shakespeare with --prep raw: corpus statistics (char and word), a 2-layer LSTM trained
#                2 epochs, continued to 3 and then to 5 with --resume, greedy and sampled generations;
#   checks       the bad-input behaviour as a user meets it (missing/empty/binary/invalid UTF-8/short text,
#                a prefix outside the vocabulary, divergence, Ctrl-C) and a Portuguese round trip (ã, ç, é);
#   tables       prints the markdown tables and lists from the metrics.json files in $OUT.
# Usage: tools/results/lm_tables.sh [book|generations|quality|shakespeare|checks|tables|all]
# Outputs go to $OUT (default runs/lm-results). Runs already finished there are kept; unfinished ones continue
# with --resume. Long runs go at idle priority (PRIORITY="chrt -i 0 nice -n 19"; PRIORITY= to run normally),
# from a private copy of the CLI in $OUT/bin, so rebuilding the repository never swaps a running binary.
# CPU seconds of every invocation (user, system) are appended to NAME.cpu when GNU time is installed.
# Cost on one core: book ≈ 1.5 CPU-hours (the bidirectional LSTM ≈ 2.4 CPU-s per epoch), quality ≈ 1.5 hours
# wall (three pairs), shakespeare ≈ 9 CPU-minutes (≈ 10,000 tokens per CPU-second).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-runs/lm-results}
DATA=../shared/data
PRIORITY=${PRIORITY-chrt -i 0 nice -n 19}
what=${1:-all}
mkdir -p "$OUT"
BIN="$OUT/bin"

build() {
  if [ ! -f "$BIN/Recurrent.Cli.dll" ] || [ "${REBUILD:-0}" = 1 ]; then dotnet build -c Release src/Recurrent.Cli -o "$BIN" >/dev/null; fi
}
recurrent() { dotnet "$BIN/Recurrent.Cli.dll" "$@"; }
# heavy NAME ARGS…: a long run at $PRIORITY; SIGINT is reset to its default (a background job of a
# non-interactive shell inherits it ignored) so that Ctrl-C / kill -INT still saves a checkpoint.
heavy() {
  local name=$1; shift
  local timer=()
  if [ -x /usr/bin/time ]; then timer=(/usr/bin/time -a -o "$OUT/$name.cpu" -f "%U %S"); fi
  "${timer[@]}" perl -e '$SIG{INT}="DEFAULT"; exec @ARGV' $PRIORITY dotnet "$BIN/Recurrent.Cli.dll" "$@"
}
need() { if [ ! -f "$DATA/$1" ]; then echo "missing $DATA/$1 (corpora live beside the repository, never inside it)" >&2; exit 1; fi; }
# state DIR EPOCHS: new (no checkpoint), resume (last/ exists, fewer epochs or interrupted) or done.
state() {
  if [ ! -d "$1/last" ] && [ ! -d "$1/last.old" ]; then echo new; return; fi
  python3 - "$1/metrics.json" "$2" <<'PY'
import json, sys
try: m = json.load(open(sys.argv[1]))
except Exception: print("resume"); sys.exit()
print("done" if m["epochs"] >= int(sys.argv[2]) and not m["interrupted"] else "resume")
PY
}
# train NAME EPOCHS ARGS…: a fresh run into $OUT/NAME, or its continuation, or nothing when it is done.
train() {
  local name=$1 epochs=$2; shift 2
  case $(state "$OUT/$name" "$epochs") in
    new) heavy "$name" train lm "$@" --epochs "$epochs" --out "$OUT/$name" > "$OUT/$name.json" 2> "$OUT/$name.log" ;;
    resume) heavy "$name" train lm --resume "$OUT/$name" --epochs "$epochs" --threads 1 > "$OUT/$name.json" 2>> "$OUT/$name.log" ;;
    done) ;;
  esac
}

BOOK=(book-rnn512 book-rnn256 book-gru256 book-lstm256 book-lstm2x256 book-bilstm2x256)
book() {
  need timemachine.txt
  local common=(--text "$DATA/timemachine.txt" --prep d2l --max-tokens 10000 --val-fraction 0 --optimizer sgd --clip-norm 1
                --batch 32 --steps 35 --seed 0 --threads 1 --log-every 50 --save-every 20)
  train book-rnn512      500 "${common[@]}" --cell rnn  --hidden 512 --lr 1
  train book-rnn256      500 "${common[@]}" --cell rnn  --hidden 256 --lr 1
  train book-gru256      500 "${common[@]}" --cell gru  --hidden 256 --lr 1
  train book-lstm256     500 "${common[@]}" --cell lstm --hidden 256 --lr 1
  train book-lstm2x256   500 "${common[@]}" --cell lstm --hidden 256 --layers 2 --lr 2
  train book-bilstm2x256 500 "${common[@]}" --cell lstm --hidden 256 --layers 2 --bidirectional --lr 1
  generations
}

# The book's check of each model: greedy continuations of "time traveller" and "traveller" (50 characters),
# from the final epoch (last/), one line per model: NAME<TAB>continuation<TAB>continuation.
generations() {
  : > "$OUT/book-generations.tsv"
  for name in "${BOOK[@]}"; do
    [ -d "$OUT/$name/last" ] || continue
    printf '%s\t%s\t%s\n' "$name" \
      "$(recurrent generate --model "$OUT/$name/last" --prefix "time traveller" --length 50)" \
      "$(recurrent generate --model "$OUT/$name/last" --prefix "traveller" --length 50)" >> "$OUT/book-generations.tsv"
  done
}

quality() {
  need timemachine.txt
  local ours=(train lm --text "$DATA/timemachine.txt" --prep d2l --layers 2 --hidden 256 --dropout 0.2 --optimizer adam --lr 2e-3
              --batch 32 --steps 64 --epochs 20 --clip-norm 1 --offset 0 --val-fraction 0.1 --threads 1)
  pair() {
    local cell=$1 seed=$2 name="q-$1-s$2"
    if [ "$(state "$OUT/$name" 20)" = done ] && [ -s "$OUT/torch-$cell-s$seed.jsonl" ]; then return; fi
    rm -rf "${OUT:?}/$name"
    heavy "$name" "${ours[@]}" --cell "$cell" --seed "$seed" --out "$OUT/$name" > "$OUT/$name.json" 2> "$OUT/$name.log" &
    local a=$!
    (cd ../shared/bench && $PRIORITY /usr/bin/python3 torch_lm_quality.py --text ../data/timemachine.txt --prep d2l --cell "$cell" --seed "$seed" --threads 1) \
      > "$OUT/torch-$cell-s$seed.jsonl" 2> "$OUT/torch-$cell-s$seed.err" &
    local b=$!
    wait $a $b
  }
  pair lstm 0
  pair lstm 1
  pair gru 0
}

shakespeare() {
  need tinyshakespeare.txt
  local text="$DATA/tinyshakespeare.txt"
  recurrent corpus --text "$text" --prep raw --level char --top 5 --plot "$OUT/shakespeare-zipf-char.svg" > "$OUT/shakespeare-corpus-char.txt"
  recurrent corpus --text "$text" --prep raw --level word --top 5 --plot "$OUT/shakespeare-zipf-word.svg" > "$OUT/shakespeare-corpus-word.txt"
  local args=(--text "$text" --prep raw --cell lstm --layers 2 --hidden 256 --dropout 0.2 --optimizer adam --lr 2e-3
              --batch 32 --steps 64 --clip-norm 1 --val-fraction 0.1 --seed 0 --threads 1)
  train shakespeare 2 "${args[@]}"          # 2 epochs …
  train shakespeare 3 "${args[@]}"          # … --resume to 3 …
  train shakespeare 5 "${args[@]}"          # … and again to 5
  local m="$OUT/shakespeare"                # best/ (lowest validation perplexity)
  {
    echo "## greedy"; recurrent generate --model "$m" --prefix "ROMEO:" --length 200
    echo "## --temperature 0.8 --top-k 10 --seed 1"; recurrent generate --model "$m" --prefix "ROMEO:" --length 300 --temperature 0.8 --top-k 10 --seed 1
    echo "## --temperature 1 --top-p 0.9 --seed 2"; recurrent generate --model "$m" --prefix "JULIET:" --length 300 --temperature 1 --top-p 0.9 --seed 2
  } > "$OUT/shakespeare-generations.txt"
}

# checks: each line of checks.txt is "what | exit code | first line of stderr".
checks() {
  need timemachine.txt
  local d="$OUT/checks" tm="$DATA/timemachine.txt"
  rm -rf "$d"; mkdir -p "$d"
  : > "$d/empty.txt"
  printf 'abc\0def\n' > "$d/binary.dat"
  printf 'caf\xe9 com leite\n' > "$d/latin1.txt"
  printf 'too short\n' > "$d/short.txt"
  log() { local what=$1; shift; local rc=0; "$@" > "$d/out.txt" 2> "$d/err.txt" || rc=$?; echo "$what | $rc | $(grep -v '^\s*$' "$d/err.txt" | tail -1)" >> "$d/checks.txt"; }
  : > "$d/checks.txt"
  local small=(--hidden 32 --batch 8 --steps 10 --threads 1 --quiet)
  log "missing file" recurrent train lm --text "$d/missing.txt" --out "$d/r1" "${small[@]}"
  log "empty file" recurrent train lm --text "$d/empty.txt" --out "$d/r1" "${small[@]}"
  log "binary file" recurrent train lm --text "$d/binary.dat" --out "$d/r1" "${small[@]}"
  log "invalid UTF-8 (Latin-1 é)" recurrent train lm --text "$d/latin1.txt" --out "$d/r1" "${small[@]}"
  log "text shorter than one minibatch" recurrent train lm --text "$d/short.txt" --out "$d/r1" "${small[@]}"
  log "corpus on a binary file" recurrent corpus --text "$d/binary.dat" --plot "$d/z.svg"
  # Divergence after a good epoch: SGD lr 1 for one epoch, then resumed at lr 1e6 without clipping.
  recurrent train lm --text "$tm" --max-tokens 20000 --optimizer sgd --lr 1 --clip-norm 0 --epochs 1 --out "$d/nan" "${small[@]}" > /dev/null
  log "loss explodes (resume at --lr 1e6, no clipping)" recurrent train lm --resume "$d/nan" --epochs 3 --lr 1e6 --quiet
  echo "after divergence: last/ holds epoch $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['progress']['completed_epochs'])" "$d/nan/last/trainer.json")" >> "$d/checks.txt"
  # Ctrl-C: SIGINT once the first steps are logged; the run saves last/ and exits 130, --resume finishes it.
  perl -e '$SIG{INT}="DEFAULT"; exec @ARGV' dotnet "$BIN/Recurrent.Cli.dll" train lm --text "$tm" --max-tokens 30000 --epochs 3 --out "$d/int" "${small[@]}" > /dev/null 2> "$d/int.err" &
  local pid=$! n=0 rc=0
  until [ -f "$d/int/steps.csv" ] && [ "$(wc -l < "$d/int/steps.csv")" -gt 3 ]; do sleep 0.2; n=$((n + 1)); [ $n -lt 600 ] || break; done
  kill -INT $pid; wait $pid || rc=$?
  echo "Ctrl-C (kill -INT) | $rc | $(tail -1 "$d/int.err")" >> "$d/checks.txt"
  log "--resume after Ctrl-C" recurrent train lm --resume "$d/int"
  echo "  resumed run: $(python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(m['epochs'], 'epochs, interrupted', m['interrupted'])" "$d/int/metrics.json")" >> "$d/checks.txt"
  if [ -d "$OUT/shakespeare" ]; then
    log "prefix outside the vocabulary (Shakespeare model)" recurrent generate --model "$OUT/shakespeare" --prefix "ROMEO: olá" --length 10
  fi
  log "prefix outside the vocabulary (d2l model)" recurrent generate --model "$d/nan/best" --prefix "Time Traveller" --length 10
  # Portuguese with --prep raw: the accents survive reading, the vocabulary, training and generation.
  python3 - "$d/pt.txt" <<'PY'
import sys
line = "A ação começou às três horas; ela é útil, o coração não pára. São Paulo, João e Conceição.\n"
open(sys.argv[1], "w", encoding="utf-8").write(line * 40)
PY
  recurrent corpus --text "$d/pt.txt" --prep raw --level word --top 3 --plot "$d/pt-zipf.svg" > "$d/pt-corpus.txt"
  recurrent train lm --text "$d/pt.txt" --prep raw --cell gru --hidden 64 --batch 4 --steps 30 --epochs 30 --val-fraction 0 --seed 1 --out "$d/pt" --quiet > /dev/null
  local g; g=$(recurrent generate --model "$d/pt" --prefix "A ação" --length 86)
  echo "Portuguese greedy generation: $g" >> "$d/checks.txt"
  python3 - "$d/pt.txt" "$g" "$d/pt/best/config.json" >> "$d/checks.txt" <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
vocab = json.load(open(sys.argv[3]))["vocabulary"]["tokens"]
print("  accents in the vocabulary:", " ".join(c for c in "ãçéáàêóú" if c in vocab),
      "| the generation starts with the first line, accents and all:", sys.argv[2].startswith(text.splitlines()[0]))
PY
  cat "$d/checks.txt"
}

tables() {
  python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
def load(name):
    try: return json.load(open(os.path.join(out, name + "/metrics.json")))
    except FileNotFoundError: return None
def cpu(name):
    try: return sum(float(a) + float(b) for a, b in (l.split() for l in open(os.path.join(out, name + ".cpu")) if l.strip()))
    except FileNotFoundError: return None
def n(x, f="{:,.0f}"): return "" if x is None else f.format(x)
print("### book table\n\n| model | book | ours: train ppl (epochs) | tokens/s (wall) |\n|---|---:|---:|---:|")
rows = [("book-rnn512", "RNN, H=512, lr 1", "1.0"), ("book-rnn256", "RNN, H=256, lr 1", "1.3"), ("book-gru256", "GRU, H=256, lr 1", "1.0"),
        ("book-lstm256", "LSTM, H=256, lr 1", "1.0"), ("book-lstm2x256", "2-layer LSTM, H=256, lr 2", "1.0"),
        ("book-bilstm2x256", "bidirectional 2-layer LSTM, H=256, lr 1", "1.1")]
for name, label, book in rows:
    m = load(name)
    if m is None: print(f"| {label} | {book} | not run | |"); continue
    print(f"| {label} | {book} | {m['train_perplexity']:.3f} ({m['epochs']}) | {n(m['tokens_per_s'])} |")
gen = os.path.join(out, "book-generations.tsv")
if os.path.exists(gen):
    print("\n### generations (greedy, last/)\n")
    for line in open(gen, encoding="utf-8"):
        name, a, b = line.rstrip("\n").split("\t")
        print(f"- {name}: `{a}` / `{b}`")
print("\n### generalisation (best val ppl (epoch), tokens/s over the whole run)\n")
for cell, seed in (("lstm", 0), ("lstm", 1), ("gru", 0)):
    m = load(f"q-{cell}-s{seed}")
    t = None
    p = os.path.join(out, f"torch-{cell}-s{seed}.jsonl")
    if os.path.exists(p):
        for line in open(p):
            r = json.loads(line)
            if r.get("kind") == "final": t = r
    if m: print(f"- {cell} seed {seed}: ours {m['best_val_perplexity']:.3f} ({m['best_epoch']}), {n(m['tokens_per_s'])} tok/s"
                + (f"; PyTorch {t['best_val_ppl']:.3f} ({t['best_epoch']}), {n(t['train_tokens_per_s'])} tok/s" if t else ""))
m = load("shakespeare")
if m:
    c = cpu("shakespeare")
    print(f"\n### tiny Shakespeare\n\n- epochs {m['epochs']}, best val ppl {m['best_val_perplexity']:.3f} (epoch {m['best_epoch']}), "
          f"val bits/char {m['val_bits_per_char']:.3f} (last epoch: val ppl {m['val_perplexity']:.3f}), train ppl {m['train_perplexity']:.3f}, "
          f"{n(m['tokens_per_s'])} tok/s (wall)" + (f", {c:,.0f} CPU-seconds in all" if c else "")
          + f", {m['parameters']:,} parameters, vocabulary {m['vocab_size']}")
PY
}

build
case "$what" in
  book) book ;; generations) generations ;; quality) quality ;; shakespeare) shakespeare ;; checks) checks ;; tables) tables ;;
  all) book; quality; shakespeare; checks; tables ;;
  *) echo "usage: $0 [book|generations|quality|shakespeare|checks|tables|all]" >&2; exit 2 ;;
esac
