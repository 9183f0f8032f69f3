#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures under tests/fixtures/ (see README.md beside this file).

Every value that goes *into* a model (inputs, parameters, initial states, loss weights) is drawn in
float32 with a fixed seed, so Recurrent can load it exactly. The expected results (outputs, final
states, gradients, losses, trained parameters) are computed by PyTorch in float64 from those same
values and stored rounded to float32: they are the exact answer for those weights to float32
precision, a reference that both PyTorch's own float32 run and Recurrent's must approach. Each
fixture also records how far PyTorch's float32 run lands from it ("torch_float32_error"), which
shows what tolerance a float32 implementation can meet.

Run with the Debian interpreter (python3-torch):  /usr/bin/python3 tools/reference/make_fixtures.py
"""
import hashlib
import json
import math
import os
import shutil
import struct
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

FORMAT = "recurrent-fixture/1"
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures")
PYTORCH_DIR = os.path.join(OUT, "pytorch")
EXPORT_DIR = os.path.join(OUT, "torch_export")

MODES = {  # our name -> (PyTorch class name, nonlinearity, gates per hidden unit)
    "rnn_tanh": ("RNN", "tanh", 1),
    "rnn_relu": ("RNN", "relu", 1),
    "lstm": ("LSTM", "tanh", 4),
    "gru": ("GRU", "tanh", 3),
}


# ----------------------------------------------------------------------------------------------
# Serialisation: JSON whose float arrays use the shortest text that round-trips a float32.

def f32_text(v):
    s = str(np.float32(v))
    if not np.isfinite(np.float32(v)):
        raise ValueError(f"non-finite value {s} in a fixture")
    return s


class Floats:
    """A tensor (any float dtype) to be written as {"shape": [...], "data": [...]} in float32 text."""

    def __init__(self, t):
        if isinstance(t, torch.Tensor):
            t = t.detach().cpu().double().numpy()
        self.array = np.asarray(t, dtype=np.float64)


def to_json(obj, indent=0):
    pad = "  " * indent
    if isinstance(obj, Floats):
        shape = ", ".join(str(d) for d in obj.array.shape)
        data = ", ".join(f32_text(v) for v in obj.array.reshape(-1))
        return '{"shape": [' + shape + '], "data": [' + data + "]}"
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f'{pad}  {json.dumps(k)}: {to_json(v, indent + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)) and any(isinstance(v, (dict, Floats)) for v in obj):
        items = [f"{pad}  {to_json(v, indent + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj)


def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def write_fixture(relpath, fixture):
    fixture = {"format": FORMAT, "torch_version": torch.__version__, **fixture}
    write_text(os.path.join(PYTORCH_DIR, relpath), to_json(fixture) + "\n")


# ----------------------------------------------------------------------------------------------
# Helpers

def seed_of(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def randn32(*shape):
    """float32 normal values, returned as float64 (exactly representable in float32)."""
    return torch.randn(*shape, dtype=torch.float32).double()


def scaled_error(actual, expected):
    """max_i |a_i − e_i| / (|e_i| + 0.1·max|e|): the measure the C# tests use."""
    a = actual.detach().double().reshape(-1)
    e = expected.detach().double().reshape(-1)
    if e.numel() == 0:
        return 0.0
    scale = e.abs().max().item()
    denom = e.abs() + 0.1 * scale
    denom = torch.where(denom > 0, denom, torch.ones_like(denom))
    return float(((a - e).abs() / denom).max().item())


def errors_between(f32, f64):
    """{group: {name: error}} for every tensor present in both result dicts."""
    out = {}
    for group, tensors in f64.items():
        out[group] = {name: scaled_error(f32[group][name], t) for name, t in tensors.items()}
    return out


def make_stack(mode, input_size, hidden_size, num_layers, bidirectional, bias=True, dropout=0.0):
    cls, nonlin, _ = MODES[mode]
    kwargs = dict(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers, bias=bias,
                  batch_first=True, dropout=dropout, bidirectional=bidirectional)
    if cls == "RNN":
        return nn.RNN(nonlinearity=nonlin, **kwargs)
    return getattr(nn, cls)(**kwargs)


def make_cell(mode, input_size, hidden_size, bias=True):
    cls, nonlin, _ = MODES[mode]
    if cls == "RNN":
        return nn.RNNCell(input_size, hidden_size, bias=bias, nonlinearity=nonlin)
    return getattr(nn, cls + "Cell")(input_size, hidden_size, bias=bias)


# ----------------------------------------------------------------------------------------------
# Recurrent stacks (nn.RNN / nn.LSTM / nn.GRU)

def run_stack(model, dtype, x, h0, c0, lengths, R):
    """Forward + backward of loss = Σ out⊙R_out + Σ h_n⊙R_h (+ Σ c_n⊙R_c) in the given dtype."""
    model = model.to(dtype)
    model.zero_grad()
    x = x.to(dtype).clone().requires_grad_(True)
    h0 = None if h0 is None else h0.to(dtype).clone().requires_grad_(True)
    c0 = None if c0 is None else c0.to(dtype).clone().requires_grad_(True)
    is_lstm = isinstance(model, nn.LSTM)
    hx = None
    if h0 is not None:
        hx = (h0, c0) if is_lstm else h0
    if lengths is not None:
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out_packed, state = model(packed, hx)
        out, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=x.shape[1])
    else:
        out, state = model(x, hx)
    h_n, c_n = state if is_lstm else (state, None)
    loss = (out * R["output"].to(dtype)).sum() + (h_n * R["h_n"].to(dtype)).sum()
    if c_n is not None:
        loss = loss + (c_n * R["c_n"].to(dtype)).sum()
    loss.backward()
    outputs = {"output": out, "h_n": h_n}
    if c_n is not None:
        outputs["c_n"] = c_n
    grads = {"input": x.grad}
    if h0 is not None:
        grads["h0"] = h0.grad
    if c0 is not None:
        grads["c0"] = c0.grad
    for name, p in model.named_parameters():
        grads[name] = p.grad.clone()
    return {"outputs": {k: v.detach() for k, v in outputs.items()}, "grads": grads, "loss": loss.item()}


def stack_fixture(name, mode, B, T, I, H, num_layers, bidirectional, initial_state, lengths=None,
                  bias=True, dropout=0.0, eval_mode=False):
    torch.manual_seed(seed_of(name))
    model = make_stack(mode, I, H, num_layers, bidirectional, bias=bias, dropout=dropout)
    if eval_mode:
        model.eval()
    D = 2 if bidirectional else 1
    is_lstm = mode == "lstm"
    x = randn32(B, T, I)
    h0 = randn32(num_layers * D, B, H) * 0.5 if initial_state else None
    c0 = randn32(num_layers * D, B, H) * 0.5 if initial_state and is_lstm else None
    R = {"output": randn32(B, T, D * H), "h_n": randn32(num_layers * D, B, H)}
    if is_lstm:
        R["c_n"] = randn32(num_layers * D, B, H)
    params = {n: p.detach().clone().double() for n, p in model.named_parameters()}
    # Parameters, h0 and x are float32 values, so the float64 and float32 runs start from the same numbers.
    ref = run_stack(model, torch.float64, x, h0, c0, lengths, R)
    model.load_state_dict({n: p.float() for n, p in params.items()})
    f32 = run_stack(model, torch.float32, x, h0, c0, lengths, R)

    inputs = {"input": Floats(x)}
    if h0 is not None:
        inputs["h0"] = Floats(h0)
    if c0 is not None:
        inputs["c0"] = Floats(c0)
    cls, nonlin, _ = MODES[mode]
    fixture = {
        "name": name,
        "kind": "stack",
        "config": {
            "mode": cls, "nonlinearity": nonlin, "input_size": I, "hidden_size": H,
            "num_layers": num_layers, "bias": bias, "batch_first": True, "dropout": dropout,
            "bidirectional": bidirectional, "training": not eval_mode,
            "batch": B, "steps": T, "initial_state": initial_state,
        },
        "lengths": lengths,
        "loss": "sum(output*loss_weights.output) + sum(h_n*loss_weights.h_n) [+ sum(c_n*loss_weights.c_n)]",
        "loss_value": ref["loss"],
        "inputs": inputs,
        "params": {n: Floats(p) for n, p in params.items()},
        "loss_weights": {k: Floats(v) for k, v in R.items()},
        "outputs": {k: Floats(v) for k, v in ref["outputs"].items()},
        "grads": {k: Floats(v) for k, v in ref["grads"].items()},
        "torch_float32_error": errors_between(f32, {"outputs": ref["outputs"], "grads": ref["grads"]}),
    }
    write_fixture(f"stack/{name}.json", fixture)
    return fixture


# ----------------------------------------------------------------------------------------------
# Cells (nn.RNNCell / nn.LSTMCell / nn.GRUCell): one step

def run_cell(cell, dtype, x, h, c, R):
    cell = cell.to(dtype)
    cell.zero_grad()
    x = x.to(dtype).clone().requires_grad_(True)
    h = None if h is None else h.to(dtype).clone().requires_grad_(True)
    c = None if c is None else c.to(dtype).clone().requires_grad_(True)
    is_lstm = isinstance(cell, nn.LSTMCell)
    if is_lstm:
        h1, c1 = cell(x, None if h is None else (h, c))
    else:
        h1, c1 = cell(x, h), None
    loss = (h1 * R["h"].to(dtype)).sum()
    if c1 is not None:
        loss = loss + (c1 * R["c"].to(dtype)).sum()
    loss.backward()
    outputs = {"h": h1.detach()}
    if c1 is not None:
        outputs["c"] = c1.detach()
    grads = {"input": x.grad}
    if h is not None:
        grads["h0"] = h.grad
    if c is not None:
        grads["c0"] = c.grad
    for n, p in cell.named_parameters():
        grads[n] = p.grad.clone()
    return {"outputs": outputs, "grads": grads, "loss": loss.item()}


def cell_fixture(name, mode, B, I, H, with_state, bias=True):
    torch.manual_seed(seed_of(name))
    cell = make_cell(mode, I, H, bias=bias)
    is_lstm = mode == "lstm"
    x = randn32(B, I)
    h = randn32(B, H) * 0.5 if with_state else None
    c = randn32(B, H) * 0.5 if with_state and is_lstm else None
    R = {"h": randn32(B, H)}
    if is_lstm:
        R["c"] = randn32(B, H)
    params = {n: p.detach().clone().double() for n, p in cell.named_parameters()}
    ref = run_cell(cell, torch.float64, x, h, c, R)
    cell.load_state_dict({n: p.float() for n, p in params.items()})
    f32 = run_cell(cell, torch.float32, x, h, c, R)
    inputs = {"input": Floats(x)}
    if h is not None:
        inputs["h0"] = Floats(h)
    if c is not None:
        inputs["c0"] = Floats(c)
    cls, nonlin, _ = MODES[mode]
    fixture = {
        "name": name,
        "kind": "cell",
        "config": {"mode": cls, "nonlinearity": nonlin, "input_size": I, "hidden_size": H, "bias": bias,
                   "batch": B, "initial_state": with_state},
        "loss": "sum(h*loss_weights.h) [+ sum(c*loss_weights.c)]",
        "loss_value": ref["loss"],
        "inputs": inputs,
        "params": {n: Floats(p) for n, p in params.items()},
        "loss_weights": {k: Floats(v) for k, v in R.items()},
        "outputs": {k: Floats(v) for k, v in ref["outputs"].items()},
        "grads": {k: Floats(v) for k, v in ref["grads"].items()},
        "torch_float32_error": errors_between(f32, {"outputs": ref["outputs"], "grads": ref["grads"]}),
    }
    write_fixture(f"cell/{name}.json", fixture)
    return fixture


# ----------------------------------------------------------------------------------------------
# Training trajectories: LSTM + Linear head, cross-entropy over every time step, 5 optimizer steps

class Tagger(nn.Module):
    """lstm: nn.LSTM(batch_first) → head: nn.Linear on every step's output."""

    def __init__(self, I, H, C, num_layers):
        super().__init__()
        self.lstm = nn.LSTM(I, H, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(H, C)

    def forward(self, x):
        out, _ = self.lstm(x)                      # [B, T, H]
        return self.head(out)                      # [B, T, C]


OPTIMIZERS = {
    # name -> (constructor, hyper-parameters written to the fixture with PyTorch's argument names,
    #          max gradient norm for clip_grad_norm_ or None)
    "sgd": (torch.optim.SGD, {"lr": 0.5}, None),
    "sgd_momentum": (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}, None),
    "sgd_nesterov_wd": (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, None),
    "sgd_momentum_clip": (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}, 0.1),
    "adam": (torch.optim.Adam, {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}, None),
    "adamw": (torch.optim.AdamW, {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.1}, None),
    "rmsprop": (torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0}, None),
    "adagrad": (torch.optim.Adagrad, {"lr": 0.1, "lr_decay": 0.0, "weight_decay": 0.0, "eps": 1e-10}, None),
}


def run_training(model, dtype, x, y, opt_ctor, hyper, clip, steps, C):
    model = model.to(dtype)
    opt = opt_ctor(model.parameters(), **{k: (tuple(v) if isinstance(v, list) else v) for k, v in hyper.items()})
    losses, norms, first_grads = [], [], None
    for step in range(steps):
        opt.zero_grad()
        logits = model(x.to(dtype))
        loss = nn.functional.cross_entropy(logits.reshape(-1, C), y.reshape(-1))
        loss.backward()
        if step == 0:
            first_grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
        if clip is not None:
            norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), clip)))
        losses.append(loss.item())
        opt.step()
    with torch.no_grad():
        final_logits = model(x.to(dtype))
        final_loss = nn.functional.cross_entropy(final_logits.reshape(-1, C), y.reshape(-1)).item()
    final = {n: p.detach().clone() for n, p in model.named_parameters()}
    return losses, final_loss, norms, first_grads, final


def training_fixture(opt_name, B=4, T=6, I=3, H=5, C=4, num_layers=1, steps=5):
    name = f"lstm_tagger_{opt_name}"
    opt_ctor, hyper, clip = OPTIMIZERS[opt_name]
    torch.manual_seed(seed_of("lstm_tagger"))      # same model and data for every optimizer
    model = Tagger(I, H, C, num_layers)
    x = randn32(B, T, I)
    y = torch.randint(0, C, (B, T))
    init = {n: p.detach().clone().double() for n, p in model.named_parameters()}
    losses, final_loss, norms, grads0, final = run_training(model, torch.float64, x, y, opt_ctor, hyper, clip, steps, C)
    model.load_state_dict({n: p.float() for n, p in init.items()})
    l32, fl32, n32, g32, final32 = run_training(model, torch.float32, x, y, opt_ctor, hyper, clip, steps, C)
    fixture = {
        "name": name,
        "kind": "train",
        "config": {"model": "LSTM(batch_first) + Linear head on every step", "mode": "LSTM",
                   "input_size": I, "hidden_size": H, "num_layers": num_layers, "classes": C,
                   "batch": B, "steps": T, "loss": "cross_entropy(logits.reshape(-1, C), targets.reshape(-1)), mean",
                   "optimizer": opt_ctor.__name__, "optimizer_args": hyper, "clip_grad_norm": clip,
                   "train_steps": steps},
        "targets": y.tolist(),
        "inputs": {"input": Floats(x)},
        "params": {n: Floats(p) for n, p in init.items()},
        "losses": losses,
        "grad_norms_before_clip": norms,
        "final_loss": final_loss,
        "grads_step0": {n: Floats(g) for n, g in grads0.items()},
        "final_params": {n: Floats(p) for n, p in final.items()},
        "torch_float32_error": {
            "losses": max(abs(a - b) / abs(b) for a, b in zip(l32, losses)),
            "grads_step0": {n: scaled_error(g32[n], g) for n, g in grads0.items()},
            "final_params": {n: scaled_error(final32[n], p) for n, p in final.items()},
        },
    }
    write_fixture(f"train/{name}.json", fixture)
    return fixture


# ----------------------------------------------------------------------------------------------
# PyTorch export: a model directory as a PyTorch user would write it (float32 throughout)

def write_safetensors(path, tensors):
    """The safetensors format by hand: u64 little-endian header size, JSON header, raw data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)        # the reference writer pads the header to 8 bytes
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def save_npy(path, array):
    tmp = path + ".tmp.npy"
    np.save(tmp, np.ascontiguousarray(array, dtype="<f4"))
    os.replace(tmp, path)


def torch_export():
    torch.manual_seed(seed_of("torch_export"))
    config = {"mode": "LSTM", "input_size": 4, "hidden_size": 8, "num_layers": 2, "bias": True,
              "batch_first": True, "dropout": 0.0, "bidirectional": True, "nonlinearity": "tanh"}
    model = nn.LSTM(input_size=config["input_size"], hidden_size=config["hidden_size"],
                    num_layers=config["num_layers"], bias=config["bias"], batch_first=True,
                    dropout=config["dropout"], bidirectional=config["bidirectional"])
    model.eval()
    x = torch.randn(2, 7, config["input_size"], dtype=torch.float32)
    with torch.no_grad():
        y, (hn, cn) = model(x)
    os.makedirs(EXPORT_DIR, exist_ok=True)
    write_safetensors(os.path.join(EXPORT_DIR, "model.safetensors"), model.state_dict())
    write_text(os.path.join(EXPORT_DIR, "config.json"), json.dumps(config, indent=2) + "\n")
    save_npy(os.path.join(EXPORT_DIR, "x.npy"), x.numpy())
    save_npy(os.path.join(EXPORT_DIR, "y.npy"), y.numpy())
    save_npy(os.path.join(EXPORT_DIR, "hn.npy"), hn.numpy())
    save_npy(os.path.join(EXPORT_DIR, "cn.npy"), cn.numpy())
    # Self-check: re-read our safetensors file and compare with the state_dict.
    with open(os.path.join(EXPORT_DIR, "model.safetensors"), "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    for name, t in model.state_dict().items():
        b, e = header[name]["data_offsets"]
        back = np.frombuffer(body[b:e], dtype="<f4").reshape(header[name]["shape"])
        assert np.array_equal(back, t.numpy()), name


# ----------------------------------------------------------------------------------------------

def main():
    torch.set_num_threads(1)          # deterministic reductions
    for sub in ("stack", "cell", "train"):  # no stale fixtures from an earlier run
        shutil.rmtree(os.path.join(PYTORCH_DIR, sub), ignore_errors=True)
    written = []
    B, T, I, H = 3, 5, 4, 6
    for mode in MODES:
        for layers in (1, 2):
            for bidi in (False, True):
                for init in (False, True):
                    name = f"{mode}_l{layers}_{'bi' if bidi else 'uni'}_{'h0' if init else 'noh0'}"
                    written.append(stack_fixture(name, mode, B, T, I, H, layers, bidi, init))
    # Variable-length batches (pack_padded_sequence, unsorted lengths, one of length 1).
    for mode in MODES:
        written.append(stack_fixture(f"{mode}_packed_l1_uni_noh0", mode, B, T, I, H, 1, False, False, lengths=[5, 1, 3]))
        written.append(stack_fixture(f"{mode}_packed_l2_bi_h0", mode, B, T, I, H, 2, True, True, lengths=[3, 5, 1]))
    # Longest length shorter than T: every output step past it is padding.
    written.append(stack_fixture("lstm_packed_short_l1_bi_h0", "lstm", B, T, I, H, 1, True, True, lengths=[2, 4, 1]))
    # Long sequences (T ≥ 100): accumulated rounding over many steps.
    written.append(stack_fixture("rnn_tanh_long_l1_uni_h0", "rnn_tanh", 2, 150, 3, 5, 1, False, True))
    written.append(stack_fixture("rnn_relu_long_l1_bi_noh0", "rnn_relu", 2, 100, 3, 5, 1, True, False))
    written.append(stack_fixture("lstm_long_l2_bi_h0", "lstm", 2, 120, 3, 5, 2, True, True))
    written.append(stack_fixture("gru_long_l1_bi_h0", "gru", 2, 120, 3, 5, 1, True, True))
    written.append(stack_fixture("lstm_long_packed_l1_bi_noh0", "lstm", 2, 110, 3, 4, 1, True, False, lengths=[110, 57]))
    # No bias; explicit dropout=0 with 2 layers; dropout>0 in eval mode (must equal no dropout).
    written.append(stack_fixture("lstm_nobias_l1_bi_h0", "lstm", B, T, I, H, 1, True, True, bias=False))
    written.append(stack_fixture("gru_nobias_l2_uni_noh0", "gru", B, T, I, H, 2, False, False, bias=False))
    written.append(stack_fixture("gru_dropout0_l2_uni_h0", "gru", B, T, I, H, 2, False, True, dropout=0.0))
    written.append(stack_fixture("lstm_dropout_eval_l2_bi_noh0", "lstm", B, T, I, H, 2, True, False, dropout=0.5, eval_mode=True))
    # Cells.
    for mode in MODES:
        for with_state in (False, True):
            written.append(cell_fixture(f"{mode}_cell_{'h0' if with_state else 'noh0'}", mode, B, I, H, with_state))
    written.append(cell_fixture("gru_cell_nobias_h0", "gru", B, I, H, True, bias=False))
    # Training trajectories.
    for opt_name in OPTIMIZERS:
        written.append(training_fixture(opt_name))
    torch_export()

    # Manifest: every fixture file with its SHA-256, so a test can prove the files are intact.
    files = {}
    for base in (PYTORCH_DIR, EXPORT_DIR):
        for dirpath, _, names in os.walk(base):
            for n in sorted(names):
                if n == "manifest.json" or n.endswith(".tmp"):
                    continue
                p = os.path.join(dirpath, n)
                rel = os.path.relpath(p, OUT).replace(os.sep, "/")
                with open(p, "rb") as f:
                    files[rel] = hashlib.sha256(f.read()).hexdigest()
    worst = {}
    for fx in written:
        err = fx["torch_float32_error"]
        groups = err.items()
        for g, v in groups:
            m = max(v.values()) if isinstance(v, dict) and v else (v if not isinstance(v, dict) else 0.0)
            key = f"{fx['kind']}.{g}"
            worst[key] = max(worst.get(key, 0.0), m)
    manifest = {"format": FORMAT, "torch_version": torch.__version__,
                "generator": "tools/reference/make_fixtures.py",
                "torch_float32_worst_error": worst,
                "files": dict(sorted(files.items()))}
    write_text(os.path.join(OUT, "pytorch", "manifest.json"), json.dumps(manifest, indent=2) + "\n")
    total = sum(os.path.getsize(os.path.join(OUT, r)) for r in files)
    print(f"wrote {len(files)} files, {total / 1024:.0f} KiB; worst PyTorch float32 error per group:")
    for k, v in sorted(worst.items()):
        print(f"  {k:24s} {v:.2e}")


if __name__ == "__main__":
    sys.exit(main())
