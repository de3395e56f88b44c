"""Reports of a benchmark run: a Markdown summary, CSV tables and figures.

:func:`write_report` reads ``DIR/results.jsonl`` (and the curves and networks
it points at) and writes

* ``DIR/summary.csv``: one line per algorithm x data set (x variant, when an
  algorithm ran with several parameter settings on one data set) with the
  number of trials, errors, success rate, test accuracy mean and standard
  deviation, hidden units min/mean/median/max, depth, epochs, connection
  crossings, weights, active weights and wall time;
* ``DIR/figures/``: learning curves (median and quartile band over seeds),
  network size against epoch for the algorithms whose size changes during
  training, and decision regions for two-dimensional data sets;
* ``DIR/report.md``: the tables, the figures, the environment and the list of
  trials that failed.

Conventions: the success rate and the means are over the trials that ran to
the end (status "ok"); trials that raised are counted in ``errors`` and listed
in the report.  The standard deviation is the sample one (``ddof=1``), empty
for a single trial.  When a trial ran more than once (``--resume`` after an
error), its last "ok" row counts.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections import OrderedDict

import numpy as np

from ..files import atomic_write, open_regular
from .runner import (MAX_ROW_BYTES, RESULTS, RUNS, ResultsStoreError, final_rows, read_lines,
                     read_results, row_file)

__all__ = ["summarize", "write_report", "load_rows", "SUMMARY_COLUMNS", "group_rows"]

#: columns of summary.csv, in order
SUMMARY_COLUMNS = [
    "algorithm", "variant", "dataset", "trials", "errors", "success_rate",
    "test_accuracy_mean", "test_accuracy_std", "train_accuracy_mean",
    "hidden_units_min", "hidden_units_mean", "hidden_units_median", "hidden_units_max",
    "depth_mean", "epochs_mean", "crossings_mean", "weights_mean", "active_weights_mean",
    "wall_time_mean", "criterion_rate", "criterion", "seeds", "dataset_source", "dataset_split",
]

#: what ``criterion_met`` means per algorithm (its own stopping criterion, not "solved")
CRITERIA = {"cascor": "victory (every output within 0.4 of its target)",
            "cascor_sdcc": "victory (every output within 0.4 of its target)",
            "dnc": "Ash's criterion (C_a/C_m) reached",
            "net2net": "search saving S >= 2 with every size reached"}

_FIGURE_PREFIXES = ("learning_curves_", "network_size_", "decision_")
#: largest curve file the report reads (a long run's History is a few MB)
MAX_CURVE_BYTES = 256 << 20


# -------------------------------------------------------------------- rows
def load_rows(out_dir, warn=None) -> list[dict]:
    """The rows that count (one per trial_id, see :func:`~.runner.final_rows`).

    Malformed rows (see :func:`~.runner.row_problem`) are skipped with a warning.
    """
    path = os.path.join(out_dir, RESULTS)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no {RESULTS} in {os.fspath(out_dir)!r}: run "
                                "'structlearn bench SUITE --out DIR' first")
    return list(final_rows(read_results(out_dir, warn)).values())


def _params_key(params):
    return json.dumps(params or {}, sort_keys=True, separators=(",", ":"))


def _fmt_value(v):
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return "-".join(_fmt_value(x) for x in v)
    return str(v)


def _dataset_order(name):
    order = ["xor", "parity", "symmetry", "encoder", "addition", "two_spirals", "mnist_small",
             "mnist", "fashion_mnist_small", "fashion_mnist"]
    m = re.fullmatch(r"([a-z_]+?)(\d*)", name)
    base, num = (m.group(1), int(m.group(2) or 0)) if m else (name, 0)
    return (order.index(base) if base in order else len(order), base, num, name)


def group_rows(rows):
    """Rows grouped by (algorithm, data set, params) -> OrderedDict {key: info}.

    Each group has ``algorithm``, ``dataset``, ``params``, ``variant`` (the
    ``label`` param, else the params that differ between the algorithm's
    groups on that data set, else "") and ``rows``.
    """
    groups = {}
    for r in rows:
        params = r.get("params") or {}
        key = (r["algorithm"], r["dataset"], _params_key(params))
        g = groups.setdefault(key, dict(algorithm=r["algorithm"], dataset=r["dataset"],
                                        params=params, rows=[]))
        g["rows"].append(r)
    by_algo_data = {}
    for key, g in groups.items():
        by_algo_data.setdefault(key[:2], []).append(g)
    for siblings in by_algo_data.values():
        keys = set().union(*(g["params"] for g in siblings)) - {"label"}
        differing = sorted(k for k in keys
                           if len({_params_key(g["params"].get(k)) for g in siblings}) > 1)
        for g in siblings:
            if g["params"].get("label"):
                g["variant"] = str(g["params"]["label"])
            elif len(siblings) > 1:
                g["variant"] = ", ".join(f"{k}={_fmt_value(g['params'].get(k))}"
                                         for k in differing)
            else:
                g["variant"] = ""
    ordered = sorted(groups.items(), key=lambda kv: (_dataset_order(kv[1]["dataset"]),
                                                     kv[1]["algorithm"], kv[1]["variant"]))
    return OrderedDict(ordered)


def _values(rows, key):
    out = []
    for r in rows:
        v = r.get(key)
        if isinstance(v, bool):
            v = float(v)
        if isinstance(v, (int, float)) and math.isfinite(v):
            out.append(float(v))
    return np.array(out)


def _mean(v):
    return float(np.mean(v)) if len(v) else None


def summarize(rows) -> list[dict]:
    """One summary dict per group (see :data:`SUMMARY_COLUMNS`)."""
    table = []
    for g in group_rows(rows).values():
        ok = [r for r in g["rows"] if r.get("status") == "ok"]
        errors = len(g["rows"]) - len(ok)
        succ = [r["success"] for r in ok if r.get("success") is not None]
        test = _values(ok, "test_accuracy")
        units = _values(ok, "hidden_units")
        line = dict(algorithm=g["algorithm"], variant=g["variant"], dataset=g["dataset"],
                    trials=len(ok), errors=errors,
                    success_rate=(sum(bool(s) for s in succ) / len(succ)) if succ else None,
                    test_accuracy_mean=_mean(test),
                    test_accuracy_std=float(np.std(test, ddof=1)) if len(test) > 1 else None,
                    train_accuracy_mean=_mean(_values(ok, "train_accuracy")),
                    hidden_units_min=float(units.min()) if len(units) else None,
                    hidden_units_mean=_mean(units),
                    hidden_units_median=float(np.median(units)) if len(units) else None,
                    hidden_units_max=float(units.max()) if len(units) else None)
        for key in ("depth", "epochs", "crossings", "weights", "active_weights", "wall_time"):
            line[f"{key}_mean"] = _mean(_values(ok, key))
        crit = [r["criterion_met"] for r in ok if r.get("criterion_met") is not None]
        line["criterion_rate"] = (sum(bool(c) for c in crit) / len(crit)) if crit else None
        line["criterion"] = CRITERIA.get(g["algorithm"], "the trial's own criterion") \
            if crit else None
        line["seeds"] = _seed_text(sorted({int(r["seed"]) for r in ok}))
        for key in ("dataset_source", "dataset_split"):
            vals = sorted({str(r[key]) for r in ok if r.get(key)})
            line[key] = "; ".join(vals) if vals else None
        line["_group"] = g
        table.append(line)
    return table


def _seed_text(seeds):
    """``[0, 1, 2, 5]`` -> ``"0-2,5"``."""
    parts, i = [], 0
    while i < len(seeds):
        j = i
        while j + 1 < len(seeds) and seeds[j + 1] == seeds[j] + 1:
            j += 1
        parts.append(f"{seeds[i]}" if i == j else f"{seeds[i]}-{seeds[j]}")
        i = j + 1
    return ",".join(parts)


# ------------------------------------------------------------------ output
def _csv_text(summary):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=SUMMARY_COLUMNS, extrasaction="ignore",
                       lineterminator="\n")
    w.writeheader()
    for line in summary:
        w.writerow({k: ("" if line.get(k) is None else line[k]) for k in SUMMARY_COLUMNS})
    return buf.getvalue()


def _num(v, digits=3):
    if v is None:
        return "–"
    if abs(v) >= 1e6:
        return f"{v:.2e}"
    if float(v).is_integer():
        return f"{int(v)}"
    return f"{v:.{digits}g}"


def _md_escape(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _rate(rate, n):
    if rate is None:
        return "–"
    return f"{round(rate * n)}/{n} ({100 * rate:.0f}%)"


def _markdown_tables(summary, rows=()):
    out = []
    datasets = list(OrderedDict.fromkeys(line["dataset"] for line in summary))
    all_algos = sorted({line["algorithm"] for line in summary})
    for ds in datasets:
        lines = [line for line in summary if line["dataset"] == ds]
        has_variant = any(line["variant"] for line in lines)
        has_cross = any(line["crossings_mean"] is not None for line in lines)
        has_crit = any(line["criterion_rate"] is not None for line in lines)
        head = ["algorithm"] + (["variant"] if has_variant else []) + \
            ["trials", "seeds", "solved"] + (["own criterion"] if has_crit else []) + \
            ["test accuracy", "hidden units min / mean / median / max",
             "depth", "epochs"] + (["crossings"] if has_cross else []) + \
            ["weights (active)", "wall time (s)"]
        out.append(f"### {ds}\n")
        sources = sorted({line["dataset_source"] for line in lines if line["dataset_source"]})
        splits = sorted({line["dataset_split"] for line in lines if line["dataset_split"]})
        if sources or splits:
            out.append(f"Data: {'; '.join(sources) or ds}"
                       + (f"; split used: {'; '.join(splits)}" if splits else "") + ".\n")
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "|".join("---" if i < 1 + has_variant else "---:"
                                  for i in range(len(head))) + "|")
        for line in lines:
            n = line["trials"]
            acc = "–" if line["test_accuracy_mean"] is None else f"{line['test_accuracy_mean']:.3f}"
            if line["test_accuracy_std"] is not None:
                acc += f" ± {line['test_accuracy_std']:.3f}"
            units = " / ".join(_num(line[f"hidden_units_{s}"], 3)
                               for s in ("min", "mean", "median", "max"))
            weights = _num(line["weights_mean"], 4)
            if line["active_weights_mean"] is not None and \
                    line["active_weights_mean"] != line["weights_mean"]:
                weights += f" ({_num(line['active_weights_mean'], 4)})"
            trials = f"{n}" + (f" (+{line['errors']} failed)" if line["errors"] else "")
            cells = [line["algorithm"]] + ([line["variant"]] if has_variant else []) + \
                [trials, line["seeds"] or "–", _rate(line["success_rate"], n)] + \
                ([_rate(line["criterion_rate"], n)] if has_crit else []) + \
                [acc, units, _num(line["depth_mean"]), _num(line["epochs_mean"], 4)] + \
                ([_num(line["crossings_mean"])] if has_cross else []) + \
                [weights, _num(line["wall_time_mean"], 3)]
            out.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
        out.append("")
        notes = []
        seed_sets = {line["seeds"] for line in lines}
        if len(seed_sets) > 1:
            notes.append("Rows rest on different seeds (column *seeds*): the suite gives "
                         "these algorithms different numbers of runs here; compare their "
                         "means with that in mind.")
        missing = [a for a in all_algos if a not in {line["algorithm"] for line in lines}]
        if missing:
            notes.append(f"Not run on {ds}: {', '.join(missing)} (the suite does not list "
                         f"{ds} for {'it' if len(missing) == 1 else 'them'}).")
        if has_crit:
            crits = OrderedDict((line["algorithm"], line["criterion"]) for line in lines
                                if line["criterion"])
            notes.append("Own criterion: " + "; ".join(f"{a}: {c}" for a, c in crits.items())
                         + ".")
        if notes:
            out += [" ".join(notes), ""]
    return "\n".join(out)


# ----------------------------------------------------------------- figures
def _group_name(g):
    return g["algorithm"] + (f" ({g['variant']})" if g["variant"] else "")


def _load_history(out_dir, row, warn):
    """The trial's History, or None (with a warning) when its curve file is missing, outside
    the results folder, too large or not a History."""
    from ..history import History

    try:
        path = row_file(out_dir, row, "curve", max_bytes=MAX_CURVE_BYTES)
        if path is None:
            return None
        with open_regular(path, error=ResultsStoreError) as fh:
            data = json.loads(fh.read(MAX_CURVE_BYTES + 1))
        history = History.from_dict(data)
        _check_history(history)
        phases = row.get("curve_phases")
        if isinstance(phases, list) and phases:
            # a search logs every candidate it trains; the figures follow the path that made
            # the saved network, so their last point is the table's
            history = History([r for r in history.rows if r.get("phase") in phases],
                              history.events, history.meta)
        return history
    except (OSError, ValueError, TypeError, KeyError, RecursionError, ResultsStoreError) as exc:
        warn(f"cannot read the curve of trial {row['trial_id']} ({exc})")
        return None


def _check_history(history):
    """Raise ValueError unless ``history`` has what the figures read: rows with a numeric
    epoch and numeric (or absent) loss, accuracy, units and weights."""
    if not isinstance(history.rows, list) or not isinstance(history.events, list):
        raise ValueError("rows and events must be lists")
    for i, r in enumerate(history.rows):
        if not isinstance(r, dict):
            raise ValueError(f"row {i}: expected an object, got {type(r).__name__}")
        for key in ("epoch", "loss", "accuracy", "units", "weights", "seconds"):
            v = r.get(key)
            if (v is None and key != "epoch") or (isinstance(v, (int, float))
                                                  and not isinstance(v, bool)):
                continue
            raise ValueError(f"row {i}: {key}: expected a number, got {v!r:.40}")
    if not all(isinstance(e, dict) for e in history.events):
        raise ValueError("events must be objects")


def _size_changes(histories):
    """Which of units/weights change within some history (growing or pruning)."""
    out = set()
    for h in histories:
        for col in ("units", "weights"):
            v = h.column(col)
            v = v[np.isfinite(v)]
            if len(v) > 1 and v.min() != v.max():
                out.add(col)
    return out


def _make_figures(out_dir, summary, warn):
    from .. import plotting
    import matplotlib.pyplot as plt

    fig_dir = os.path.join(out_dir, "figures")
    os.makedirs(fig_dir, exist_ok=True)
    for name in os.listdir(fig_dir):  # figures of an earlier report of this directory
        if name.endswith(".png") and name.startswith(_FIGURE_PREFIXES):
            os.remove(os.path.join(fig_dir, name))
    names = sorted({_group_name(line["_group"]) for line in summary})
    colors = dict(zip(names, plotting.color_cycle(len(names))))
    figures = []
    datasets = list(OrderedDict.fromkeys(line["dataset"] for line in summary))
    for ds in datasets:
        try:
            figures += _dataset_figures(out_dir, ds, summary, fig_dir, colors, warn)
        except Exception as exc:  # noqa: BLE001 - a report never fails on a figure
            plt.close("all")
            warn(f"figures of {ds}: skipped ({type(exc).__name__}: {exc})")
    return figures


def _dataset_figures(out_dir, ds, summary, fig_dir, colors, warn):
    """The figures of one data set: ``[(dataset, title, relative path), ...]``."""
    from .. import plotting
    import matplotlib.pyplot as plt

    figures = []
    groups = [line["_group"] for line in summary if line["dataset"] == ds]
    hist = OrderedDict()
    for g in groups:
        hs = [h for r in sorted(g["rows"], key=lambda r: r["seed"])
              if r.get("status") == "ok" for h in [_load_history(out_dir, r, warn)]
              if h is not None and len(h)]
        if hs:
            hist[_group_name(g)] = hs
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", ds)
    if hist:
        has_acc = any(np.isfinite(h.column("accuracy")).any() for hs in hist.values()
                      for h in hs)
        fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(11 if has_acc else 6.5, 4.3),
                                 layout="constrained", squeeze=False)
        plotting.plot_learning_curves(hist, ax=axes[0, 0], colors=colors,
                                      title="Training loss (each algorithm's own loss)")
        if has_acc:
            with_acc = OrderedDict((k, v) for k, v in hist.items()
                                   if any(np.isfinite(h.column("accuracy")).any() for h in v))
            plotting.plot_learning_curves(with_acc, metric="accuracy", ax=axes[0, 1],
                                          colors=colors, logy=False,
                                          title="Training accuracy")
            # algorithms that log no per-epoch accuracy (cascade-correlation logs error
            # bits) are in the panel too: their final training accuracy (the table's, the
            # contract's) at their final epoch, one marker per seed
            for g in groups:
                name = _group_name(g)
                if name not in hist or name in with_acc:
                    continue
                pts = [(r.get("epochs"), r.get("train_accuracy")) for r in g["rows"]
                       if r.get("status") == "ok" and r.get("epochs") is not None
                       and r.get("train_accuracy") is not None]
                if pts:
                    axes[0, 1].scatter(*zip(*pts), marker="D", s=28, color=colors[name],
                                       label=f"{name} (final only)", zorder=3)
            axes[0, 1].legend(fontsize=7)
            axes[0, 1].set_ylim(top=1.02)
        fig.suptitle(f"{ds}: learning curves (median and 25–75% band over seeds)")
        path = os.path.join(fig_dir, f"learning_curves_{safe}.png")
        plotting.save_figure(fig, path)
        figures.append((ds, f"{ds}: learning curves", os.path.relpath(path, out_dir)))
        changing = OrderedDict((k, v) for k, v in hist.items() if _size_changes(v))
        if changing:
            changes = set().union(*(_size_changes(v) for v in changing.values()))
            cols = [c for c in ("units", "weights") if c in changes]
            fig, axes = plt.subplots(1, len(cols), figsize=(5.5 * len(cols), 4.3),
                                     layout="constrained", squeeze=False)
            for ax, col in zip(axes[0], cols):
                plotting.plot_network_size(changing, what=col, ax=ax, colors=colors)
            fig.suptitle(f"{ds}: network size during training (median and 25–75% band)")
            path = os.path.join(fig_dir, f"network_size_{safe}.png")
            plotting.save_figure(fig, path)
            figures.append((ds, f"{ds}: network size against epoch",
                            os.path.relpath(path, out_dir)))
    path = _decision_figure(out_dir, ds, groups, fig_dir, safe, warn)
    if path:
        figures.append((ds, f"{ds}: decision regions", os.path.relpath(path, out_dir)))
    return figures


def _decision_figure(out_dir, ds, groups, fig_dir, safe, warn):
    """Decision regions of one trial per group (the lowest successful seed)."""
    from .. import plotting
    from ..network import Network
    from .data import load_bench_data
    import matplotlib.pyplot as plt

    panels = []
    for g in groups:
        ok = sorted((r for r in g["rows"] if r.get("status") == "ok" and r.get("network")),
                    key=lambda r: (not r.get("success"), r["seed"]))
        if not ok:
            continue
        row = ok[0]
        try:
            net = Network.load(row_file(out_dir, row, "network"))
        except (OSError, ValueError, ResultsStoreError) as exc:
            warn(f"cannot read the network of trial {row['trial_id']} ({exc})")
            continue
        if net.n_inputs != 2:
            return None
        panels.append((g, row, net))
    if not panels:
        return None
    try:
        data = load_bench_data(ds, panels[0][1]["seed"])
    except Exception as exc:  # noqa: BLE001 - a report never fails on a figure
        warn(f"decision regions of {ds}: cannot load the data set ({exc})")
        return None
    if data.n_classes is None or data.X_train.shape[1] != 2:
        return None
    ncol = min(4, len(panels))
    nrow = math.ceil(len(panels) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(max(4.4 * ncol, 6.0), 5.0 * nrow),
                             layout="constrained", squeeze=False)
    for ax, (g, row, net) in zip(axes.ravel(), panels):
        acc = row.get("train_accuracy")
        detail = f"seed {row['seed']}, {net.n_hidden_units} hidden units"
        if isinstance(acc, (int, float)) and not isinstance(acc, bool):
            detail += f", train acc {acc:.3f}"
        plotting.plot_decision_boundary(net, data.X_train, data.y_train, ax=ax,
                                        title=f"{_group_name(g)}\n{detail}")
    for ax in axes.ravel()[len(panels):]:
        ax.set_axis_off()
    fig.suptitle(f"{ds}: decision regions of the final networks")
    return plotting.save_figure(fig, os.path.join(fig_dir, f"decision_{safe}.png"))


# ------------------------------------------------------------------ report
def _environment_md(rows):
    envs = OrderedDict()
    for r in rows:
        env = r.get("env") or {}
        key = json.dumps(env, sort_keys=True)
        envs.setdefault(key, [env, 0])[1] += 1
    out = ["| structlearn | git commit | numpy | BLAS | python | platform | CPUs | trials |",
           "|---|---|---|---|---|---|---:|---:|"]
    for env, n in envs.values():
        commit = env.get("git_commit")
        commit = (str(commit)[:12] + (" (modified)" if env.get("git_dirty") else "")) \
            if commit else "–"
        out.append(f"| {env.get('structlearn', '–')} | {commit} | {env.get('numpy', '–')} | "
                   f"{_md_escape(env.get('blas') or '–')} | {env.get('python', '–')} | "
                   f"{_md_escape(env.get('platform', '–'))} | {env.get('cpu_count', '–')} | "
                   f"{n} |")
    return "\n".join(out)


def _errors_md(rows):
    bad = [r for r in rows if r.get("status") != "ok"]
    if not bad:
        return "None: every trial finished.\n"
    out = [f"{len(bad)} trial(s) raised an error (run again with `--resume` to retry them; "
           "the full tracebacks are in `results.jsonl`, field `error.traceback`).\n",
           "| trial | algorithm | dataset | seed | error |", "|---|---|---|---:|---|"]
    for r in sorted(bad, key=lambda r: (r["algorithm"], r["dataset"], r["seed"])):
        err = r.get("error") or {}
        msg = str(err.get("message", "")).strip().splitlines()
        msg = msg[0][:200] if msg else ""
        out.append(f"| `{r['trial_id']}` | {r['algorithm']} | {r['dataset']} | {r['seed']} | "
                   f"{_md_escape(err.get('type', '?'))}: {_md_escape(msg)} |")
    return "\n".join(out) + "\n"


def _runs_md(out_dir):
    """The bench commands that wrote this directory (DIR/runs.jsonl, written by the CLI)."""
    path = os.path.join(out_dir, RUNS)
    if not os.path.lexists(path):
        return ""
    out = ["| started | command | trials run | ok | failed | skipped | seconds |",
           "|---|---|---:|---:|---:|---:|---:|"]
    try:
        with open_regular(path, error=ResultsStoreError) as fh:
            for _, line in read_lines(fh, MAX_ROW_BYTES):
                try:
                    r = json.loads(line)
                    out.append(f"| {_md_escape(r['started'])} | `{_md_escape(r['command'])}` | "
                               f"{r['ran']} | {r['ok']} | {r['errors']} | {r['skipped']} | "
                               f"{r['seconds']}" + (" (interrupted)" if r.get("interrupted")
                                                    else "") + " |")
                except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                    continue  # a torn line of a killed run, or a line too long to read
    except (OSError, ResultsStoreError):
        return ""
    return "\n".join(out) if len(out) > 2 else ""


def write_report(out_dir, *, figures=True, warn=None) -> str:
    """Write ``summary.csv``, ``figures/`` and ``report.md`` in ``out_dir``; return report.md's path.

    Raises
    ------
    FileNotFoundError
        When ``out_dir`` has no results file.
    """
    import sys

    warn = warn or (lambda msg: print(f"structlearn: {msg}", file=sys.stderr))
    rows = load_rows(out_dir, warn)
    summary = summarize(rows)
    atomic_write(os.path.join(out_dir, "summary.csv"), _csv_text(summary))
    figs = _make_figures(out_dir, summary, warn) if figures and rows else []
    n_ok = sum(r.get("status") == "ok" for r in rows)
    total_time = sum(float(r.get("wall_time") or 0.0) for r in rows)
    algos = sorted({r["algorithm"] for r in rows})
    md = ["# structlearn benchmark report", "",
          f"{len(rows)} trials ({n_ok} finished, {len(rows) - n_ok} failed) of "
          f"{len(algos)} algorithm(s): {', '.join(algos) or '–'}; "
          f"{total_time:.1f} s of trial time in total.", "",
          "Solved = every training pattern classified correctly (the same definition in "
          "every row); an algorithm's own stopping criterion (cascade-correlation's "
          "victory, DNC's criterion, Net2Net's saving S >= 2) is the column *own "
          "criterion*. Accuracies are `structlearn.evaluate`'s on the saved network (the "
          "estimators' `score`). Test accuracy is "
          "the mean ± sample standard deviation over seeds. Means are over the "
          "trials that finished. Full table: [summary.csv](summary.csv); raw rows: "
          f"[{RESULTS}]({RESULTS}).", "", "## Results", "", _markdown_tables(summary)]
    if figs:
        md += ["## Figures", ""]
        current = None
        for ds, title, rel in figs:
            if ds != current:
                md += [f"### {ds}", ""]
                current = ds
            md += [f"![{title}]({rel})", ""]
    md += ["## Failed trials", "", _errors_md(rows), "## Environment", "", _environment_md(rows),
           "", "A trial's numbers are reproduced bit for bit on the same numpy, BLAS build and "
           "CPU kernels; with another BLAS build or CPU some products round differently in "
           "the last bit and training takes another path from there (per-seed figures "
           "change, means over seeds move within their spread).", ""]
    runs = _runs_md(out_dir)
    if runs:
        md += ["## Runs", "", runs, ""]
    path = os.path.join(out_dir, "report.md")
    atomic_write(path, "\n".join(md))
    return path
