"""The founding document's Net2Net experiment, as one command, beside scratch and its numbers.

The experiment (the blog post that accompanied DanielSlater/Net2Net, see
``shared/reference/anchors.md``): train a 784-100-100-10 ReLU teacher for 75
epochs, widen it with Net2WiderNet to 150-100, 150-150, 200-100, 200-150 and
200-200 hidden units and train each student 50 more epochs; compare train and
test accuracy per size.  Here, in the same run and for the same total budget,
the same sizes are trained from scratch for 125 epochs, and the teacher
trains on at the students' rate ("teacher continued", the strong baseline).
The founding document reported about 93.5% test accuracy on MNIST
(93.37-93.69% over the five sizes).

Data (``--data``): ``digits8x8`` (scikit-learn's 8x8 digits, 64 inputs:
1,797 images, 20% held out as the test set), ``fashion_mnist`` (the local
copy, e.g. the Debian package), ``mnist`` (the local cache, never
downloaded here) or a directory holding the four IDX files of MNIST or a
drop-in replacement (``structlearn.datasets.load_idx_dir``).  10% of the
training images are held out for validation (every choice and target uses
it); the test set is only reported.  Adam, batch 128, float32.

Shrinking it for a small machine: ``--subset N`` (N training images, drawn
once with seed 0), ``--test-subset N``, ``--epochs-scale f`` (every budget
times f: 75/50/125 epochs become round(75 f) / round(50 f) / their sum).
A reduced run says so in its report.

The study of why students lose (``--ablation``) runs named variants of the
student recipe (noise, learning rate after widening and its schedule --
``--student-lr-schedule cosine`` decays it from ``--student-lr-factor`` to
``--student-lr-floor`` --, optimizer state carried over the widening, shrink
and perturb after widening -- ``--shrink``, ``--perturb``, Ash & Adams 2020 --)
on the same teachers and scratch runs, and tabulates warm minus scratch
accuracy at equal total epochs, with each variant's paired change against
``baseline`` and the gap of every size; ``--scale standard`` (per-pixel
z-scores), ``--early-stopping P`` (students and scratch) and
``--teacher-early-stopping P`` (grow from the teacher at its validation-loss
minimum) apply to a whole run.  The report ends with the saving S at a target
found per data set and seed (``--target-fraction`` of the best final scratch
validation accuracy) beside the teacher continued without growth;
``--scratch-lrs`` trains scratch at several rates and keeps the best per size.
Results and the commands that made them: docs/net2net.md.

Usage::

    python benchmarks/net2net_founding.py --data digits8x8 --seeds 3 --out OUT
    python benchmarks/net2net_founding.py --data fashion_mnist --subset 10000 --out OUT
    python benchmarks/net2net_founding.py --data /data/mnist --out OUT       # real MNIST
    python benchmarks/net2net_founding.py --data digits8x8 --ablation --out OUT

Writes ``results.json``, ``report.md`` and ``curves.png`` (``ablation.md``
with ``--ablation``) to ``--out``.
"""
from __future__ import annotations

import os

# one BLAS thread per process: spin-waiting threads on a shared 2-core machine are slower
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import numbers  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from structlearn import Network, evaluate, train  # noqa: E402
from structlearn.initializers import get_initializer  # noqa: E402
from structlearn.net2net import grow  # noqa: E402
from structlearn.optim import get_optimizer  # noqa: E402

TEACHER = (100, 100)
SIZES = [(150, 100), (150, 150), (200, 100), (200, 150), (200, 200)]
EPOCHS = dict(teacher=75, student=50)
# the founding document (MNIST, 784-100-100-10 teacher): about 93.5% test for every size
FOUNDING = dict(dataset="MNIST", test_low=0.9337, test_high=0.9369,
                note="about 93.5% test accuracy, 93.37-93.69% over the five sizes")

# named variants of the student recipe for --ablation (keys are run() options)
# "baseline": the Net2NetSearch recipe before this study (noise 0.01 relative, students at
# lr x0.1, a fresh Adam)
VARIANTS = {
    "baseline": dict(),
    "no noise": dict(noise=0.0),
    "noise 0.1": dict(noise=0.1),
    "lr x1": dict(student_lr_factor=1.0),
    "lr x0.3": dict(student_lr_factor=0.3),
    "lr x0.03": dict(student_lr_factor=0.03),
    "Adam carried lr x0.1": dict(optimizer_state="carry"),
    "Adam carried lr x1": dict(optimizer_state="carry", student_lr_factor=1.0),
    "lr x1 no noise": dict(student_lr_factor=1.0, noise=0.0),
    "lr x0.3 noise 0.1": dict(student_lr_factor=0.3, noise=0.1),
    # a decaying rate after widening (the warm restart of SGDR, Loshchilov & Hutter 2017):
    # cosine from student_lr_factor x the teacher's rate down to student_lr_floor x it over
    # the student's epochs
    "cosine x1-x0.01": dict(student_lr_factor=1.0, student_lr_schedule="cosine",
                            student_lr_floor=0.01),
    "cosine x0.3-x0.01": dict(student_lr_factor=0.3, student_lr_schedule="cosine",
                              student_lr_floor=0.01),
    # new units that are not copies (Net2WiderNet's replicas stay copies through training,
    # benchmarks/net2net_replicas.py): random incoming, zero outgoing weights, so the
    # function is kept exactly (grow(how="zero_padding"))
    "zero-padded": dict(growth="zero_padding"),
    "zero-padded lr x1": dict(growth="zero_padding", student_lr_factor=1.0),
    # shrink and perturb right after widening (Ash & Adams 2020, "On Warm-Starting Neural
    # Network Training"): every weight and bias times lambda, plus sigma times a fresh draw of
    # the network's initialiser, for the students and the teacher continued alike; chosen before
    # any run (issue 18): two shrinks at the baseline's x0.1, and the paper's full rate
    "shrink 0.6 perturb 0.01": dict(shrink=0.6, perturb=0.01),
    "shrink 0.3 perturb 0.01": dict(shrink=0.3, perturb=0.01),
    "shrink 0.6 perturb 0.01 lr x1": dict(shrink=0.6, perturb=0.01, student_lr_factor=1.0),
}


def lr_schedule(lr, epochs, *, start=0.1, floor=0.01, kind="constant"):
    """The student's Adam rate for each of its ``epochs`` (epoch 1 first).

    ``"constant"``: ``lr * start`` throughout.  ``"cosine"``: from ``lr * start`` at the first
    epoch down to ``lr * floor`` at the last, half a cosine period (SGDR's warm restart)."""
    if kind == "constant":
        return [lr * start] * epochs
    if kind != "cosine":
        raise ValueError(f"student_lr_schedule: expected 'constant' or 'cosine', got {kind!r}")
    if epochs == 1:
        return [lr * start]
    half = 0.5 * (1.0 + np.cos(np.pi * np.arange(epochs) / (epochs - 1)))  # 1 -> 0
    return [float(lr * (floor + (start - floor) * c)) for c in half]


def _check_shrink_perturb(shrink, perturb):
    """``shrink`` as a float in (0, 1] (None is 1) and ``perturb`` as a float >= 0, or a
    ValueError naming the argument."""
    if shrink is None:
        shrink = 1.0
    if isinstance(shrink, bool) or not isinstance(shrink, numbers.Real) \
            or not 0.0 < float(shrink) <= 1.0:  # NaN fails the comparison too
        raise ValueError(f"shrink: expected None or a number in (0, 1], got {shrink!r}")
    if isinstance(perturb, bool) or not isinstance(perturb, numbers.Real) \
            or not 0.0 <= float(perturb) < np.inf:
        raise ValueError(f"perturb: expected a finite number >= 0, got {perturb!r}")
    return float(shrink), float(perturb)


def shrink_perturb(net, shrink=None, perturb=0.0, rng=None, *, init="auto"):
    """Shrink and perturb ``net`` in place (Ash & Adams 2020): ``W <- shrink W + perturb D``.

    Every trainable block's weights and biases are multiplied by ``shrink``, then ``perturb``
    times a fresh draw ``D`` of the initialiser ``init`` for that block (its fan-in, width and
    activation, as ``Network.mlp`` draws it) is added.  With ``"auto"`` (what ``Network.mlp``
    and so every network of this script uses) ``D`` is He-uniform for the ReLU blocks,
    Glorot-uniform for the softmax block, and zero for the biases (``mlp`` starts biases at 0),
    so the biases are only shrunk.

    Parameters
    ----------
    net : Network
        Changed in place (the weights are views into its flat buffer).
    shrink : float in (0, 1] or None
        lambda; None is 1 (no shrink).
    perturb : float >= 0
        sigma; 0 draws nothing.
    rng : int, Generator or None
        Source of ``D``.
    init : str or callable
        The initialiser (``structlearn.initializers``) the network was built with.

    Returns
    -------
    Network
        ``net``.  With ``shrink`` None or 1 and ``perturb`` 0 it is untouched (bit for bit).
    """
    shrink, perturb = _check_shrink_perturb(shrink, perturb)
    if shrink == 1.0 and perturb == 0.0:
        return net
    rng = np.random.default_rng(rng)
    initializer = get_initializer(init)
    # the draws of ``mlp`` for the same init: fan-scaled ones (auto, glorot, he) leave biases at 0
    bias_too = not (isinstance(init, str) and init in ("auto", "glorot", "he"))
    # in the network's dtype, so that with perturb 0 every weight is exactly
    # dtype(shrink) * the old one (and the flat buffer the views share is updated in place)
    lam = net.dtype.type(shrink)
    for blk in net.blocks:
        if not blk.trainable:  # frozen blocks never train back: leave their function alone
            continue
        blk.W *= lam
        blk.b *= lam
        if perturb > 0.0:
            dW = initializer(rng, blk.fan_in, blk.width, blk.activation, blk.W.shape)
            if blk.mask is not None:  # pruned weights stay at 0
                dW = dW * blk.mask
            blk.W += (perturb * dW).astype(net.dtype)
            if bias_too:
                blk.b += (perturb * initializer(rng, blk.fan_in, blk.width, blk.activation,
                                                blk.b.shape)).astype(net.dtype)
    return net


# ------------------------------------------------------------------ data
def load_data(spec, *, subset=None, test_subset=None, val_fraction=0.1, scale="unit"):
    """Train / validation / test arrays of a digit data set, pixels in [0, 1] (or standardised)."""
    if spec == "digits8x8":
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
        d = load_digits()
        X = (d.data / 16.0).astype(np.float32)
        X, Xt, y, yt = train_test_split(X, d.target, test_size=0.2, random_state=0,
                                        stratify=d.target)
        source = "scikit-learn load_digits (8x8), 80/20 stratified split (seed 0)"
    elif spec in ("fashion_mnist", "mnist"):
        from structlearn import datasets
        load = datasets.load_fashion_mnist if spec == "fashion_mnist" else datasets.load_mnist
        X, y = load("train", download=False)
        Xt, yt = load("test", download=False)
        source = spec
    else:
        from structlearn.datasets import load_idx_dir
        X, y = load_idx_dir(spec, "train")
        Xt, yt = load_idx_dir(spec, "test")
        source = f"IDX files in {spec}"
    rng = np.random.default_rng(0)
    order = rng.permutation(len(X))
    if subset is not None and subset < len(X):
        order = order[:subset]
    n_val = max(1, int(round(val_fraction * len(order))))
    Xv, yv = X[order[:n_val]], y[order[:n_val]]
    X, y = X[order[n_val:]], y[order[n_val:]]
    if test_subset is not None and test_subset < len(Xt):
        pick = np.random.default_rng(1).permutation(len(Xt))[:test_subset]
        Xt, yt = Xt[pick], yt[pick]
    if scale == "standard":  # per-pixel z-scores from the training split
        mu, sd = X.mean(0), X.std(0)
        sd[sd < 1e-6] = 1.0
        X, Xv, Xt = [((a - mu) / sd).astype(np.float32) for a in (X, Xv, Xt)]
    return dict(X=X, y=np.asarray(y), Xv=Xv, yv=np.asarray(yv), Xt=Xt, yt=np.asarray(yt),
                source=source, n_classes=int(max(y.max(), yt.max())) + 1)


# ------------------------------------------------------------------ runs
def _fit(net, data, optimizer, epochs, seed, early_stopping=None, lrs=None, dropout=None):
    """Train in place; per-epoch validation and test accuracy; final accuracies.

    ``dropout``: ``train``'s dropout of every hidden unit (the minibatches are those of the run
    without it).

    ``lrs``: the optimizer's rate for each epoch (a schedule), set before the epoch; one
    ``train`` call with one optimizer, so the Adam moments and step count carry over between
    epochs exactly as with a constant rate (and the shuffling is the same)."""
    test_curve = []
    used = []
    if lrs is not None:
        optimizer.lr = lrs[0]

    def add_test(epoch, network, history):
        test_curve.append(evaluate(network, data["Xt"], data["yt"])["accuracy"])
        if lrs is not None:
            used.append(float(optimizer.lr))
            if len(used) < len(lrs):
                optimizer.lr = lrs[len(used)]  # the rate of the next epoch
        return False

    h = train(net, data["X"], data["y"], optimizer=optimizer, epochs=epochs, batch_size=128,
              validation=(data["Xv"], data["yv"]), rng=seed, callbacks=[add_test],
              progress=False, early_stopping=early_stopping, dropout=dropout)
    val_curve = [r["val_accuracy"] for r in h.rows]
    extra = {} if lrs is None else dict(lr_curve=used)
    return dict(val_curve=val_curve, test_curve=test_curve, epochs=len(val_curve), **extra,
                train_accuracy=evaluate(net, data["X"], data["y"])["accuracy"],
                val_accuracy=evaluate(net, data["Xv"], data["yv"])["accuracy"],
                test_accuracy=evaluate(net, data["Xt"], data["yt"])["accuracy"],
                weights=net.n_weights)


def teacher_run(data, seed, teacher_epochs, lr=1e-3, early_stopping=None, dropout=None):
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 2 ** 31, size=2)
    net = Network.mlp([data["X"].shape[1], *TEACHER, data["n_classes"]], "relu", "softmax",
                      rng=int(s[0]), dtype=np.float32)
    opt = get_optimizer("adam", lr=lr)
    row = _fit(net, data, opt, teacher_epochs, int(s[1]), early_stopping, dropout=dropout)
    row.update(method="teacher", arch="100-100", offset=0)
    return net, opt, row


def student_runs(data, teacher, t_opt, seed, student_epochs, *, sizes=SIZES, lr=1e-3,
                 student_lr_factor=0.1, noise=0.01, optimizer_state="fresh",
                 student_lr_schedule="constant", student_lr_floor=0.01,
                 shrink=None, perturb=0.0, growth="net2net",
                 early_stopping=None, teacher_continued=True, offset=0, dropout=None):
    """The Net2Net students of every size (and the teacher continued at the student rate).

    ``student_lr_schedule="cosine"``: the rate decays from ``lr * student_lr_factor`` to
    ``lr * student_lr_floor`` over the student epochs, for the students and the teacher
    continued alike (``lr_schedule``).

    ``shrink``, ``perturb``: shrink and perturb (``shrink_perturb``) every student right after
    widening and the teacher continued's copy before it trains on, so the strong baseline gets
    the same treatment.  The draws come from their own generator (seeded by ``seed``), so the
    widening noise and the shuffling are those of the recipe without it, run for run.  The
    defaults (None, 0) change nothing.

    ``growth``: ``grow``'s ``how``; ``"zero_padding"`` gives the new units random incoming and
    zero outgoing weights instead of Net2WiderNet's copies (the function is kept either way).

    ``dropout``: students and the teacher continued train with it (``train``'s dropout)."""
    _check_shrink_perturb(shrink, perturb)  # before any training
    rows = []
    rng = np.random.default_rng([seed, 1])
    sp_rng = np.random.default_rng([seed, 3])
    s_lr = lr * student_lr_factor
    lrs = None if student_lr_schedule == "constant" else lr_schedule(
        lr, student_epochs, start=student_lr_factor, floor=student_lr_floor,
        kind=student_lr_schedule)

    def optimizer():
        if optimizer_state == "carry":
            # the teacher's Adam moments (and step count) carried over by weight key;
            # new units start with zero moments
            opt = copy.deepcopy(t_opt)
            opt.lr = s_lr
            return opt
        return get_optimizer("adam", lr=s_lr)

    if teacher_continued:
        cont = shrink_perturb(teacher.copy(), shrink, perturb, sp_rng)
        row = _fit(cont, data, optimizer(), student_epochs, int(rng.integers(2 ** 31)),
                   early_stopping, lrs, dropout)
        row.update(method="teacher_continued", arch="100-100", offset=offset)
        rows.append(row)
    for sizes_k in sizes:
        net = grow(teacher, sizes_k, how=growth, noise=noise or None,
                   rng=int(rng.integers(2 ** 31)))
        shrink_perturb(net, shrink, perturb, sp_rng)
        row = _fit(net, data, optimizer(), student_epochs, int(rng.integers(2 ** 31)),
                   early_stopping, lrs, dropout)
        row.update(method="net2net", arch="-".join(map(str, sizes_k)), offset=offset)
        rows.append(row)
    return rows


def scratch_runs(data, seed, epochs, *, sizes=SIZES, lr=1e-3, early_stopping=None,
                 dropout=None):
    rows = []
    rng = np.random.default_rng([seed, 2])
    for sizes_k in sizes:
        net = Network.mlp([data["X"].shape[1], *sizes_k, data["n_classes"]], "relu", "softmax",
                          rng=int(rng.integers(2 ** 31)), dtype=np.float32)
        row = _fit(net, data, get_optimizer("adam", lr=lr), epochs, int(rng.integers(2 ** 31)),
                   early_stopping, dropout=dropout)
        row.update(method="scratch", arch="-".join(map(str, sizes_k)), offset=0)
        rows.append(row)
    return rows


def best_scratch(data, seed, epochs, args, sizes=SIZES):
    """Scratch runs at every rate of ``--scratch-lrs``; per size the best final validation
    accuracy is the row ``scratch`` (its rate in ``lr``), the others ``scratch_other``."""
    lrs = [float(v) for v in str(args.scratch_lrs).split(",")]
    by_lr = [scratch_runs(data, seed, epochs, sizes=sizes, lr=lr,
                          early_stopping=args.early_stopping, dropout=args.dropout)
              for lr in lrs]
    rows = []
    for k in range(len(sizes)):
        cands = [(runs[k]["val_curve"][-1], -i, runs[k], lr)
                 for i, (runs, lr) in enumerate(zip(by_lr, lrs))]
        best = max(cands, key=lambda c: c[:2])
        for _, _, r, lr in cands:
            r["lr"] = lr
            if r is not best[2]:
                r["method"] = "scratch_other"
            rows.append(r)
    return rows


# --------------------------------------------------------------- summaries
def _ms(values, pct=True):
    v = np.asarray([x for x in values if x is not None], float) * (100 if pct else 1)
    if v.size == 0:
        return "-"
    return f"{v.mean():.2f} ± {v.std(ddof=1):.2f}" if v.size > 1 else f"{v.mean():.2f}"


def _signed_ms(values):
    """``_ms`` of differences with an explicit sign on the mean (as the docs' tables print)."""
    v = 100 * np.asarray(values, float)
    return f"{v.mean():+.2f}" + (f" ± {v.std(ddof=1):.2f}" if v.size > 1 else "")


def _first_reach(curve, target):
    hit = np.flatnonzero(np.asarray(curve) >= target - 1e-12)
    return int(hit[0]) + 1 if hit.size else None


def _s_cont(v):
    """Scratch grid cost over the teacher continued's cost to the target (no growth at all)."""
    if v["cost_teacher_continued"] is None:
        return "never"
    bound = ">= " if v["S_unreached_scratch"] else ""
    return f"{bound}{v['cost_scratch'] / v['cost_teacher_continued']:.2f}"


def _s_text(v):
    w, sc = bool(v["S_unreached_warm"]), bool(v["S_unreached_scratch"])
    if w and sc:
        return "n/a"
    return ("<= " if w else ">= " if sc else "") + f"{v['S']:.2f}"


def saving(rows, teacher_row, target):
    """Epochs and weight-weighted cost to reach ``target`` validation accuracy, and S.

    Scratch size k needs E_s,k epochs; Net2Net size k needs the teacher's T epochs
    (charged once) plus E_w,k student epochs;  S = sum c_k E_s,k / (c_0 T + sum c_k E_w,k).
    Against the strong baseline, the teacher continued reaches it at T + E_c epochs.
    A run that never reaches the target is charged its whole budget (S then an upper bound,
    or, for scratch, a lower bound).
    """
    c0, T = teacher_row["weights"], teacher_row["epochs"]
    t_hit = _first_reach(teacher_row["val_curve"], target)
    out = dict(target=target, teacher_epochs_to_target=t_hit, per_arch={})
    num = den = 0.0
    unreached_w, unreached_s = [], []
    for r in rows:
        if r["method"] != "net2net":
            continue
        sc = next(x for x in rows if x["method"] == "scratch" and x["arch"] == r["arch"])
        e_s, e_w = _first_reach(sc["val_curve"], target), _first_reach(r["val_curve"], target)
        if t_hit is not None:  # the teacher already had it: the student needs 0 epochs
            e_w = 0
        out["per_arch"][r["arch"]] = dict(scratch=e_s, warm=e_w)
        if e_s is None:
            unreached_s.append(r["arch"])
        if e_w is None:
            unreached_w.append(r["arch"])
        num += (sc["epochs"] if e_s is None else e_s) * sc["weights"]
        den += (r["epochs"] if e_w is None else e_w) * r["weights"]
    cont = next((x for x in rows if x["method"] == "teacher_continued"), None)
    e_c = None
    if cont is not None:
        e_c = 0 if t_hit is not None else _first_reach(cont["val_curve"], target)
    # the warm path must first train the teacher to the point where it grows
    out.update(S=num / (c0 * T + den), S_unreached_warm=unreached_w,
               S_unreached_scratch=unreached_s, teacher_continued_epochs=e_c,
               # the strong baseline's cost against the warm grid's
               cost_warm=c0 * T + den, cost_scratch=num,
               cost_teacher_continued=None if e_c is None else c0 * (T + e_c))
    return out


def report(runs, args, budget):
    """The markdown report: founding table (mean ± sd over seeds), curves' data, S."""
    lines = [f"# The founding document's Net2Net experiment on {runs['data_source']}", "",
             f"Command: `{runs['command']}`", "",
             f"Budget: teacher {budget['teacher']} epochs, students {budget['student']} epochs, "
             f"scratch {budget['scratch']} epochs"
             + ("" if budget["full"] else
                " (**reduced**; the founding document used 75 / 50 / 125)")
             + f"; {runs['n_train']} training / {runs['n_val']} validation / {runs['n_test']} test "
             f"images" + (f" (**subset** of the training set: --subset {args.subset})"
                          if args.subset else "")
             + f"; {len(runs['seeds'])} seeds; students at lr x{args.student_lr_factor}"
             + (f" cosine-decayed to x{args.student_lr_floor}"
                if args.student_lr_schedule == "cosine" else "") + ", noise "
             f"{args.noise}, Adam state {args.optimizer_state}"
             + (f", shrink {args.shrink} and perturb {args.perturb} after widening"
                if args.shrink is not None or args.perturb else "")
             + (f", input scaling {args.scale}" if args.scale != "unit" else "")
             + (f", early stopping {args.early_stopping}" if args.early_stopping else "")
             + (f", teacher early stopping {args.teacher_early_stopping}"
                if args.teacher_early_stopping else "")
             + (f", dropout {args.dropout} of every hidden unit in every run"
                if getattr(args, "dropout", None) else "")
             + "; Adam lr 1e-3, batch 128, float32"
             + (f"; scratch at the best of lr {args.scratch_lrs} per size (validation)"
                if "," in str(args.scratch_lrs) else "") + ".", "",
             "Mean ± sd over seeds, %. Founding document (MNIST): "
             f"{FOUNDING['note']}.", "",
             "| hidden | Net2Net train | Net2Net test | scratch train | scratch test | "
             "Net2Net - scratch (test) | founding doc. test (MNIST) |",
             "|---|---|---|---|---|---|---|"]
    per_seed = runs["per_seed"]

    def get(method, arch, key):
        return [next(r[key] for r in s["rows"] if r["method"] == method and r["arch"] == arch)
                for s in per_seed]

    t_train = [s["teacher"]["train_accuracy"] for s in per_seed]
    t_test = [s["teacher"]["test_accuracy"] for s in per_seed]
    t_ep = [s["teacher"]["epochs"] for s in per_seed]
    t_ep = str(t_ep[0]) if len(set(t_ep)) == 1 else _ms(t_ep, False)
    lines.append(f"| 100-100 (teacher, {t_ep} ep.) | {_ms(t_train)} | {_ms(t_test)} "
                 "| | | | |")
    c_train = get("teacher_continued", "100-100", "train_accuracy")
    c_test = get("teacher_continued", "100-100", "test_accuracy")
    lines.append(f"| 100-100 (teacher continued, student lr) | {_ms(c_train)} | {_ms(c_test)} "
                 "| | | | |")
    for sizes in SIZES:
        a = "-".join(map(str, sizes))
        wt, ws = get("net2net", a, "train_accuracy"), get("net2net", a, "test_accuracy")
        st, ss = get("scratch", a, "train_accuracy"), get("scratch", a, "test_accuracy")
        diff = [x - y for x, y in zip(ws, ss)]
        lines.append(f"| {a} | {_ms(wt)} | {_ms(ws)} | {_ms(st)} | {_ms(ss)} | {_ms(diff)} | "
                     "≈93.5 |")
    lines += ["", f"Saving at the target (validation accuracy >= {args.target_fraction} x the "
              "best final scratch validation accuracy of the seed):", "",
              "| seed | target | S (warm grid vs scratch grid) | teacher continued reaches it "
              "after (epochs past the teacher) | S of the teacher continued (no growth) | "
              "warm students unreached | scratch unreached |",
              "|---|---|---|---|---|---|---|"]
    for s in per_seed:
        v = s["saving"]
        lines.append(f"| {s['seed']} | {100 * v['target']:.2f} | {_s_text(v)} | "
                     f"{v['teacher_continued_epochs']} | {_s_cont(v)} | "
                     f"{v['S_unreached_warm'] or '-'} | "
                     f"{v['S_unreached_scratch'] or '-'} |")
    Ss = [s["saving"]["S"] for s in per_seed if _s_text(s["saving"]) != "n/a"]
    exact = all(not (s["saving"]["S_unreached_warm"] or s["saving"]["S_unreached_scratch"])
                for s in per_seed)
    lines += ["", (f"S: mean {np.mean(Ss):.2f}, min {np.min(Ss):.2f}, max {np.max(Ss):.2f}"
                   if Ss else "S: n/a") + ("" if exact else
                   " (bounds included: a run that never reaches the target is charged its "
                   "whole budget, so S is an upper bound (<=) when a student misses it and a "
                   "lower bound (>=) when a scratch run does)") + "."]
    return "\n".join(lines) + "\n"


def figure(runs, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    per_seed = runs["per_seed"]
    fig, ax = plt.subplots(figsize=(8, 5))
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(SIZES)))

    def mean_curve(method, arch):
        cs = [np.asarray(next(r["test_curve"] for r in s["rows"]
                              if r["method"] == method and r["arch"] == arch)) for s in per_seed]
        n = min(len(c) for c in cs)
        return np.mean([c[:n] for c in cs], axis=0)

    n_t = min(len(s["teacher"]["test_curve"]) for s in per_seed)  # early stopping: differ
    tc = np.mean([np.asarray(s["teacher"]["test_curve"][:n_t]) for s in per_seed], axis=0)
    T = len(tc)
    ax.plot(np.arange(1, T + 1), 100 * tc, color="k", lw=1.5, label="teacher 100-100")
    c = mean_curve("teacher_continued", "100-100")
    ax.plot(T + np.arange(1, len(c) + 1), 100 * c, color="k", ls=":", lw=1.5,
            label="teacher continued (student lr)")
    for col, sizes in zip(colors, SIZES):
        a = "-".join(map(str, sizes))
        w = mean_curve("net2net", a)
        ax.plot(T + np.arange(1, len(w) + 1), 100 * w, color=col, lw=1.5, label=f"Net2Net {a}")
        s = mean_curve("scratch", a)
        ax.plot(np.arange(1, len(s) + 1), 100 * s, color=col, ls="--", lw=1,
                label=f"scratch {a}")
    ax.axvline(T, color="grey", lw=0.5)
    lo = min(100 * tc[min(2, T - 1)], 100 * np.min(c)) - 1
    hi = max(100 * np.max(tc), 100 * np.max(c))
    for sizes in SIZES:
        hi = max(hi, 100 * np.max(mean_curve("scratch", "-".join(map(str, sizes)))))
    ax.set_ylim(lo, hi + 0.5)
    ax.set_xlabel("cumulative epochs (students start after the teacher's)")
    ax.set_ylabel("test accuracy, %")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -------------------------------------------------------------------- main
def budgets(scale):
    t = max(1, int(round(EPOCHS["teacher"] * scale)))
    s = max(1, int(round(EPOCHS["student"] * scale)))
    return dict(teacher=t, student=s, scratch=t + s, full=scale == 1.0)


def run_founding(args, data, budget):
    student_opts = dict(student_lr_factor=args.student_lr_factor, noise=args.noise,
                        optimizer_state=args.optimizer_state, early_stopping=args.early_stopping,
                        student_lr_schedule=args.student_lr_schedule,
                        student_lr_floor=args.student_lr_floor, shrink=args.shrink,
                        perturb=args.perturb, dropout=args.dropout)
    per_seed = []
    for seed in range(args.seeds):
        t0 = time.perf_counter()
        teacher, t_opt, t_row = teacher_run(data, seed, budget["teacher"],
                                            early_stopping=args.teacher_early_stopping,
                                            dropout=args.dropout)
        rows = student_runs(data, teacher, t_opt, seed, budget["student"],
                            offset=budget["teacher"], **student_opts)
        rows += best_scratch(data, seed, budget["scratch"], args)
        top = max(r["val_curve"][-1] for r in rows if r["method"] == "scratch")
        sv = saving(rows, t_row, args.target_fraction * top)
        per_seed.append(dict(seed=seed, teacher=t_row, rows=rows, saving=sv))
        print(f"seed {seed}: teacher test {t_row['test_accuracy']:.4f}; "
              + ", ".join(f"{r['method'][:4]} {r['arch']} {r['test_accuracy']:.4f}" for r in rows)
              + f"; S {sv['S']:.2f} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return per_seed


def run_ablation(args, data, budget, variants):
    """Every variant's students from the same teachers; scratch once per seed."""
    sizes = [tuple(int(u) for u in a.split("-")) for a in args.ablation_sizes.split(",")]
    out = {name: [] for name in variants}
    for seed in range(args.seeds):
        t0 = time.perf_counter()
        teacher, t_opt, t_row = teacher_run(data, seed, budget["teacher"],
                                            early_stopping=args.teacher_early_stopping,
                                            dropout=args.dropout)
        scratch = scratch_runs(data, seed, budget["scratch"], sizes=sizes,
                               early_stopping=args.early_stopping, dropout=args.dropout)
        for name, opts in variants.items():
            o = dict(student_lr_factor=args.student_lr_factor, noise=args.noise,
                     optimizer_state=args.optimizer_state, early_stopping=args.early_stopping,
                     student_lr_schedule=args.student_lr_schedule,
                     student_lr_floor=args.student_lr_floor, shrink=args.shrink,
                     perturb=args.perturb, dropout=args.dropout)
            o.update(opts)
            rows = student_runs(data, teacher, t_opt, seed, budget["student"], sizes=sizes,
                                offset=budget["teacher"], **o)
            out[name].append(dict(seed=seed, teacher=t_row, rows=rows + scratch))
        print(f"ablation seed {seed} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    return out, sizes


def ablation_table(out, sizes, budget, args, data_source):
    es = "" if not args.teacher_early_stopping else \
        f" (teacher early stopping, patience {args.teacher_early_stopping})"
    es += "" if not args.early_stopping else \
        f"; students and scratch early stopping, patience {args.early_stopping}"
    es += "" if args.shrink is None and not args.perturb else \
        f"; every variant shrink {args.shrink} and perturb {args.perturb} unless it sets its own"
    es += "" if not args.dropout else \
        f"; dropout {args.dropout} of every hidden unit in every run (teacher, students, scratch)"
    t_epochs = [s["teacher"]["epochs"] for s in next(iter(out.values()))]
    lines = [f"Ablation on {data_source}: teacher {budget['teacher']} epochs{es}, students "
             f"{budget['student']}, scratch {budget['scratch']} (equal total epochs); sizes "
             f"{args.ablation_sizes}; {args.seeds} seeds; mean ± sd over seeds of the mean over "
             "sizes, accuracy points" + (f"; inputs {args.scale}" if args.scale != "unit" else "")
             + (f"; teacher stopped after {_ms(t_epochs, False)} epochs"
                if args.teacher_early_stopping else "") + ".", "",
             "| student recipe | Net2Net test | Net2Net val | Net2Net - scratch, test | "
             "Net2Net - scratch, val | teacher continued test | scratch test |",
             "|---|---|---|---|---|---|---|"]
    for name, seeds in out.items():
        wt, wv, dt, dv, ct, st = [], [], [], [], [], []
        for s in seeds:
            warm = [r for r in s["rows"] if r["method"] == "net2net"]
            scr = {r["arch"]: r for r in s["rows"] if r["method"] == "scratch"}
            wt.append(np.mean([r["test_accuracy"] for r in warm]))
            wv.append(np.mean([r["val_accuracy"] for r in warm]))
            dt.append(np.mean([r["test_accuracy"] - scr[r["arch"]]["test_accuracy"]
                               for r in warm]))
            dv.append(np.mean([r["val_accuracy"] - scr[r["arch"]]["val_accuracy"] for r in warm]))
            ct.append(next(r["test_accuracy"] for r in s["rows"]
                           if r["method"] == "teacher_continued"))
            st.append(np.mean([r["test_accuracy"] for r in scr.values()]))
        lines.append(f"| {name} | {_ms(wt)} | {_ms(wv)} | {_ms(dt)} | {_ms(dv)} | {_ms(ct)} | "
                     f"{_ms(st)} |")
    return "\n".join(lines + [""] + paired_table(out, sizes)) + "\n"


def _gaps(seeds):
    """Per seed: warm minus scratch test accuracy (mean over sizes), warm minus the teacher
    continued (the same), and warm minus scratch per size ({arch: [per seed]})."""
    d, c, per = [], [], {}
    for s in seeds:
        warm = [r for r in s["rows"] if r["method"] == "net2net"]
        scr = {r["arch"]: r for r in s["rows"] if r["method"] == "scratch"}
        cont = next(r["test_accuracy"] for r in s["rows"] if r["method"] == "teacher_continued")
        d.append(np.mean([r["test_accuracy"] - scr[r["arch"]]["test_accuracy"] for r in warm]))
        c.append(np.mean([r["test_accuracy"] - cont for r in warm]))
        for r in warm:
            per.setdefault(r["arch"], []).append(r["test_accuracy"]
                                                 - scr[r["arch"]]["test_accuracy"])
    return d, c, per


def paired_table(out, sizes):
    """The figures a recipe decision rule needs, in points: warm minus scratch (mean over
    sizes; in brackets warm minus the teacher continued), mean ± sd over seeds; its change
    against "baseline" when that variant ran (mean of the per-seed paired difference, and the
    standard error sd / sqrt(seeds) in brackets: the same teachers and scratch runs, so the
    seed-to-seed spread they share cancels); and the warm-minus-scratch gap of every size."""
    archs = ["-".join(map(str, k)) for k in sizes]
    base = _gaps(out["baseline"])[0] if "baseline" in out else None
    lines = ["Paired figures, test accuracy points: warm - scratch (warm - teacher continued), "
             "mean ± sd over seeds; change against baseline, mean (SE) of the per-seed paired "
             "difference; warm - scratch per size, mean over seeds.", "",
             "| student recipe | warm - scratch (warm - teacher continued) | minus baseline (SE) | "
             + " | ".join(f"{a} gap" for a in archs) + " |",
             "|---|---|---|" + "---|" * len(archs)]
    for name, seeds in out.items():
        d, c, per = _gaps(seeds)
        if base is None or name == "baseline":
            change = ""
        else:
            diff = 100 * (np.asarray(d) - np.asarray(base))
            se = diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1 else float("nan")
            change = f"{diff.mean():+.2f} ({se:.2f})"
        lines.append(f"| {name} | {_signed_ms(d)} ({_signed_ms(c)}) | {change} | "
                     + " | ".join(f"{100 * np.mean(per[a]):+.2f}" for a in archs) + " |")
    return lines


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="digits8x8",
                   help="digits8x8, fashion_mnist, mnist, or a directory of the four IDX files")
    p.add_argument("--out", required=True)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--subset", type=int, default=None, help="training images used (before the "
                   "10%% validation split)")
    p.add_argument("--test-subset", type=int, default=None)
    p.add_argument("--epochs-scale", type=float, default=1.0)
    p.add_argument("--teacher-epochs", type=int, default=None,
                   help="override the (scaled) teacher budget; scratch gets teacher + student")
    p.add_argument("--student-epochs", type=int, default=None,
                   help="override the (scaled) student budget")
    p.add_argument("--student-lr-factor", type=float, default=0.1)
    p.add_argument("--student-lr-schedule", choices=("constant", "cosine"), default="constant",
                   help="cosine: the student rate decays from --student-lr-factor to "
                   "--student-lr-floor (x the teacher's rate) over the student epochs")
    p.add_argument("--student-lr-floor", type=float, default=0.01)
    p.add_argument("--noise", type=float, default=0.01)
    p.add_argument("--shrink", type=float, default=None,
                   help="shrink and perturb after widening (Ash & Adams 2020): every weight of "
                   "the students and the teacher continued times this lambda in (0, 1]")
    p.add_argument("--perturb", type=float, default=0.0,
                   help="... plus this sigma times a fresh draw of the network's initialiser")
    p.add_argument("--optimizer-state", choices=("fresh", "carry"), default="fresh")
    p.add_argument("--dropout", type=float, default=None,
                   help="dropout rate of every hidden unit in every run: teacher, teacher "
                   "continued, students and scratch (Srivastava et al. 2014)")
    p.add_argument("--scale", choices=("unit", "standard"), default="unit",
                   help="inputs in [0, 1] (unit) or per-pixel z-scores (standard)")
    p.add_argument("--early-stopping", type=int, default=None,
                   help="patience (epochs) on validation loss for every run, best weights kept")
    p.add_argument("--scratch-lrs", default="0.001",
                   help="comma-separated Adam rates for scratch; per size the best (final "
                   "validation accuracy) is the scratch row")
    p.add_argument("--teacher-early-stopping", type=int, default=None,
                   help="patience on validation loss for the teacher: it stops (best weights "
                   "kept) before its budget and the students grow from that network")
    p.add_argument("--target-fraction", type=float, default=0.995,
                   help="the saving's target: this fraction of the best scratch val accuracy")
    p.add_argument("--ablation", action="store_true",
                   help="run the student-recipe variants instead of the founding table")
    p.add_argument("--variants", default=None,
                   help="comma-separated names among the ablation variants (default: all)")
    p.add_argument("--ablation-sizes", default="150-150,200-200")
    p.add_argument("--no-figure", action="store_true")
    return p.parse_args(argv)


def rewrite_report(out):
    """Rebuild ``report.md`` of an earlier run from its ``results.json``."""
    out = Path(out)
    runs = json.loads((out / "results.json").read_text())
    args = parse_args(["--out", str(out)])  # defaults for options newer than the run
    vars(args).update(runs["options"])
    (out / "report.md").write_text(report(runs, args, runs["budget"]))


def main(argv=None):
    import sys
    args = parse_args(argv)
    if args.epochs_scale <= 0:
        raise SystemExit("--epochs-scale: expected a positive number")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_data(args.data, subset=args.subset, test_subset=args.test_subset,
                     scale=args.scale)
    budget = budgets(args.epochs_scale)
    if args.teacher_epochs or args.student_epochs:
        budget["teacher"] = args.teacher_epochs or budget["teacher"]
        budget["student"] = args.student_epochs or budget["student"]
        budget["scratch"] = budget["teacher"] + budget["student"]
        budget["full"] = budget["teacher"] == 75 and budget["student"] == 50
    command = "python benchmarks/net2net_founding.py " + " ".join(
        sys.argv[1:] if argv is None else argv)
    print(f"data: {data['source']}: train {data['X'].shape}, val {data['Xv'].shape}, "
          f"test {data['Xt'].shape}; budget {budget}", flush=True)
    if args.ablation:
        names = list(VARIANTS) if args.variants is None else args.variants.split(",")
        unknown = [n for n in names if n not in VARIANTS]
        if unknown:
            raise SystemExit(f"--variants: unknown {unknown}; known: {list(VARIANTS)}")
        res, sizes = run_ablation(args, data, budget, {n: VARIANTS[n] for n in names})
        table = ablation_table(res, sizes, budget, args, data["source"])
        text = f"Command: `{command}`\n\n{table}"
        (out / "ablation.md").write_text(text)
        (out / "ablation.json").write_text(json.dumps(dict(command=command, budget=budget,
                                                           results=res)))
        print(text)
        return res
    per_seed = run_founding(args, data, budget)
    runs = dict(command=command, data_source=data["source"], budget=budget,
                n_train=len(data["X"]), n_val=len(data["Xv"]), n_test=len(data["Xt"]),
                seeds=list(range(args.seeds)), per_seed=per_seed, founding=FOUNDING,
                options=vars(args))
    (out / "results.json").write_text(json.dumps(runs))
    text = report(runs, args, budget)
    (out / "report.md").write_text(text)
    if not args.no_figure:
        figure(runs, out / "curves.png",
               f"{data['source']}: test accuracy, mean of {args.seeds} seeds "
               f"(solid Net2Net, dashed scratch)")
    print(text)
    return runs


if __name__ == "__main__":
    main()
