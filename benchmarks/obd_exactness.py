"""How far the ``lm`` and ``full`` Hessian diagonals are from the exact one, per kind of network.

The exact diagonal comes from Pearlmutter's R-operator (``hessian_diagonal(mode="exact")``,
one Hessian-vector product per weight).  For each network and loss: the relative error
``||H_mode - H_exact|| / ||H_exact||`` over the weights of each depth of block (the output
block, the last hidden block, earlier hidden blocks), and the Spearman rank correlation of the
resulting OBD saliencies with the exact-diagonal saliencies over all weights.

Networks (trained, so the numbers are those OBD sees):

* MLPs with 1, 2 and 3 tanh hidden layers of 10 units on two-spirals (sigmoid output,
  cross-entropy and squared error) and on scikit-learn's 8x8 digits when scikit-learn is
  installed (softmax output, 64-16(-16(-16))-10), full-batch Adam;
* the cascade networks cascade-correlation grows on two-spirals (symmetric-sigmoid output,
  squared error: cascor's own loss).

    python benchmarks/obd_exactness.py [--seeds 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import json

import numpy as np
from scipy.stats import spearmanr

from structlearn import Network, train
from structlearn.bench.data import load_bench_data
from structlearn.hessian import block_views, hessian_diagonal
from structlearn.optim import Adam


def _groups(net):
    out = len(net.blocks) - 1
    names = []
    for k in range(len(net.blocks)):
        if k == out:
            names.append("output")
        elif k == out - 1:
            names.append("last hidden")
        else:
            names.append("earlier hidden")
    return names


def compare(net, X, y, loss):
    exact = hessian_diagonal(net, X, y, "exact", loss)
    row = {}
    for mode in ("lm", "full"):
        H = hessian_diagonal(net, X, y, mode, loss)
        per = {}
        for name, (Ew, _), (Hw, _) in zip(_groups(net), block_views(net, exact),
                                         block_views(net, H)):
            a, b = per.setdefault(name, ([], []))
            a.append(Hw.ravel())
            b.append(Ew.ravel())
        for name, (a, b) in per.items():
            a, b = np.concatenate(a), np.concatenate(b)
            row[f"{mode} {name}"] = float(np.linalg.norm(a - b) / np.linalg.norm(b))
        w2 = net.params ** 2
        row[f"{mode} spearman"] = float(spearmanr(H * w2, exact * w2)[0])
    return row


def mlps(seed, depth):
    rng = np.random.default_rng(seed)
    d = load_bench_data("two_spirals", seed)
    for output, loss in (("sigmoid", "sigmoid_cross_entropy"), ("sigmoid", "mse")):
        net = Network.mlp([2] + [10] * depth + [1], hidden="tanh", output=output,
                          rng=np.random.default_rng(seed))
        train(net, d.X_train, d.y_train, loss=loss, optimizer=Adam(lr=0.02), epochs=1500,
              rng=rng, progress=False)
        yield f"MLP {depth} hidden, two-spirals, {loss}", net, d.X_train, d.y_train, loss
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return
    X, y = load_digits(return_X_y=True)
    X = X[:500] / 16.0
    y = y[:500]
    net = Network.mlp([64] + [16] * depth + [10], hidden="tanh", rng=np.random.default_rng(seed))
    train(net, X, y, optimizer=Adam(lr=0.01), epochs=300, rng=rng, progress=False)
    yield f"MLP {depth} hidden, digits, softmax_cross_entropy", net, X, y, "softmax_cross_entropy"


def cascades(seed):
    from structlearn.cascor import CascadeCorrelation

    d = load_bench_data("two_spirals", seed)
    cc = CascadeCorrelation(max_hidden_units=50, rng=seed).fit(d.X_train, d.y_train)
    net = cc.network_
    T = cc.target_info_.encode(d.y_train, "y", dtype=net.dtype)
    yield f"cascade ({net.n_hidden_units} units), two-spirals, mse", net, d.X_train, T, "mse"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    rows = {}
    for seed in range(args.seeds):
        cases = [c for depth in (1, 2, 3) for c in mlps(seed, depth)] + list(cascades(seed))
        for name, net, X, y, loss in cases:
            key = name.split(" (")[0] + name[name.index(")") + 1:] if "(" in name else name
            rows.setdefault(key, []).append(compare(net, X, y, loss))
            print(seed, name, {k: round(v, 3) for k, v in rows[key][-1].items()}, flush=True)
    cols = ["output", "last hidden", "earlier hidden"]
    print("\n| network, task, loss | " + " | ".join(f"{m} {c}" for m in ("lm", "full")
                                                     for c in cols) + " | lm rank | full rank |")
    print("|---|" + "---:|" * 8)
    summary = {}
    for key, rs in rows.items():
        mean = {k: float(np.mean([r[k] for r in rs if k in r])) for k in rs[0]}
        summary[key] = mean
        cells = [f"{100 * mean[f'{m} {c}']:.1f}%" if f"{m} {c}" in mean else "-"
                 for m in ("lm", "full") for c in cols]
        print(f"| {key} | " + " | ".join(cells)
              + f" | {mean['lm spearman']:.3f} | {mean['full spearman']:.3f} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(seeds=args.seeds, rows=rows, mean=summary), fh, indent=1)


if __name__ == "__main__":
    main()
