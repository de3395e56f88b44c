"""Figures for lectures and papers: decision boundaries, learning and growth
curves, network diagrams, pruning curves.

Every function draws on a matplotlib ``Axes`` (a new figure when ``ax`` is
None) and returns that ``Axes``; axes are labelled, lines carry legend labels,
and titles say what is shown.  Save with :func:`save_figure`.

On a machine without a display (no ``DISPLAY``/``WAYLAND_DISPLAY``, no
``MPLBACKEND``), importing this module selects the non-interactive Agg
backend, so scripts, the benchmark report and CI work headless.
"""
from __future__ import annotations

import os
import sys

import matplotlib

if (sys.platform.startswith("linux") and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("MPLBACKEND")
        and "matplotlib.pyplot" not in sys.modules):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

from .files import atomic_write  # noqa: E402
from .targets import for_network  # noqa: E402

__all__ = ["plot_decision_boundary", "plot_learning_curves", "plot_network_size",
           "plot_network", "plot_pruning_curves", "plot_saliency", "summarize_curves",
           "save_figure", "color_cycle"]

#: light fills for class regions, strong colours for the points (colour-blind safe pairs)
_REGION = ["#a6cee3", "#fdbf6f", "#b2df8a", "#fb9a99", "#cab2d6", "#ffff99", "#d9d9d9",
           "#8dd3c7", "#bebada", "#fccde5"]
_POINTS = ["#1f78b4", "#ff7f00", "#33a02c", "#e31a1c", "#6a3d9a", "#b15928", "#525252",
           "#01665e", "#3f007d", "#c51b7d"]


def _in_notebook(argv):
    """Whether ``argv`` is a Jupyter kernel's (``ipykernel_launcher.py -f kernel.json``)."""
    return bool(argv) and ("ipykernel" in os.path.basename(str(argv[0]))
                           or any(str(a).endswith(".json") and "kernel" in str(a)
                                  for a in argv[1:]))


def example_options(description, script=None, argv=None):
    """Command-line options shared by the teaching examples in ``examples/``.

    Parses ``--quick`` (or the environment variable ``STRUCTLEARN_QUICK=1``: the
    small budget CI runs them with) and ``--out DIR``. An unknown option is an error
    (exit 2, with the usage), so a mistyped ``--quik`` never runs the full budget; inside
    Jupyter the kernel's own arguments are ignored.

    Figures go to ``--out DIR`` when given, else to a scratch folder,
    ``$TMPDIR/structlearn-examples`` (printed), so that running an example never
    overwrites the tracked gallery figures (the gallery commands pass ``--out docs/figures``).

    Returns
    -------
    quick : bool
    out : pathlib.Path
        An existing directory for the figures.
    """
    import argparse
    import sys
    import tempfile
    from pathlib import Path

    argv = sys.argv if argv is None else [sys.argv[0], *argv]
    parser = argparse.ArgumentParser(
        prog=os.path.basename(script) if script else None, description=description)
    parser.add_argument("--quick", action="store_true", help="small budget (as in CI)")
    parser.add_argument("--out", default=None,
                        help="directory for the figure (default: a scratch folder, "
                             "$TMPDIR/structlearn-examples)")
    if _in_notebook(argv):
        args, _ = parser.parse_known_args(argv[1:])
    else:
        args = parser.parse_args(argv[1:])
    quick = args.quick or os.environ.get("STRUCTLEARN_QUICK") == "1"
    if args.out:
        out = Path(args.out)
    else:
        out = Path(tempfile.gettempdir()) / "structlearn-examples"
        print(f"figures go to {out} (--out DIR to choose)", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    return quick, out


def color_cycle(n):
    """``n`` distinct colours (tab10, then tab20)."""
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


def _axes(ax, figsize=(6.0, 4.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def save_figure(fig_or_ax, path, dpi=130):
    """Save a figure (or the figure of an Axes) as ``path`` and close it."""
    fig = fig_or_ax.figure if hasattr(fig_or_ax, "figure") and not hasattr(fig_or_ax, "savefig") \
        else fig_or_ax
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fmt = os.path.splitext(os.fspath(path))[1][1:].lower() or None  # None: matplotlib's default
    # whole or not at all: a report never links a half-written figure
    atomic_write(path, writer=lambda fh: fig.savefig(fh, format=fmt, dpi=dpi))
    plt.close(fig)
    return path


# ------------------------------------------------------------ decision boundary
def plot_decision_boundary(model, X, y, *, ax=None, resolution=200, padding=None,
                           title=None, show_points=True, class_names=None, point_size=None):
    """Class regions of a network with two inputs, with the data on top.

    The regions are the classes the targets module decodes
    (:mod:`structlearn.targets`): the side of the output's midpoint for one
    output, the arg-max for several; the same classes ``predict`` gives and
    :func:`structlearn.evaluate` scores.

    Parameters
    ----------
    model : Network or fitted estimator
        A network with 2 inputs (class labels are its output indices, the
        bare-network convention), or a fitted structlearn estimator (its
        ``network_``, with its ``classes_``: any labels).
    X : array (n, 2)
    y : array (n,) of class labels
    ax : Axes, optional
    resolution : int
        Grid points per axis.
    padding : float, optional
        Margin around the data, as a fraction of its range (default 0.25 for a
        handful of points such as XOR, 0.08 otherwise).
    title : str, optional
    show_points : bool
    class_names : list of str, optional
        Legend names of the classes (default "class 0", "class 1"... with the
        class labels).
    point_size : float, optional
        Marker area (default: large for a handful of points, small for many).
    """
    network = getattr(model, "network_", model)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n_samples, 2) for a decision-boundary plot, "
                         f"got {X.shape}")
    if network.n_inputs != 2:
        raise ValueError(f"network must have 2 inputs for a decision-boundary plot, "
                         f"it has {network.n_inputs}")
    if len(y) != len(X):
        raise ValueError(f"y must have {len(X)} labels (one per row of X), got {len(y)}")
    info = getattr(model, "target_info_", None)
    if info is None:
        if y.dtype.kind == "f" and np.all(y == np.round(y)):
            y = y.astype(np.int64)  # class indices given as floats
        info = for_network(network, y)
    if not info.is_classification or info.classes is None:
        raise ValueError(f"y: decision regions need class labels, got {info.kind} targets")
    ax = _axes(ax, (5.0, 5.0))
    few = len(X) < 50
    padding = (0.25 if few else 0.08) if padding is None else padding
    point_size = (80 if few else 14) if point_size is None else point_size
    lo, hi = X.min(axis=0), X.max(axis=0)
    margin = padding * np.maximum(hi - lo, 1e-9)
    gx = np.linspace(lo[0] - margin[0], hi[0] + margin[0], resolution)
    gy = np.linspace(lo[1] - margin[1], hi[1] + margin[1], resolution)
    xx, yy = np.meshgrid(gx, gy)
    grid = np.column_stack([xx.ravel(), yy.ravel()]).astype(network.dtype)
    # region k is the class info.classes[k], as decoded by the targets module
    classes = info.codes(info.decode(network.forward(grid))).reshape(xx.shape)
    codes = info.codes(y)
    n_classes = len(info.classes)
    cmap = ListedColormap(_REGION[:n_classes])
    # an image is much faster to draw than filled contours of intricate regions
    ax.imshow(classes, origin="lower", extent=(gx[0], gx[-1], gy[0], gy[-1]), cmap=cmap,
              vmin=-0.5, vmax=n_classes - 0.5, interpolation="nearest", aspect="auto")
    ax.contour(xx, yy, classes, levels=np.arange(n_classes - 1) + 0.5, colors="k",
               linewidths=0.8)
    if show_points:
        names = class_names or [f"class {c}" for c in info.classes.tolist()]
        for c in range(n_classes):
            sel = codes == c
            if np.any(sel):
                ax.scatter(X[sel, 0], X[sel, 1], s=point_size, color=_POINTS[c % len(_POINTS)],
                           edgecolors="white", linewidths=0.5, label=names[c], zorder=3)
        # below the axes: the data fill the plot, a legend inside would hide points
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=min(n_classes, 4),
                  fontsize="small", frameon=False)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(title or "Decision regions")
    return ax


# ------------------------------------------------------------------ curves
def summarize_curves(curves, n_points=400):
    """Median and quartiles of several step curves on a common x grid.

    Parameters
    ----------
    curves : list of (x, y) arrays
        Each curve is held at its last value after it ends (a trial that stopped
        early keeps its final loss or size), so early finishers do not drop out
        of the median.
    n_points : int
        At most this many grid points.

    Returns
    -------
    grid, median, q25, q75 : arrays
    """
    curves = [(np.asarray(x, float), np.asarray(v, float)) for x, v in curves if len(x)]
    if not curves:
        empty = np.array([])
        return empty, empty, empty, empty
    xmin = min(x.min() for x, _ in curves)
    xmax = max(x.max() for x, _ in curves)
    all_x = np.unique(np.concatenate([x for x, _ in curves]))
    grid = all_x if len(all_x) <= n_points else np.linspace(xmin, xmax, n_points)
    values = np.full((len(curves), len(grid)), np.nan)
    for i, (x, v) in enumerate(curves):
        order = np.argsort(x, kind="stable")
        x, v = x[order], v[order]
        pos = np.searchsorted(x, grid, side="right") - 1  # last point at or before the grid x
        ok = pos >= 0
        values[i, ok] = v[pos[ok]]
    return grid, _nanquantile(values, 0.5), _nanquantile(values, 0.25), _nanquantile(values, 0.75)


def _nanquantile(values, q):
    """Column quantiles ignoring NaN, linear interpolation (numpy's default method).

    Vectorised (``np.nanquantile`` loops over columns in Python); all-NaN
    columns give NaN.
    """
    ordered = np.sort(values, axis=0)  # NaN sort last
    counts = np.sum(~np.isnan(values), axis=0)
    pos = q * np.maximum(counts - 1, 0)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(counts - 1, 0))
    cols = np.arange(values.shape[1])
    frac = pos - lo
    out = ordered[lo, cols] * (1 - frac) + ordered[hi, cols] * frac
    out = np.where(frac == 0, ordered[lo, cols], out)  # exact values where no interpolation
    out[counts == 0] = np.nan
    return out


def _history_curve(history, column, phases=None, exclude_phases=("candidate",)):
    rows = [r for r in history.rows
            if (phases is None or r.get("phase") in phases)
            and r.get("phase") not in (exclude_phases or ())
            and r.get(column) is not None]
    return (np.array([r["epoch"] for r in rows], float),
            np.array([r[column] for r in rows], float))


def _plot_groups(ax, groups, column, *, logy, band, phases, exclude_phases, colors, lw=1.8):
    colors = colors or dict(zip(groups, color_cycle(len(groups))))
    drawn, lowest = 0, np.inf
    for label, histories in groups.items():
        hs = histories if isinstance(histories, (list, tuple)) else [histories]
        curves = [_history_curve(h, column, phases, exclude_phases) for h in hs]
        curves = [c for c in curves if len(c[0])]
        if not curves:
            continue
        grid, med, q25, q75 = summarize_curves(curves)
        color = colors.get(label)
        n = len(curves)
        name = f"{label} (median of {n})" if n > 1 else str(label)
        ax.plot(grid, med, color=color, lw=lw, label=name, drawstyle="steps-post")
        if band and n > 1:
            ax.fill_between(grid, q25, q75, color=color, alpha=0.2, step="post", linewidth=0)
        drawn += 1
        lowest = min(lowest, np.nanmin(q25 if band and n > 1 else med))
    if logy and drawn and lowest > 0:
        ax.set_yscale("log")
    return drawn


def _as_groups(histories, labels):
    from .history import History

    if isinstance(histories, dict):
        return dict(histories)
    if isinstance(histories, History):
        histories = [histories]
    histories = list(histories)
    if labels is None:
        return {"runs": histories}
    if len(labels) != len(histories):
        raise ValueError(f"labels must have one entry per history ({len(histories)}), "
                         f"got {len(labels)}")
    groups = {}
    for lab, h in zip(labels, histories):
        groups.setdefault(lab, []).append(h)
    return groups


def plot_learning_curves(histories, *, labels=None, metric="loss", ax=None, logy=True,
                         band=True, phases=None, exclude_phases=("candidate",), title=None,
                         ylabel=None, colors=None):
    """Learning curves: ``metric`` against epoch, median and quartile band over runs.

    Parameters
    ----------
    histories : History, list of History, or dict {label: list of History}
        Several histories under one label are summarised by the median (line)
        and the 25-75 % band; each run holds its last value after it stops.
    labels : list of str, optional
        One label per history (when ``histories`` is a list).
    metric : str, default "loss"
        A column of the histories (``loss``, ``accuracy``, ``val_loss``...).
    ax : Axes, optional
    logy : bool, default True
        Logarithmic y axis (when every value is positive).
    band : bool, default True
    phases : set of str, optional
        Only rows of these phases.
    exclude_phases : tuple of str
        Rows of these phases are left out (by default cascade-correlation's
        candidate phase, whose "loss" is not the network's loss).
    title, ylabel : str, optional
    colors : dict {label: colour}, optional

    Returns
    -------
    Axes
    """
    groups = _as_groups(histories, labels)
    ax = _axes(ax)
    n = _plot_groups(ax, groups, metric, logy=logy and metric.endswith("loss"), band=band,
                     phases=phases, exclude_phases=exclude_phases, colors=colors)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or {"loss": "training loss", "accuracy": "training accuracy",
                             "val_loss": "validation loss",
                             "val_accuracy": "validation accuracy"}.get(metric, metric))
    ax.set_title(title or "Learning curves")
    if n:
        ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return ax


def plot_network_size(histories, *, labels=None, what="units", ax=None, band=True,
                      mark_events=True, title=None, colors=None):
    """Network size against epoch for growing or pruning algorithms.

    Parameters
    ----------
    histories : History, list of History, or dict {label: list of History}
    labels : list of str, optional
    what : {"units", "weights"}
        Hidden units, or active (unmasked) weights.
    ax : Axes, optional
    band : bool
        Quartile band over runs.
    mark_events : bool
        With a single history, mark ``unit_added``/``block_added``/
        ``weights_pruned`` events with ticks on the x axis.
    title : str, optional
    colors : dict, optional

    Returns
    -------
    Axes
    """
    if what not in ("units", "weights"):
        raise ValueError(f"what must be 'units' or 'weights', got {what!r}")
    groups = _as_groups(histories, labels)
    ax = _axes(ax)
    _plot_groups(ax, groups, what, logy=False, band=band, phases=None, exclude_phases=(),
                 colors=colors)
    all_h = [h for hs in groups.values() for h in (hs if isinstance(hs, (list, tuple)) else [hs])]
    if mark_events and len(all_h) == 1:
        kinds = {"unit_added": ("^", "unit added"), "block_added": ("s", "layer added"),
                 "weights_pruned": ("v", "weights pruned")}
        for kind, (marker, name) in kinds.items():
            ev = all_h[0].events_of(kind)
            if ev:
                ax.plot([e["epoch"] for e in ev], [0] * len(ev), marker, color="0.3",
                        ms=5, clip_on=False, transform=ax.get_xaxis_transform(), label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("hidden units" if what == "units" else "active weights")
    ax.set_title(title or ("Hidden units during training" if what == "units"
                           else "Active weights during training"))
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    return ax


# ----------------------------------------------------------------- diagram
def plot_network(network, *, ax=None, max_units=24, weights=True, title=None,
                 show_frozen=True):
    """A diagram of a :class:`~structlearn.network.Network`.

    Columns are nodes in order: the inputs, each block (hidden blocks of a
    cascade network are columns of one or a few units), the outputs. Every
    connection of a block to its sources is a line: blue for positive, red for
    negative weights, thicker for larger magnitudes; pruned (masked) weights
    are not drawn.  Frozen blocks are drawn with a grey box.  Columns with more
    than ``max_units`` units show the first ``max_units`` (their label says how
    many there are).

    Parameters
    ----------
    network : Network
    ax : Axes, optional
    max_units : int
    weights : bool
        Colour and scale lines by the weights (else thin grey lines).
    title : str, optional
    show_frozen : bool

    Returns
    -------
    Axes
    """
    sizes = network.node_sizes
    n_nodes = len(sizes)
    shown = [min(s, max_units) for s in sizes]
    tallest = max(shown)
    ax = _axes(ax, (max(4.0, 1.1 * n_nodes + 1.5), max(3.0, 0.35 * tallest + 1.5)))
    pos = []
    for node, n in enumerate(shown):
        ys = (np.arange(n) - (n - 1) / 2.0)
        pos.append(np.column_stack([np.full(n, float(node)), ys]))
    # the largest |weight| sets the line-width scale
    wmax = max((np.max(np.abs(b.W)) for b in network.blocks if b.W.size), default=1.0) or 1.0
    for k, blk in enumerate(network.blocks):
        dst = pos[k + 1]
        for src, rows in network.source_rows(k):
            W = blk.W[rows]
            M = blk.mask[rows] if blk.mask is not None else None
            src_pos = pos[src]
            ns, nd = len(src_pos), len(dst)
            i, j = np.meshgrid(np.arange(ns), np.arange(nd), indexing="ij")
            i, j = i.ravel(), j.ravel()
            w = W[:ns, :nd].ravel()
            keep = np.ones_like(w, bool) if M is None else M[:ns, :nd].ravel()
            # a link that skips columns bends a little so it does not hide behind others
            for a, b, wv in zip(i[keep], j[keep], w[keep]):
                x0, y0 = src_pos[a]
                x1, y1 = dst[b]
                if weights:
                    color = "#2166ac" if wv >= 0 else "#b2182b"
                    lw = 0.3 + 2.2 * abs(wv) / wmax
                    alpha = 0.25 + 0.6 * abs(wv) / wmax
                else:
                    color, lw, alpha = "0.6", 0.6, 0.6
                if x1 - x0 > 1:
                    xm = 0.5 * (x0 + x1)
                    ym = 0.5 * (y0 + y1) + 0.12 * (x1 - x0)
                    t = np.linspace(0, 1, 20)
                    xs = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * xm + t ** 2 * x1
                    ys = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * ym + t ** 2 * y1
                    ax.plot(xs, ys, color=color, lw=lw, alpha=alpha, zorder=1)
                else:
                    ax.plot([x0, x1], [y0, y1], color=color, lw=lw, alpha=alpha, zorder=1)
    for node, p in enumerate(pos):
        if node == 0:
            face, name = "#f0f0f0", "inputs"
        else:
            blk = network.blocks[node - 1]
            face = "#fdd49e" if node == n_nodes - 1 else "#c6dbef"
            name = "outputs" if node == n_nodes - 1 else f"block {node - 1}"
            name += f"\n{blk.activation}"
            if show_frozen and not blk.trainable:
                pad = 0.3
                ax.add_patch(plt.Rectangle((node - pad, p[:, 1].min() - pad), 2 * pad,
                                           np.ptp(p[:, 1]) + 2 * pad, fill=False, ec="0.5",
                                           ls="--", lw=0.8, zorder=1, label="frozen"))
        ax.scatter(p[:, 0], p[:, 1], s=180, color=face, edgecolors="k", linewidths=0.8, zorder=3)
        more = f"\n({sizes[node]} units, {len(p)} shown)" if sizes[node] > len(p) else \
            f"\n{sizes[node]} unit{'s' if sizes[node] != 1 else ''}"
        ax.text(node, -(tallest - 1) / 2.0 - 0.9, name + more, ha="center", va="top",
                fontsize="small")
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Line2D([], [], color="#2166ac", lw=2, label="positive weight"),
               Line2D([], [], color="#b2182b", lw=2, label="negative weight")] if weights else []
    if show_frozen and any(not b.trainable for b in network.blocks):
        handles.append(Patch(fill=False, ec="0.5", ls="--", label="frozen block"))
    if handles:
        ax.legend(handles=handles, loc="upper left", fontsize="small", framealpha=0.9)
    ax.set_xlim(-0.6, n_nodes - 0.4)
    ax.set_ylim(-(tallest - 1) / 2.0 - 2.2, (tallest - 1) / 2.0 + 1.2)
    ax.set_axis_off()
    ax.set_title(title or f"Network: {network.n_hidden_units} hidden units, depth "
                          f"{network.depth}, {network.n_active_weights} active weights")
    return ax


# ----------------------------------------------------------------- pruning
def plot_pruning_curves(curves, *, ax=None, xlabel="active weights", ylabel="test accuracy",
                        title=None, logx=False, invert_x=True, markers=True, colors=None):
    """Quality against network size for pruning methods (e.g. OBD vs magnitude vs random).

    Parameters
    ----------
    curves : dict {label: (x, y)} or {label: (x, y, y_low, y_high)}
        ``x`` the weights left (or the fraction deleted), ``y`` the quality;
        optional ``y_low``/``y_high`` draw a band (e.g. over seeds).
    ax : Axes, optional
    xlabel, ylabel, title : str
    logx : bool
        Logarithmic x axis.
    invert_x : bool, default True
        Weights decrease to the right (the order pruning happens in).
    markers : bool
    colors : dict, optional

    Returns
    -------
    Axes
    """
    if not isinstance(curves, dict) or not curves:
        raise ValueError("curves must be a non-empty dict {label: (x, y[, y_low, y_high])}")
    ax = _axes(ax)
    colors = colors or dict(zip(curves, color_cycle(len(curves))))
    for label, c in curves.items():
        if len(c) not in (2, 4):
            raise ValueError(f"curve {label!r} must be (x, y) or (x, y, y_low, y_high)")
        x, y = np.asarray(c[0], float), np.asarray(c[1], float)
        if x.shape != y.shape:
            raise ValueError(f"curve {label!r}: x and y must have the same length")
        ax.plot(x, y, marker="o" if markers else None, ms=3.5, lw=1.8, color=colors.get(label),
                label=str(label))
        if len(c) == 4:
            ax.fill_between(x, np.asarray(c[2], float), np.asarray(c[3], float),
                            color=colors.get(label), alpha=0.2, linewidth=0)
    if logx:
        ax.set_xscale("log")
    if invert_x and not ax.xaxis_inverted():
        ax.invert_xaxis()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"{ylabel.capitalize()} against {xlabel}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def plot_saliency(saliency, weights, *, ax=None, title=None, highlight=None):
    """Saliency of each weight against its magnitude (log-log scatter).

    OBD's point in one picture: the saliency ``h_kk w_k^2 / 2`` does not rank
    weights like ``|w_k|`` does; the spread around the diagonal is the
    curvature.  ``highlight`` (bool array) marks e.g. the weights OBD deletes
    next.

    Returns
    -------
    Axes
    """
    s = np.abs(np.asarray(saliency, float)).ravel()
    w = np.abs(np.asarray(weights, float)).ravel()
    if s.shape != w.shape:
        raise ValueError(f"saliency and weights must have the same size, got {s.size} and {w.size}")
    ax = _axes(ax)
    keep = (s > 0) & (w > 0)
    ax.scatter(w[keep], s[keep], s=8, alpha=0.5, color="#2166ac", label="weights")
    if highlight is not None:
        h = np.asarray(highlight, bool).ravel() & keep
        ax.scatter(w[h], s[h], s=14, color="#b2182b", label="selected")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("|weight|")
    ax.set_ylabel("saliency")
    ax.set_title(title or "Saliency against weight magnitude")
    ax.grid(True, alpha=0.3, which="both")
    ax.legend(fontsize="small")
    return ax
