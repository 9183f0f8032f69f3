#!/usr/bin/env python3
"""Fills the generated parts of docs/lessons.md from the runs of tools/lessons/run_all.sh.

Copies each run's SVG plots to docs/lessons/, draws the overlay plots that compare runs (same look as
src/Recurrent.Cli/Plots/SvgChart.cs), and rewrites every block between
<!-- generated:NAME --> and <!-- /generated:NAME --> in docs/lessons.md. Runs that do not exist yet are
listed as "not run", so the page always says exactly what was measured. Standard library only.
"""
import argparse, csv, json, math, os, re, shutil, time

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22"]
CELLS = [("rnn", "RNN (tanh)"), ("gru", "GRU"), ("lstm", "LSTM, PyTorch init"), ("lstm-fb1", "LSTM, forget bias 1")]


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg_chart(path, title, xlabel, ylabel, series, logy=False, logx=False, width=720, height=440, labels=False):
    """series: list of dict(label, x, y, markers=False, dashed=False). Non-finite / non-positive-on-log points are skipped."""
    left, right, top, bottom = 78, 24, 44, 58
    pw, ph = width - left - right, height - top - bottom

    def ok(x, y):
        return (x is not None and y is not None and math.isfinite(x) and math.isfinite(y)
                and (not logy or y > 0) and (not logx or x > 0))

    pts = [[(x, y) for x, y in zip(s["x"], s["y"]) if ok(x, y)] for s in series]
    allp = [p for ps in pts for p in ps] or [(0, 1), (1, 10)]

    def pad(lo, hi, log):
        if log:
            lo, hi = 10 ** math.floor(math.log10(lo)), 10 ** math.ceil(math.log10(hi))
            return (lo, hi * 10) if hi <= lo else (lo, hi)
        if hi <= lo:
            lo, hi = lo - 1, hi + 1
        d = (hi - lo) * 0.04
        return lo - d, hi + d

    x0, x1 = pad(min(p[0] for p in allp), max(p[0] for p in allp), logx)
    y0, y1 = pad(min(p[1] for p in allp), max(p[1] for p in allp), logy)
    # Headroom above the data for the legend (top right): about 16 px per entry.
    room = min(0.45, (16 * len(series) + 12) / ph)
    if logy:
        y1 = 10 ** (math.log10(y1) + room / (1 - room) * (math.log10(y1) - math.log10(y0)))
    else:
        y1 = y1 + room / (1 - room) * (y1 - y0)
    m = lambda v, log: math.log10(v) if log else v
    sx = lambda x: left + (m(x, logx) - m(x0, logx)) / (m(x1, logx) - m(x0, logx)) * pw
    sy = lambda y: top + ph - (m(y, logy) - m(y0, logy)) / (m(y1, logy) - m(y0, logy)) * ph

    def ticks(lo, hi, log):
        if log:
            a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
            step = max(1, (b - a) // 8)
            return [10.0 ** e for e in range(a, b + 1, step)]
        raw = (hi - lo) / 6
        mag = 10 ** math.floor(math.log10(raw))
        nice = 1 if raw / mag < 1.5 else 2 if raw / mag < 3 else 5 if raw / mag < 7 else 10
        st = nice * mag
        t, out = math.ceil(lo / st) * st, []
        while t <= hi + st * 1e-9:
            out.append(0.0 if abs(t) < st * 1e-9 else t)
            t += st
        return out

    def fmt(v):
        a = abs(v)
        if a != 0 and (a >= 1e5 or a < 1e-3):
            return f"{v:.0e}".replace("e-0", "E-").replace("e+0", "E+").replace("e-", "E-").replace("e+", "E+")
        return f"{v:.3f}".rstrip("0").rstrip(".")

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
         '<rect width="100%" height="100%" fill="white"/>',
         f'<text x="{width // 2}" y="24" text-anchor="middle" font-size="15">{esc(title)}</text>',
         f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>']
    for t in ticks(x0, x1, logx):
        x = sx(t)
        o.append(f'<line x1="{x:.2f}" y1="{top}" x2="{x:.2f}" y2="{top + ph}" stroke="#eee"/>')
        o.append(f'<text x="{x:.2f}" y="{top + ph + 16}" text-anchor="middle">{fmt(t)}</text>')
    for t in ticks(y0, y1, logy):
        y = sy(t)
        o.append(f'<line x1="{left}" y1="{y:.2f}" x2="{left + pw}" y2="{y:.2f}" stroke="#eee"/>')
        o.append(f'<text x="{left - 6}" y="{y + 4:.2f}" text-anchor="end">{fmt(t)}</text>')
    o.append(f'<text x="{left + pw // 2}" y="{height - 16}" text-anchor="middle">{esc(xlabel)}{" (log)" if logx else ""}</text>')
    o.append(f'<text transform="translate(18,{top + ph // 2}) rotate(-90)" text-anchor="middle">{esc(ylabel)}{" (log)" if logy else ""}</text>')
    for i, (s, p) in enumerate(zip(series, pts)):
        c = s.get("color") or PALETTE[i % len(PALETTE)]
        dash = ' stroke-dasharray="6,4"' if s.get("dashed") else ""
        if p and not s.get("scatter"):
            d = " ".join(f'{"M" if j == 0 else "L"}{sx(x):.2f},{sy(y):.2f}' for j, (x, y) in enumerate(p))
            o.append(f'<path d="{d}" fill="none" stroke="{c}" stroke-width="1.6"{dash}/>')
        if s.get("markers") or s.get("scatter"):
            for x, y in p:
                o.append(f'<circle cx="{sx(x):.2f}" cy="{sy(y):.2f}" r="{4 if s.get("scatter") else 2.5}" fill="{c}"/>')
                if labels and s.get("scatter"):
                    o.append(f'<text x="{sx(x) + 7:.2f}" y="{sy(y) - 6:.2f}">{esc(s["label"])}</text>')
        ly = top + 14 + 16 * i
        lx = left + pw - 36 - int(6.6 * max(len(t["label"]) for t in series))    # legend wide enough for the longest label
        o.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 22}" y2="{ly - 4}" stroke="{c}" stroke-width="2"{dash}/>')
        o.append(f'<text x="{lx + 28}" y="{ly}">{esc(s["label"])}</text>')
    o.append("</svg>")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(o) + "\n")
    os.replace(path + ".tmp", path)


def num(v):
    try:
        f = float(v)
        return f if math.isfinite(f) else None
    except (TypeError, ValueError):
        return None


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read_json(path):
    with open(path) as f:
        return json.load(f)


def g(v, digits=3):
    if v is None:
        return "–"
    if isinstance(v, float) and not math.isfinite(v):
        return "nan"
    if abs(v) >= 1e5 or (v != 0 and abs(v) < 1e-3):
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}g}"


def left_plateau(curve, key, level=0.15):
    """First evaluation step (> 0) whose test loss is below `level`: when the model started using the marked values."""
    for r in curve:
        v, st = num(r.get(key)), num(r.get("step"))
        if st and v is not None and v < level:
            return int(st)
    return None


def done_code(run):
    p = run + ".done"
    return int(open(p).read().strip()) if os.path.exists(p) else None


class Docs:
    def __init__(self, runs, docs):
        self.runs, self.docs = runs, docs
        self.img = os.path.join(docs, "lessons")
        os.makedirs(self.img, exist_ok=True)
        self.blocks = {}

    def copy_svg(self, src, name):
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(self.img, name))
            return True
        return False

    # ---- 1. gradients -------------------------------------------------------------------------
    def gradients(self):
        rows, notes = [], []
        for run, what in [("fresh", "fresh, PyTorch init"), ("fresh-fb1", "fresh, forget bias 1"), ("explode", "fresh, W_hh × 4"),
                          ("trained-rnn", "trained (adding T=100)"), ("trained-gru", "trained (adding T=100)"),
                          ("trained-lstm", "trained (adding T=100)"), ("trained-lstm-fb1", "trained (adding T=100)")]:
            d = os.path.join(self.runs, "gradients", run)
            if not os.path.exists(os.path.join(d, "summary.json")):
                notes.append(f"`gradients/{run}`: not run.")
                continue
            self.copy_svg(os.path.join(d, "gradients.svg"), f"gradients-{run}.svg")
            s = read_json(os.path.join(d, "summary.json"))
            for m in s["models"]:
                if run.startswith("trained") and not m["trained"]:
                    continue
                rows.append(f'| {m["model"]} | {what} | {g(m["grad_h_at_loss"])} | {g(m["grad_h_10_back"])} | {g(m["grad_h_first_step"])} | '
                            f'{g(m["factor_per_step"])} | {g(m["w_hh_spectral_radius"])} | {g(m["w_hh_largest_singular_value"])} | '
                            f'{g(m["grad_norm_before_clip"])} | {g(m["grad_norm_after_clip"])} |')
        head = ["| model | weights | ‖∂L/∂h_T‖ | 10 steps back | at t = 1 (99 back) | factor per step | ρ(W_hh) (candidate block) | σ_max(W_hh) | ‖∇θ‖ before clip | after clip (1) |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        self.blocks["gradients-table"] = "\n".join(head + rows + ([""] + notes if notes else []))

        # Trained models overlaid (dashed) on the fresh ones.
        series = []
        for k, (c, label) in enumerate(CELLS):
            d = os.path.join(self.runs, "gradients", f"trained-{c}", "gradients.csv")
            if not os.path.exists(d):
                continue
            data = [r for r in read_csv(d) if r["model"].endswith("trained")]
            series.append(dict(label=f"{label}, trained", x=[num(r["steps_back"]) for r in data], y=[num(r["grad_h"]) for r in data], color=PALETTE[k]))
        if series:
            svg_chart(os.path.join(self.img, "gradients-trained.svg"), "‖∂L/∂h_t‖ after training on the adding problem (T=100)",
                      "steps back from the loss (T − t)", "‖∂L/∂h_t‖", series, logy=True)

    # ---- 2. adding / copy ---------------------------------------------------------------------
    def task_table(self, task, key, solved_word):
        base = os.path.join(self.runs, task)
        lengths = sorted({int(m.group(1)) for n in (os.listdir(base) if os.path.isdir(base) else [])
                          for m in [re.match(r"T(\d+)-", n)] if m})
        rows, not_run = [], []
        for T in lengths:
            series = []
            for k, (c, label) in enumerate(CELLS):
                d = os.path.join(base, f"T{T}-{c}")
                mj = os.path.join(d, "metrics.json")
                if not os.path.exists(mj) or done_code(d) is None:
                    not_run.append(f"T={T} {label}")
                    continue
                m = read_json(mj)
                steps = m["steps_done"]
                solved = m["steps_to_solve"]
                if task == "adding":
                    result = f'{g(m["test_mse"])} | {g(m["best_test_loss"])}'
                else:
                    result = f'{g(m["test_accuracy"])} | {g(m["test_cross_entropy"])} (baseline {g(m["baseline_cross_entropy"])})'
                cpu = m.get("cpu_seconds")
                curve = read_csv(os.path.join(d, "metrics.csv"))
                extra = ""
                if task == "adding":
                    lp = left_plateau(curve, key)
                    extra = f' {lp if lp is not None else "–"} |'
                # A run stopped early (Ctrl-C, or the session's time ran out) keeps its evaluations so far: say so.
                steps_cell = f"{steps}" if m.get("completed", True) else f"{steps} of {m['train_steps']} (stopped)"
                rows.append(f'| {T} | {label} | {result} |{extra} {solved if solved is not None else "not solved"} | '
                            f'{steps_cell} | {m["seconds"]:.0f} | {f"{cpu:.0f}" if cpu is not None else "–"} |')
                series.append(dict(label=label, x=[num(r["step"]) for r in curve], y=[num(r[key]) for r in curve], color=PALETTE[k]))
            if series:
                last = max(max(s["x"]) for s in series)
                if task == "adding":
                    series.append(dict(label="predict 1 (0.167)", x=[0, last], y=[1 / 6, 1 / 6], dashed=True, color="#555555"))
                    series.append(dict(label="solved (0.01)", x=[0, last], y=[0.01, 0.01], dashed=True, color="#999999"))
                    svg_chart(os.path.join(self.img, f"adding-T{T}.svg"), f"Adding problem, T={T}: test MSE (1,000 sequences)",
                              "training step", "test MSE", series, logy=True)
                else:
                    b = 10 * math.log(8) / (T + 20)
                    series.append(dict(label=f"memoryless ({b:.3f})", x=[0, last], y=[b, b], dashed=True, color="#555555"))
                    svg_chart(os.path.join(self.img, f"copy-T{T}.svg"), f"Copy memory, T={T}: test cross-entropy per step",
                              "training step", "nats per step", series, logy=True)
        if task == "adding":
            head = ["| T | cell | final test MSE | best test MSE | left the plateau (< 0.15) | steps to solve (< 0.01) | steps | wall s | CPU s |",
                    "|---|---|---|---|---|---|---|---|---|"]
        else:
            head = ["| T | cell | recall accuracy | test cross-entropy | steps to solve (> 99 %) | steps | wall s | CPU s |", "|---|---|---|---|---|---|---|---|"]
        text = "\n".join(head + rows)
        if any("(stopped)" in r for r in rows):
            text += "\n\n“stopped”: the run was interrupted before its last step; the row is its last evaluation (“not solved” means not by then)."
        if any(r.endswith("| – |") for r in rows):
            text += "\n\nCPU s “–”: the run was made before the tool recorded CPU time (`cpu_seconds` in metrics.json)."
        if not_run:
            text += "\n\nNot run (yet): " + ", ".join(not_run) + "."
        if not rows:
            text = "No runs yet."
        self.blocks[f"{task}-table"] = text
        self.blocks[f"{task}-plots"] = "\n".join(f"![{task} T={T}](lessons/{task}-T{T}.svg)" for T in lengths
                                                  if os.path.exists(os.path.join(self.img, f"{task}-T{T}.svg")))

    def seeds(self):
        """Steps to solve at T=100 for seed 42 (the main table) and the extra seeds."""
        base = os.path.join(self.runs, "seeds")
        seeds = sorted({int(m.group(1)) for n in (os.listdir(base) if os.path.isdir(base) else [])
                        for m in [re.match(r"T100-.*-s(\d+)$", n)] if m})
        cells = [("lstm-fb1", "LSTM, forget bias 1"), ("lstm", "LSTM, PyTorch init"), ("gru", "GRU")]
        head = "| left the plateau (< 0.15) / solved (< 0.01) | " + " | ".join(f"seed {s}" for s in [42] + seeds) + " |"
        rows = [head, "|---|" + "---|" * (1 + len(seeds))]
        for c, label in cells:
            cells_out = []
            for s, d in [(42, os.path.join(self.runs, "adding", f"T100-{c}"))] + [(s, os.path.join(base, f"T100-{c}-s{s}")) for s in seeds]:
                mj = os.path.join(d, "metrics.json")
                if done_code(d) is None or not os.path.exists(mj):
                    cells_out.append("not run")
                    continue
                m = read_json(mj)
                lp = left_plateau(read_csv(os.path.join(d, "metrics.csv")), "test_mse")
                stopped = "" if m.get("completed", True) else f", stopped at step {m['steps_done']}"
                cells_out.append(f'{lp if lp is not None else "–"} / {m["steps_to_solve"] if m["steps_to_solve"] is not None else "not solved"} '
                                 f'(final {g(m["test_mse"], 2)}{stopped})')
            rows.append(f"| {label} | " + " | ".join(cells_out) + " |")
        self.blocks["seeds-table"] = "\n".join(rows)
        twins = []
        for c, label in cells:
            path = os.path.join(self.runs, "torch", f"T100-{c}.jsonl")
            if os.path.exists(path):
                lines = [json.loads(l) for l in open(path) if l.strip()]
                if lines and "steps_to_solve" in lines[-1]:
                    f = lines[-1]
                    lp = left_plateau([l for l in lines if "step" in l], "test_mse")
                    twins.append(f'{label}: {lp if lp is not None else "–"} / {f["steps_to_solve"] if f["steps_to_solve"] is not None else "not solved"} '
                                 f'(final {g(f["test_mse"], 2)}, {f["seconds"]:.0f} s wall)')
        if twins:
            self.blocks["seeds-table"] += ("\n\nThe PyTorch twin of the same protocol (`tools/lessons/torch_adding.py`, its own random numbers, "
                                           "seed 42; `run_all.sh torch`), left the plateau / solved at T = 100: " + "; ".join(twins) + ".")

    # ---- 3. clipping and truncation -------------------------------------------------------------
    def lm(self):
        base = os.path.join(self.runs, "lm")
        runs = [("clip-T35", "clip 1, T=35"), ("noclip-T35", "no clipping, T=35"), ("clip-T5", "clip 1, T=5"),
                ("clip-T200", "clip 1, T=200"), ("clip-random35", "clip 1, random windows (mean 35)")]
        rows, scatter, steps_series, norm_series, first_loss, first_norm = [], [], [], [], [], []
        if not os.path.isdir(base):
            self.blocks["lm-table"] = "No runs yet (the lm section needs ../shared/data/timemachine.txt)."
            return
        for name, label in runs:
            d = os.path.join(base, name)
            code = done_code(d)
            if code is None:
                rows.append(f"| {label} | not run | | | | | | |")
                continue
            mj = os.path.join(d, "metrics.json")
            m = read_json(mj) if os.path.exists(mj) else {}
            hist = read_csv(os.path.join(d, "metrics.csv")) if os.path.exists(os.path.join(d, "metrics.csv")) else []
            st = read_csv(os.path.join(d, "steps.csv")) if os.path.exists(os.path.join(d, "steps.csv")) else []
            norms = [num(r["grad_norm"]) for r in st]
            finite = [n for n in norms if n is not None]
            log = open(d + ".log").read().strip().splitlines() if os.path.exists(d + ".log") else []
            val = num(m.get("val_perplexity")) if m else None
            best = num(m.get("best_val_perplexity")) if m else None
            train_ppl = num(m.get("train_perplexity")) if m else None
            vocab = m.get("vocab_size", 28) if m else 28
            tps = num(m.get("tokens_per_s")) if m else None
            if code != 0:
                msg = next((l for l in reversed(log) if l.startswith("error:")), f"exit {code}")
                outcome = "stopped: " + msg[len("error: "):].split(";")[0]
            elif train_ppl is None or train_ppl > vocab:
                outcome = f"diverged: train perplexity {g(train_ppl)} (uniform guessing: {vocab})"
            else:
                outcome = "trained"
            cpu_tps = None
            if os.path.exists(d + ".time") and m:
                parts = open(d + ".time").read().split()
                cpu = sum(float(x) for x in parts[1:3]) if len(parts) >= 3 else None
                if cpu:
                    cpu_tps = m.get("train_tokens", 0) * len(hist) / cpu
            rows.append(f"| {label} | {len(hist)} | {g(val)} | {g(best)} | {f'{tps:,.0f}' if tps else '–'} | {f'{cpu_tps:,.0f}' if cpu_tps else '–'} | "
                        f"{g(sorted(finite)[len(finite) // 2]) if finite else '–'} / {g(max(finite)) if finite else '–'} | {outcome} |")
            speed = cpu_tps or tps
            if best is not None and speed is not None and name != "noclip-T35":
                scatter.append(dict(label=label, x=[speed], y=[best], scatter=True, color=PALETTE[len(scatter)]))
            if name in ("clip-T35", "noclip-T35") and st:
                xs = list(range(1, len(st) + 1))
                steps_series.append(dict(label=label, x=xs, y=[num(r["loss"]) for r in st]))
                norm_series.append(dict(label=label, x=xs, y=norms))
                first = [r for r in st if r["epoch"] == "1"][:60]
                first_loss.append(dict(label=label, x=list(range(1, len(first) + 1)), y=[num(r["loss"]) for r in first], markers=True))
                first_norm.append(dict(label=label, x=list(range(1, len(first) + 1)), y=[num(r["grad_norm"]) for r in first], markers=True))
        self.blocks["lm-table"] = "\n".join(
            ["| run | epochs | final val perplexity | best val perplexity | tokens/s (trainer, wall) | train tokens per CPU second | gradient norm median / max | outcome |",
             "|---|---|---|---|---|---|---|---|"] + rows)
        if steps_series:
            svg_chart(os.path.join(self.img, "lm-clip-loss.svg"), "RNN H=512, SGD lr 1: training loss per step", "step", "cross-entropy (nats)", steps_series, logy=True)
            svg_chart(os.path.join(self.img, "lm-clip-gradnorm.svg"), "RNN H=512, SGD lr 1: gradient norm per step", "step", "‖∇θ‖ before clipping", norm_series, logy=True)
        if first_loss:
            svg_chart(os.path.join(self.img, "lm-clip-first-steps.svg"), "The first 60 steps: loss", "step", "cross-entropy (nats)", first_loss, logy=True)
            svg_chart(os.path.join(self.img, "lm-clip-first-norms.svg"), "The first 60 steps: gradient norm before clipping", "step", "‖∇θ‖", first_norm, logy=True)
        if scatter:
            svg_chart(os.path.join(self.img, "lm-truncation.svg"), "Truncation: best validation perplexity vs speed", "training tokens per CPU second",
                      "validation perplexity", scatter, labels=True)

    def machine(self):
        model = "unknown CPU"
        try:
            for line in open("/proc/cpuinfo"):
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        stamps = [os.path.getmtime(os.path.join(dp, f)) for dp, _, fs in os.walk(self.runs) for f in fs if f.endswith(".done")]
        when = time.strftime("%Y-%m-%d", time.gmtime(max(stamps))) if stamps else "–"
        self.blocks["machine"] = (f"Measured on {model}, {os.cpu_count()} cores shared with other jobs (so wall-clock seconds are "
                                  f"noisy; CPU seconds are steadier), one math thread per run; runs finished by {when}.")

    def write(self):
        path = os.path.join(self.docs, "lessons.md")
        text = open(path).read()
        for name, body in self.blocks.items():
            pat = re.compile(r"(<!-- generated:%s -->\n).*?(<!-- /generated:%s -->)" % (re.escape(name), re.escape(name)), re.S)
            if not pat.search(text):
                print(f"warning: docs/lessons.md has no block generated:{name}")
                continue
            text = pat.sub(lambda mm: mm.group(1) + body.rstrip() + "\n" + mm.group(2), text)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", default="runs/lessons")
    ap.add_argument("--docs", default="docs")
    a = ap.parse_args()
    d = Docs(a.runs, a.docs)
    d.machine()
    d.gradients()
    d.task_table("adding", "test_mse", "MSE")
    d.task_table("copy", "test_cross_entropy", "accuracy")
    d.seeds()
    d.lm()
    d.write()
    print(f"updated {os.path.join(a.docs, 'lessons.md')} and {d.img}/")


if __name__ == "__main__":
    main()
