#!/usr/bin/env python3
"""PyTorch twin of `recurrent train adding` (same protocol, its own random numbers), for comparison.

    /usr/bin/python3 tools/lessons/torch_adding.py --cell lstm --length 100 --forget-bias 1

Adding problem: x [B, T, 2] = (value U(0,1), marker), one marker uniform in [0, T/2), one in [T/2, T);
target = sum of the two marked values. nn.RNN/nn.GRU/nn.LSTM (batch_first, PyTorch init; --forget-bias B adds B
to the forget-gate slice of every bias_ih, as Recurrent's forgetBias does) + nn.Linear on the last step, MSE,
Adam, clip_grad_norm_, a fixed test set of 1,000 sequences, evaluation every --eval-every steps.
Prints one JSON line per evaluation and a final JSON summary with test_mse and steps_to_solve.
"""
import argparse, json, time
import torch


def batch(n, T, g):
    v = torch.rand(n, T, generator=g)
    m = torch.zeros(n, T)
    half = T // 2
    i = torch.randint(0, half, (n,), generator=g)
    j = torch.randint(half, T, (n,), generator=g)
    r = torch.arange(n)
    m[r, i] = 1
    m[r, j] = 1
    return torch.stack([v, m], dim=2), (v[r, i] + v[r, j]).unsqueeze(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cell", default="lstm", choices=["rnn", "gru", "lstm"])
    ap.add_argument("--length", type=int, default=100)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--forget-bias", type=float, default=0.0)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    cls = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[a.cell]
    rnn = cls(2, a.hidden, batch_first=True)
    if a.forget_bias:
        with torch.no_grad():
            rnn.bias_ih_l0[a.hidden:2 * a.hidden] += a.forget_bias
    head = torch.nn.Linear(a.hidden, 1)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=a.lr)
    gtest = torch.Generator().manual_seed(a.seed + 1)
    gtrain = torch.Generator().manual_seed(a.seed + 2)
    xt, yt = batch(1000, a.length, gtest)

    def predict(x):
        return head(rnn(x)[0][:, -1])

    solved, start, mse = None, time.time(), float("nan")
    for step in range(1, a.steps + 1):
        x, y = batch(a.batch, a.length, gtrain)
        loss = torch.nn.functional.mse_loss(predict(x), y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, a.clip)
        opt.step()
        if step % a.eval_every == 0 or step == a.steps:
            with torch.no_grad():
                mse = torch.nn.functional.mse_loss(predict(xt), yt).item()
            if solved is None and mse < 0.01:
                solved = step
            print(json.dumps({"step": step, "train_mse": loss.item(), "test_mse": mse, "seconds": round(time.time() - start, 1)}), flush=True)
    print(json.dumps({"cell": a.cell, "length": a.length, "forget_bias": a.forget_bias, "seed": a.seed, "test_mse": mse,
                      "steps_to_solve": solved, "seconds": round(time.time() - start, 1)}))


if __name__ == "__main__":
    main()
