"""Knowledge- and rule-based cascade-correlation against plain CC on the same data and seeds.

Shultz & Rivest (2001), Connection Science 13 (KBCC); Thivierge, Dandurand & Shultz (2004),
IJCNN (RBCC). The tables and the figure of ``docs/kbcc.md`` come from::

    python benchmarks/kbcc_experiments.py --seeds 20 --json benchmarks/results/kbcc.json \\
        --figure docs/kbcc_regions.png

Experiments (``--experiments``, comma-separated):

``rectangle``
    Target: the rectangle of :data:`structlearn.shapes.FIGURES` on a 15 x 15 grid. Sources:
    networks trained by plain CC (seed 100) on the same rectangle (exact), translated
    (near, far), scaled (bigger, smaller), rotated (45 degrees) and an irrelevant 5 x 5
    checkerboard; each condition has one source in the pool (4 copies: 3 near-identity
    projections, 1 identity) next to 8 symmetric-sigmoid units.
``cross``
    Target: the cross; sources: its horizontal and its vertical bar (4 copies each).
``rules``
    Target: ``y = (x0 & x1 & ~x2) | (x3 & x4 & x5) | (x6 & ~x7 & x8)`` over 12 binary
    inputs (x9-x11 irrelevant), 100 training patterns drawn per seed, the other 3996 the
    test set. Rule sets: partly correct (the first two conjuncts and a spurious one over
    x9-x11) and wrong (three rules over x9-x11 only); each rule is its own compiled network,
    one identity-initialised copy in the pool, projections pruned at installation (0.1).

Epochs are Fahlman's count (output epochs with an update plus every candidate epoch).
``--holdout``, ``--objective`` and ``--stagnation`` set ``CascadeCorrelation``'s
``candidate_holdout``, ``candidate_objective`` and ``candidate_stagnation`` for plain CC and
KBCC alike (docs/kbcc.md, "The irrelevant source: three more mechanisms").

``--irrelevant ring,spiral,wave`` adds, after the default rectangle conditions, one condition
per named figure of :data:`structlearn.shapes.FIGURES`, labelled ``irrelevant: <name>``, with
that figure's source network alone in the pool (4 copies, as above); it also prints, per
condition with a source, each source's size and the installation at which a source was first
recruited in each seed.
``--conditions`` keeps only the conditions whose label starts with one of its comma-separated
prefixes (plain CC always runs), and only the experiments named in ``--experiments`` are run.
The irrelevant figures' study (docs/kbcc.md, "Irrelevant figures without rectangles")::

    python benchmarks/kbcc_experiments.py --experiments rectangle --irrelevant ring,spiral,wave \\
        --conditions irrelevant
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from structlearn.bench.kbcc_trials import (RULE_INPUTS, RULE_SETS, rule_data,  # noqa: E402
                                           trained_source as train_source)
from structlearn.cascor import CascadeCorrelation  # noqa: E402
from structlearn.cascor.knowledge import knowledge_pool, recruits, source_of  # noqa: E402
from structlearn.cascor.rules import rule_source  # noqa: E402
from structlearn.shapes import FIGURES, figure_data  # noqa: E402

MAX_UNITS = 30

RECT_CONDITIONS = [("exact", "rectangle"), ("translated near", "rect_near"),
                   ("translated far", "rect_far"), ("scaled bigger", "rect_big"),
                   ("scaled smaller", "rect_small"), ("rotated 45", "rect_rot"),
                   ("irrelevant", "checker")]
CROSS_CONDITIONS = [("hbar + vbar", ("hbar", "vbar"))]
#: more knowledge_pool options (--step-reference, --step-norm)
OPTIONS = {}
#: more CascadeCorrelation options, for plain CC and KBCC alike (--holdout, --objective)
ESTIMATOR = {}


def irrelevant_conditions(names):
    """The conditions ``("irrelevant: <name>", name)`` of ``--irrelevant`` (figure names of
    :data:`structlearn.shapes.FIGURES`; a comma-separated string or a list)."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    for name in names:
        if name not in FIGURES:
            raise ValueError(f"--irrelevant: unknown figure {name!r}; known: "
                             f"{', '.join(FIGURES)}")
    return [(f"irrelevant: {name}", name) for name in names]


def select_conditions(conditions, prefixes=None):
    """The conditions whose label starts with one of ``prefixes`` (a comma-separated string
    or a list; None: all of them)."""
    if prefixes is None:
        return list(conditions)
    if isinstance(prefixes, str):
        prefixes = [p.strip() for p in prefixes.split(",") if p.strip()]
    return [c for c in conditions if any(c[0].startswith(p) for p in prefixes)]


def summarise(results, tests, cc=None, sources=()):
    """One table row from the trials' results (and plain CC's, for the ratio)."""
    ep = np.array([r.epochs for r in results], float)
    rec = [recruits(r.history) for r in results]
    src = [[source_of(k) for k in kinds] for kinds in rec]
    row = dict(n=len(results), success=float(np.mean([r.success for r in results])),
               epochs_mean=float(ep.mean()), epochs_median=float(np.median(ep)),
               epochs_std=float(ep.std()),
               test_accuracy=float(np.mean(tests)),
               hidden_units=float(np.mean([r.hidden_units for r in results])),
               recruits=float(np.mean([len(k) for k in rec])))
    if cc is not None:
        row["epochs_ratio"] = row["epochs_mean"] / cc["epochs_mean"]
    if sources:
        row["first_is_source"] = float(np.mean([bool(s) and s[0] is not None for s in src]))
        row["source_recruited"] = float(np.mean([any(x is not None for x in s) for s in src]))
        for name in sources:
            row[f"recruited_{name}"] = float(np.mean([name in s for s in src]))
        row["all_recruited"] = float(np.mean([all(n in s for n in sources) for s in src]))
        row["first_kinds"] = [k[0] if k else None for k in rec]
        # per seed: the installation (1 = the first) at which a source was first recruited
        row["first_source_at"] = [next((i + 1 for i, x in enumerate(s) if x is not None), None)
                                  for s in src]
    return row


def test_accuracy(result, X, y):
    out = result.network.forward(X)[:, 0]
    return float(np.mean((out > 0).astype(int) == y))


def run(model, X, y, Xt, yt, seeds):
    results = model.fit_trials(X, y, seeds)
    return results, [test_accuracy(r, Xt, yt) for r in results]


def figure_experiments(seeds, score_factor, log, targets=("rectangle", "cross"),
                       irrelevant=(), conditions=None):
    """Plain CC and the KBCC conditions on the rectangle and the cross (those in
    ``targets``); ``irrelevant`` and ``conditions``: ``--irrelevant`` and ``--conditions``."""
    rows, models = {}, {}
    rect = RECT_CONDITIONS + irrelevant_conditions(irrelevant)
    for target, conds in (("rectangle", rect), ("cross", CROSS_CONDITIONS)):
        if target not in targets:
            continue
        conds = select_conditions(conds, conditions)
        X, y, Xt, yt = figure_data(target)
        t0 = time.perf_counter()
        cc = summarise(*run(CascadeCorrelation(max_hidden_units=MAX_UNITS, **ESTIMATOR), X, y,
                            Xt, yt, seeds))
        log(f"{target}: plain CC {cc['epochs_mean']:.0f} epochs, "
            f"{time.perf_counter() - t0:.1f} s")
        rows[f"{target} | plain CC"] = cc
        for label, figs in conds:
            figs = (figs,) if isinstance(figs, str) else figs
            nets = {f: train_source(f) for f in figs}
            types, K = knowledge_pool(nets, X=X, score_factor=score_factor, **OPTIONS)
            model = CascadeCorrelation(max_hidden_units=MAX_UNITS, unit_type=types, pool_size=K,
                                       **ESTIMATOR)
            t0 = time.perf_counter()
            row = summarise(*run(model, X, y, Xt, yt, seeds), cc=cc, sources=figs)
            row["source_units"] = {f: int(n.n_hidden_units) for f, n in nets.items()}
            row["step_scale"] = {t.name: t.step_scale for t in types if hasattr(t, "step_scale")}
            rows[f"{target} | {label}"] = row
            models[f"{target} | {label}"] = model
            log(f"{target} | {label}: {row['epochs_mean']:.0f} epochs "
                f"({row['epochs_ratio']:.2f}x CC), first recruit a source "
                f"{row['first_is_source']:.0%}, {time.perf_counter() - t0:.1f} s")
    return rows, models


def rule_experiments(seeds, score_factor, prune, log):
    """Each seed draws its own training set, so trials run one seed at a time (one batch
    per seed: plain CC and each rule set on the same data and seed)."""
    rows = {}
    per = {"plain CC": ([], [])}
    per.update({k: ([], []) for k in RULE_SETS})
    pruned = {k: [0, 0] for k in RULE_SETS}
    t0 = time.perf_counter()
    for seed in seeds:
        X, y, Xt, yt = rule_data(seed)
        res, acc = run(CascadeCorrelation(max_hidden_units=MAX_UNITS, **ESTIMATOR), X, y, Xt,
                       yt, [seed])
        per["plain CC"][0].extend(res)
        per["plain CC"][1].extend(acc)
        for name, rules in RULE_SETS.items():
            nets, maps = {}, {}
            for i, rule in enumerate(rules):
                nets[f"r{i + 1}"], maps[f"r{i + 1}"] = rule_source(rule, RULE_INPUTS)
            types, K = knowledge_pool(nets, X=X, copies=1, input_maps=maps, prune=prune,
                                      score_factor=score_factor, **OPTIONS)
            model = CascadeCorrelation(max_hidden_units=MAX_UNITS, unit_type=types, pool_size=K,
                                       **ESTIMATOR)
            res, acc = run(model, X, y, Xt, yt, [seed])
            per[name][0].extend(res)
            per[name][1].extend(acc)
            for blk in res[0].network.blocks:
                if blk.mask is not None:
                    pruned[name][0] += int((~blk.mask).sum())
                    pruned[name][1] += blk.mask.size
    cc = summarise(*per["plain CC"])
    rows["rules | plain CC"] = cc
    for name, rules in RULE_SETS.items():
        row = summarise(*per[name], cc=cc, sources=[f"r{i + 1}" for i in range(len(rules))])
        row["rules"] = rules
        row["projection_weights_pruned"] = pruned[name]
        rows[f"rules | {name}"] = row
        log(f"rules | {name}: {row['epochs_mean']:.0f} epochs ({row['epochs_ratio']:.2f}x CC),"
            f" test accuracy {row['test_accuracy']:.3f} vs {cc['test_accuracy']:.3f}")
    log(f"rules: {time.perf_counter() - t0:.1f} s")
    return rows


def region_figure(path, seed, score_factor):
    """Decision regions after each output phase of one KBCC run on the cross (two bar
    sources) and one on the rectangle with the near-translated source."""
    import matplotlib.pyplot as plt

    runs = [("cross", ("hbar", "vbar")), ("rectangle", ("rect_near",))]
    panels = []
    for target, figs in runs:
        X, y, _, _ = figure_data(target)
        nets = {f: train_source(f) for f in figs}
        types, K = knowledge_pool(nets, X=X, score_factor=score_factor, **OPTIONS)
        m = CascadeCorrelation(max_hidden_units=MAX_UNITS, unit_type=types, pool_size=K,
                               snapshots=True, rng=seed, **ESTIMATOR).fit(X, y)
        kinds = recruits(m.history_)
        panels.append((target, X, y, m.snapshots_, kinds))
    ncol = max(len(p[3]) for p in panels)
    fig, axes = plt.subplots(len(panels), ncol, figsize=(2.2 * ncol, 2.4 * len(panels)),
                             squeeze=False)
    g = np.linspace(0, 1, 101)
    G = np.column_stack([a.ravel() for a in np.meshgrid(g, g)])
    for r, (target, X, y, snaps, kinds) in enumerate(panels):
        for c in range(ncol):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c >= len(snaps):
                ax.axis("off")
                continue
            _, net = snaps[c]
            Z = (net.forward(G)[:, 0] > 0).reshape(101, 101)
            ax.imshow(Z, origin="lower", extent=(0, 1, 0, 1), cmap="Greys", alpha=0.35,
                      vmin=0, vmax=1)
            ax.scatter(X[:, 0], X[:, 1], c=np.where(y == 1, "tab:red", "tab:blue"), s=3)
            if c == 0:
                title = f"{target}: no recruit"
            else:
                k = kinds[c - 1]
                what = f"SOURCE {source_of(k)}" + (" (id)" if k.endswith("identity") else "") \
                    if source_of(k) else "unit"
                title = f"recruit {c}: {what}"
            ax.set_title(title, fontsize=8, color="darkred" if c and source_of(kinds[c - 1])
                         else "black")
    fig.suptitle(f"KBCC decision regions after each recruitment (seed {seed}; grey: class 1)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(rows):
    lines = ["| condition | success | epochs mean (median) | x plain CC | first recruit a source "
             "| source recruited | test accuracy | hidden units |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for key, r in rows.items():
        ratio = f"{r['epochs_ratio']:.2f}" if "epochs_ratio" in r else "1"
        first = f"{r['first_is_source']:.0%}" if "first_is_source" in r else "-"
        anyrec = f"{r['source_recruited']:.0%}" if "source_recruited" in r else "-"
        if "all_recruited" in r and len([k for k in r if k.startswith("recruited_")]) > 1:
            each = ", ".join(f"{k[10:]} {v:.0%}" for k, v in r.items()
                             if k.startswith("recruited_"))
            anyrec += f" (all: {r['all_recruited']:.0%}; {each})"
        lines.append(f"| {key} | {r['success']:.0%} | {r['epochs_mean']:.0f} "
                     f"({r['epochs_median']:.0f}) | {ratio} | {first} | {anyrec} | "
                     f"{r['test_accuracy']:.3f} | {r['hidden_units']:.1f} |")
    return "\n".join(lines)


def recruitment_lines(rows):
    """Per condition with sources: the sources' sizes (hidden units of the plain-CC network
    grown on each) and the installation (1 = the first) at which a source was first recruited
    in each seed ("-": never)."""
    lines = []
    for key, r in rows.items():
        if "first_source_at" not in r:
            continue
        units = ", ".join(f"{f} {n} units" for f, n in r.get("source_units", {}).items())
        lines.append(f"{key} (source: {units}): first source at installation " +
                     " ".join("-" if a is None else str(a) for a in r["first_source_at"]))
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=0,
                    help="seeds are first-seed, ..., first-seed + seeds - 1 (default 0)")
    ap.add_argument("--experiments", default="rectangle,cross,rules")
    ap.add_argument("--score-factor", type=float, default=1.0,
                    help="prior multiplying source candidates' scores (1: none)")
    ap.add_argument("--prune", type=float, default=0.1)
    ap.add_argument("--step-reference", type=float,
                    help="source_step_scale's reference slope (default: knowledge_pool's)")
    ap.add_argument("--step-norm", choices=["rms", "mean_abs"],
                    help="source_step_scale's slope size (default: knowledge_pool's)")
    ap.add_argument("--random-init", choices=["random", "near_identity"],
                    help="init of the copies that are not the identity copy (default: "
                         "knowledge_pool's)")
    ap.add_argument("--jitter", type=float,
                    help="near_identity copies: identity + jitter x the pool's draws")
    ap.add_argument("--holdout", type=float,
                    help="CascadeCorrelation(candidate_holdout=...) for plain CC and KBCC alike: "
                         "the fraction of patterns held out of candidate training to choose "
                         "the winner (default: none)")
    ap.add_argument("--objective", choices=["covariance", "cascade2"],
                    help="CascadeCorrelation(candidate_objective=...) for plain CC and KBCC "
                         "alike (default: the estimator's, covariance)")
    ap.add_argument("--stagnation", choices=["best", "each_kind"],
                    help="CascadeCorrelation(candidate_stagnation=...) for plain CC and KBCC "
                         "alike (default: the estimator's, best)")
    ap.add_argument("--irrelevant",
                    help="comma-separated figure names (e.g. ring,spiral,wave): one more "
                         "rectangle condition 'irrelevant: <name>' each, that figure's source "
                         "alone in the pool; also prints where sources were first recruited")
    ap.add_argument("--conditions",
                    help="comma-separated label prefixes: run only the rectangle and cross "
                         "conditions whose label starts with one (plain CC always runs; "
                         "default: all)")
    ap.add_argument("--json")
    ap.add_argument("--figure")
    args = ap.parse_args(argv)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    OPTIONS.update({k: v for k, v in dict(step_reference=args.step_reference,
                                          step_norm=args.step_norm,
                                          random_init=args.random_init,
                                          jitter=args.jitter).items() if v is not None})
    ESTIMATOR.update({k: v for k, v in dict(candidate_holdout=args.holdout,
                                            candidate_objective=args.objective,
                                            candidate_stagnation=args.stagnation).items()
                      if v is not None})
    exps = set(args.experiments.split(","))
    rows = {}

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    irrelevant = irrelevant_conditions(args.irrelevant or "")
    if exps & {"rectangle", "cross"}:
        r, _ = figure_experiments(seeds, args.score_factor, log,
                                  targets=[t for t in ("rectangle", "cross") if t in exps],
                                  irrelevant=[f for _, f in irrelevant],
                                  conditions=args.conditions)
        rows.update({k: v for k, v in r.items() if k.split(" |")[0] in exps})
    if "rules" in exps:
        rows.update(rule_experiments(seeds, args.score_factor, args.prune, log))
    print(markdown(rows))
    if args.irrelevant:
        print("\n" + "\n".join(recruitment_lines(rows)))
    print(f"\n{len(seeds)} seeds, score factor {args.score_factor}, {OPTIONS}, {ESTIMATOR}, "
          f"{time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(seeds=len(seeds), first_seed=args.first_seed,
                           score_factor=args.score_factor, options=OPTIONS,
                           estimator=ESTIMATOR,
                           rows=rows), fh,
                      indent=1)
    if args.figure:
        region_figure(args.figure, 0, args.score_factor)


if __name__ == "__main__":
    main()
