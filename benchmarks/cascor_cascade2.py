"""Cascade-2 against the covariance score: two-spirals and a regression task.

Cascade-2 (Fahlman's later variant of Cascade-Correlation, the only cascade algorithm FANN
ships) trains the candidates to remove the residual error directly, through output weights of
their own, instead of maximising the covariance of their value with it; the winner's output
weights start where the candidate left them. ``candidate_objective="cascade2"`` solves those
output weights exactly each epoch (least squares; see ``structlearn.cascor.steps.
cascade2_terms``) where FANN trains them by its optimizer next to the input weights.

Same seeds, C-code defaults otherwise:

* two-spirals (194 points, classification, at most 50 units): solved, hidden units, epochs;
* regression: ``t = sin(2 x1) cos(x2) + 0.3 x1^2`` on 200 random points in [-2, 2]^2 (seeded),
  linear outputs, victory at an error index (RMS error / target std) of 0.05, at most 30
  units; test R^2 on a 40 x 40 grid.

    python benchmarks/cascor_cascade2.py [--trials 100] [--regression-trials 30] [--json FILE]
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from structlearn import datasets as ds
from structlearn.cascor import CascadeCorrelation


def regression_data(seed=0):
    rng = np.random.default_rng(seed)
    f = lambda X: np.sin(2 * X[:, 0]) * np.cos(X[:, 1]) + 0.3 * X[:, 0] ** 2   # noqa: E731
    X = rng.uniform(-2, 2, (200, 2))
    g = np.linspace(-2, 2, 40)
    Xt = np.array([(a, b) for a in g for b in g])
    return X, f(X), Xt, f(Xt)


def summary(results, name, Xt=None, yt=None):
    units = np.array([r.hidden_units for r in results])
    out = dict(objective=name, trials=len(results), solved=int(sum(r.success for r in results)),
               units_mean=float(units.mean()), units_min=int(units.min()),
               units_max=int(units.max()),
               epochs_mean=float(np.mean([r.epochs for r in results])))
    if Xt is not None:
        r2 = []
        for r in results:
            pred = r.network.forward(Xt)[:, 0]
            r2.append(1 - np.sum((pred - yt) ** 2) / np.sum((yt - yt.mean()) ** 2))
        out["test_r2_mean"] = float(np.mean(r2))
        out["test_r2_min"] = float(np.min(r2))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--regression-trials", type=int, default=30)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    rows = []
    X, y = ds.two_spirals()
    print("| task | candidate objective | solved | hidden units mean (min-max) | epochs | "
          "test R^2 mean (min) |")
    print("|---|---|---:|---:|---:|---:|")
    for obj in ("covariance", "cascade2"):
        res = CascadeCorrelation(candidate_objective=obj).fit_trials(X, y, range(args.trials))
        s = summary(res, obj)
        s["task"] = "two-spirals"
        rows.append(s)
        print(f"| two-spirals | {obj} | {s['solved']}/{s['trials']} | {s['units_mean']:.2f} "
              f"({s['units_min']}-{s['units_max']}) | {s['epochs_mean']:.0f} | |", flush=True)
    Xr, yr, Xt, yt = regression_data()
    for obj in ("covariance", "cascade2"):
        res = CascadeCorrelation(candidate_objective=obj, error_index_threshold=0.05,
                                 max_hidden_units=30).fit_trials(Xr, yr,
                                                                 range(args.regression_trials))
        s = summary(res, obj, Xt, yt)
        s["task"] = "regression"
        rows.append(s)
        print(f"| regression | {obj} | {s['solved']}/{s['trials']} | {s['units_mean']:.2f} "
              f"({s['units_min']}-{s['units_max']}) | {s['epochs_mean']:.0f} | "
              f"{s['test_r2_mean']:.4f} ({s['test_r2_min']:.4f}) |", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return rows


if __name__ == "__main__":
    main()
