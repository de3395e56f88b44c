"""Why OBD fails on cascade networks: the diagonal approximation, or the quadratic model itself?

For each seed, cascade-correlation grows a network on two-spirals (squared error, cascor's own
loss).  Every weight is deleted alone, by brute force, and the actual increase of the training
loss is compared with what each criterion predicts: OBD's ``h w^2 / 2`` with the ``lm``,
``full`` and exact diagonals, and OBS's ``w^2 / (2 [H^-1]_qq)`` (exact Hessian, the actual
increase then measured *after* OBS's compensating update).  Printed per seed:

* Spearman rank correlation of predicted and actual single-deletion increases;
* the actual increase caused by the 10 weights each criterion ranks lowest (mean), against the
  10 truly cheapest deletions and against magnitude's 10 smallest weights;
* the fraction of hidden values within 0.01 of the symmetric sigmoid's bounds (saturation).

    python benchmarks/obd_cascade_diagnosis.py [--seeds 5]
"""
from __future__ import annotations

import argparse

import numpy as np
from scipy.stats import spearmanr

from structlearn.bench.data import load_bench_data
from structlearn.cascor import CascadeCorrelation
from structlearn.curvature import full_hessian
from structlearn.hessian import hessian_diagonal
from structlearn.obs import damped_inverse, obs_variables


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--lowest", type=int, default=10)
    args = ap.parse_args()
    agg = {}
    for seed in range(args.seeds):
        d = load_bench_data("two_spirals", seed)
        cc = CascadeCorrelation(max_hidden_units=50, rng=seed).fit(d.X_train, d.y_train)
        net = cc.network_
        X = net.check_X(d.X_train)
        T = cc.target_info_.encode(d.y_train, "y", dtype=net.dtype)
        base = net.gradient(X, T, "mse")[0]
        nodes = net.forward(X, return_nodes=True)
        hidden = np.concatenate([v.ravel() for v in nodes[1:-1]])
        saturated = float(np.mean(np.abs(hidden) > 0.49))
        W_idx = np.concatenate([np.arange(net.block_slice(k).start,
                                          net.block_slice(k).start + blk.W.size)
                                for k, blk in enumerate(net.blocks)])
        w = net.params.copy()
        actual = np.empty(len(W_idx))
        for j, i in enumerate(W_idx):
            net.params[i] = 0.0
            actual[j] = net.gradient(X, T, "mse")[0] - base
            net.params[i] = w[i]
        pred = {}
        for mode in ("lm", "full", "exact"):
            H = hessian_diagonal(net, X, T, mode, "mse")
            pred[f"obd {mode}"] = 0.5 * H[W_idx] * w[W_idx] ** 2
        S = obs_variables(net, range(len(net.blocks)))
        Hs = full_hessian(net, X, T, loss="mse", indices=S)
        Hinv, lam = damped_inverse(Hs, 1e-4)
        pos = {s: p for p, s in enumerate(S)}
        cols = np.array([pos[i] for i in W_idx])
        pred["obs exact"] = w[W_idx] ** 2 / (2 * np.diag(Hinv)[cols])
        pred["magnitude"] = np.abs(w[W_idx])
        # OBS's actual cost: delete with the compensating update, measure the loss
        obs_actual = np.empty(len(W_idx))
        for j, c in enumerate(cols):
            delta = -(w[S][c] / Hinv[c, c]) * Hinv[:, c]
            net.params[S] = w[S] + delta
            net.params[S[c]] = 0.0
            obs_actual[j] = net.gradient(X, T, "mse")[0] - base
            net.params[:] = w
        k = args.lowest
        row = {"weights": len(W_idx), "saturated": saturated, "loss": base,
               "best possible": float(np.sort(actual)[:k].mean())}
        for name, p in pred.items():
            act = obs_actual if name == "obs exact" else actual
            low = np.argsort(p, kind="stable")[:k]
            row[f"{name} rank"] = float(spearmanr(p, act)[0]) if name != "magnitude" else np.nan
            row[f"{name} lowest-{k} actual"] = float(act[low].mean())
        for key, v in row.items():
            agg.setdefault(key, []).append(v)
        print(seed, {key: (round(v, 4) if isinstance(v, float) else v) for key, v in row.items()},
              flush=True)
    print("\nmean over seeds:")
    for key, v in agg.items():
        print(f"  {key}: {np.nanmean(v):.4g}")


if __name__ == "__main__":
    main()
