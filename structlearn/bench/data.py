"""Benchmark data sets by name, each with its train and test split.

Names understood by the harness (and the ``--datasets`` option):

============================  ===========================================================
``xor``                       the 4 XOR patterns (test = train)
``parityN``                   all 2^N patterns of N-bit parity, N = 2..10 (test = train)
``encoderN``                  the N-log2(N)-N encoder, e.g. ``encoder8`` (test = train)
``symmetryN``                 all 2^N patterns of N-bit symmetry (test = train)
``additionN``                 N-bit binary addition, 2N inputs, N+1 outputs (test = train)
``two_spirals``               CMU two-spirals, 194 points; test = the shifted points
``mnist``, ``fashion_mnist``  60,000 / 10,000 images. ``mnist`` is MNIST and nothing
                              else: when it cannot be found or downloaded the trial fails
                              with an error that says how to give a directory
                              (``--data-dir mnist=PATH``); Fashion-MNIST is only ever
                              ``fashion_mnist``
``mnist_small``,              a fixed stratified subsample of that (train 6,000 of 60,000,
``fashion_mnist_small``       test 2,000 of 10,000; the same for every seed)
``rectangle``, ``cross``,     knowledge-based CC tasks (the ``kbcc`` trials): figures of
``rules12``                   :mod:`structlearn.shapes`, trained on the 15 x 15 grid over
                              [0, 1]^2, tested on 1000 uniform points; a 12-bit rule task
                              (:func:`rule_data`), 100 patterns drawn per seed
============================  ===========================================================

Every data set's :attr:`BenchData.info` holds ``dataset_source`` (where the data came from:
``generated``, ``directory PATH``, ``cache PATH``, ``system package PATH`` or ``download``)
and ``dataset_split`` (the split actually used); :func:`~structlearn.bench.registry.trial_result`
copies both into the row, and the report prints them.

Directories of IDX files are given per data set with :func:`set_data_dirs` (the command
line's ``--data-dir NAME=PATH``), which sets ``STRUCTLEARN_MNIST_DIR`` /
``STRUCTLEARN_FASHION_MNIST_DIR`` so that worker processes see them too.

For the Boolean tasks the test set is the training set: the question these
benchmarks ask is whether the algorithm fits the function, as in the papers.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from pathlib import Path

import numpy as np

from .. import datasets as ds
from ..shapes import figure_data

__all__ = ["BenchData", "load_bench_data", "DATASET_PATTERNS", "check_dataset_name", "subsample",
           "DIGIT_DATASETS", "DATA_DIR_ENV", "parse_data_dir", "set_data_dirs",
           "DatasetUnavailable"]

#: the digit data set names (the ``_small`` forms read the same files)
DIGIT_DATASETS = ("mnist", "fashion_mnist", "mnist_small", "fashion_mnist_small")
#: the environment variable naming a directory of IDX files, per base data set
DATA_DIR_ENV = {"mnist": "STRUCTLEARN_MNIST_DIR", "fashion_mnist": "STRUCTLEARN_FASHION_MNIST_DIR"}


class DatasetUnavailable(RuntimeError):
    """A named data set whose files cannot be found or downloaded (never replaced by another)."""


def _base(name):
    return name[:-len("_small")] if name.endswith("_small") else name


def parse_data_dir(text):
    """``"mnist=/data/mnist"`` -> ``("mnist", "/data/mnist")`` (absolute), checked.

    NAME is a digit data set (``mnist``, ``fashion_mnist``; the ``_small`` forms name the same
    files); PATH a directory holding the four standard IDX files (``.gz`` or not).
    """
    if not isinstance(text, str) or "=" not in text:
        raise ValueError(f"--data-dir: expected NAME=PATH (e.g. mnist=/data/mnist), got {text!r}")
    name, path = (t.strip() for t in text.split("=", 1))
    if _base(name) not in DATA_DIR_ENV:
        raise ValueError(f"--data-dir: expected NAME in {', '.join(DATA_DIR_ENV)}, got {name!r}")
    if not path or not os.path.isdir(path):
        raise ValueError(f"--data-dir {name}=...: expected a directory, got {path!r} "
                         "(not a directory)")
    missing = [kind for kind in ("train", "test")
               if None in ds._find_idx_files(Path(path), kind)]
    if missing:
        raise ValueError(f"--data-dir {name}={path}: expected the four IDX files "
                         "(train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                         "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, optionally .gz); "
                         f"the {' and '.join(missing)} files are missing")
    return _base(name), os.path.abspath(path)


def set_data_dirs(entries):
    """Apply ``--data-dir`` entries (``"NAME=PATH"`` strings or pairs) to this process and
    the workers it starts; returns ``{name: path}``."""
    out = {}
    for e in entries or ():
        name, path = parse_data_dir(e) if isinstance(e, str) else parse_data_dir("=".join(e))
        out[name] = path
        os.environ[DATA_DIR_ENV[name]] = path
    return out


@dataclass
class BenchData:
    """One benchmark data set: splits plus what a trial needs to know."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    #: number of classes for label targets, None for multi-output 0/1 targets
    n_classes: int | None
    info: dict = field(default_factory=dict)

    @property
    def n_inputs(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_outputs(self) -> int:
        """Outputs a network needs: 1 for two classes, the class count otherwise."""
        if self.n_classes is None:
            return self.y_train.shape[1]
        return 1 if self.n_classes == 2 else self.n_classes


DATASET_PATTERNS = ["xor", "parityN", "encoderN", "symmetryN", "additionN", "two_spirals",
                    "mnist", "fashion_mnist", "mnist_small", "fashion_mnist_small"]
#: sequence data sets: their trials (``rcc_trials``) generate them, load_bench_data does not
SEQUENCE_DATASETS = ("reber", "embedded_reber", "morse")
#: knowledge-based CC tasks (the kbcc trials; generated here)
KBCC_DATASETS = ("rectangle", "cross", "rules12")

_BOOLEAN = {"parity": (ds.parity, 2, 10), "symmetry": (ds.symmetry, 2, 12),
            "addition": (ds.binary_addition, 1, 5)}


def check_dataset_name(name) -> str:
    """Raise a ValueError listing the valid names if ``name`` is not one.

    Sizes are checked here, from the name, before anything is built: ``encoder`` up to
    1024 patterns, the Boolean tasks in their ranges.
    """
    if not isinstance(name, str):
        raise TypeError(f"dataset: expected a string, got {type(name).__name__} {name!r:.80}")
    if name in ("xor", "two_spirals", "mnist", "fashion_mnist", "mnist_small",
                "fashion_mnist_small") or name in SEQUENCE_DATASETS or name in KBCC_DATASETS:
        return name
    m = re.fullmatch(r"(parity|symmetry|addition|encoder)(\d{1,9})", name)
    if m:
        kind, n = m.group(1), int(m.group(2))
        if kind == "encoder":
            if n < 2 or n & (n - 1) or n > ds._MAX_ENCODER:
                raise ValueError(f"dataset {name!r}: expected an encoder size that is a power of "
                                 f"two in [2, {ds._MAX_ENCODER}], got {n}")
            return name
        lo, hi = _BOOLEAN[kind][1:]
        if lo <= n <= hi:
            return name
        raise ValueError(f"dataset {name!r}: expected N in [{lo}, {hi}] for {kind}, got {n}")
    raise ValueError(f"unknown dataset {name!r:.80}; valid names: {', '.join(DATASET_PATTERNS)} "
                     "(N a number, e.g. parity4, encoder8)")


def _same(name, X, y, n_classes, **info):
    info.setdefault("dataset_source", "generated")
    info.setdefault("dataset_split", f"all {len(X)} patterns (test = train)")
    return BenchData(name, X, y, X, y, n_classes, info)


def subsample(X, y, n, rng):
    """A stratified subsample of ``n`` rows of ``(X, y)`` (deterministic for the generator).

    Each class keeps its share of the rows (rounded); ``(X, y)`` unchanged when ``n`` is not
    smaller than the data.
    """
    if n >= len(X):
        return X, y
    idx = []
    classes = np.unique(y)
    for c in classes:
        members = np.flatnonzero(y == c)
        take = int(round(n * len(members) / len(y)))
        idx.append(rng.choice(members, size=min(take, len(members)), replace=False))
    idx = np.sort(np.concatenate(idx))
    return X[idx], y[idx]


def _digit_source(base, data_home=None):
    """Where the files of ``base`` will be read from: ``(source text, directory or None)``."""
    env = DATA_DIR_ENV[base]
    if os.environ.get(env):
        return f"directory {os.environ[env]}", os.environ[env]
    subdir = "mnist" if base == "mnist" else "fashion-mnist"
    cache = ds.get_data_home(data_home) / subdir
    system = ds.FASHION_MNIST_SYSTEM_DIRS if base == "fashion_mnist" else ()
    for where, directory in (("cache", cache), *(("system package", Path(d)) for d in system)):
        if all(None not in ds._find_idx_files(directory, k) for k in ("train", "test")):
            return f"{where} {directory}", str(directory)
    return f"download (cached in {cache})", None


_TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}


def _load_digits(name, data_home=None):
    """The digit set ``name`` (MNIST or Fashion-MNIST, never one for the other)."""
    base = _base(name)
    loader = ds.load_mnist if base == "mnist" else ds.load_fashion_mnist
    source, directory = _digit_source(base, data_home)
    try:
        if directory is not None:
            tr = loader("train", path=directory)
            te = loader("test", path=directory)
        else:
            tr = loader("train", data_home=data_home)
            te = loader("test", data_home=data_home)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        other = "fashion_mnist" if base == "mnist" else "mnist"
        raise DatasetUnavailable(
            f"data set {name!r} ({_TITLES[base]}) is not available ({source}: "
            f"{type(exc).__name__}: {first}). Give a directory of its four IDX files with "
            f"--data-dir {base}=PATH (structlearn bench, benchmarks/*_mnist.py) or the "
            f"environment variable {DATA_DIR_ENV[base]}=PATH; {_TITLES[base]} is never replaced "
            f"by another data set (that one is {other!r})") from exc
    return tr, te, f"{_TITLES[base]}, {source}"


def rule_data(seed, n_train=100):
    """``(X, y, X_test, y_test)`` of ``rules12``, ``y = (x0 & x1 & ~x2) | (x3 & x4 & x5) |
    (x6 & ~x7 & x8)`` over 12 binary inputs: ``n_train`` of the 4096 patterns drawn by
    ``seed``, the rest the test set."""
    bits = ((np.arange(2 ** 12)[:, None] >> np.arange(12)[::-1]) & 1).astype(float)
    b = bits.astype(bool)
    y = ((b[:, 0] & b[:, 1] & ~b[:, 2]) | (b[:, 3] & b[:, 4] & b[:, 5])
         | (b[:, 6] & ~b[:, 7] & b[:, 8])).astype(np.int64)
    idx = np.random.default_rng(seed).permutation(len(bits))
    tr, te = idx[:n_train], idx[n_train:]
    return bits[tr], y[tr], bits[te], y[te]


def load_bench_data(name, seed=0, *, n_train=6000, n_test=2000, data_home=None) -> BenchData:
    """The benchmark data set ``name`` (see the module docstring)."""
    name = check_dataset_name(name)
    if name in SEQUENCE_DATASETS:
        raise ValueError(f"dataset {name!r} is a set of sequences: the rcc trials generate it "
                         "(structlearn.datasets_sequences), not load_bench_data")
    if name in ("rectangle", "cross"):
        X, y, Xt, yt = figure_data(name)
        return BenchData(name, X, y, Xt, yt, 2, {
            "dataset_source": "generated (structlearn.shapes)",
            "dataset_split": f"train the 15 x 15 grid ({len(X)} points) / test {len(Xt)} "
                             "uniform points"})
    if name == "rules12":
        X, y, Xt, yt = rule_data(seed)
        return BenchData(name, X, y, Xt, yt, 2, {
            "dataset_source": "generated (12-bit DNF)",
            "dataset_split": f"train {len(X)} of 4096 patterns drawn by the seed / test the "
                             f"other {len(Xt)}"})
    if name == "xor":
        X, y = ds.xor()
        return _same(name, X, y, 2)
    if name == "two_spirals":
        X, y = ds.two_spirals()
        Xt, yt = ds.two_spirals(test=True)
        return BenchData(name, X, y, Xt, yt, 2, {
            "test": "shifted points", "dataset_source": "generated (CMU two-spirals)",
            "dataset_split": "train 194 points / test 194 shifted points"})
    m = re.fullmatch(r"(parity|symmetry|addition|encoder)(\d+)", name)
    if m:
        kind, n = m.group(1), int(m.group(2))
        if kind == "encoder":
            X, Y = ds.encoder(n)
            return _same(name, X, Y, None, known_min_units=int(np.log2(n)))
        X, y = _BOOLEAN[kind][0](n)
        if y.ndim == 2:
            return _same(name, X, y, None)
        return _same(name, X, y, 2)
    (X, y), (Xt, yt), source = _load_digits(name, data_home)
    X, Xt = X.astype(np.float32), Xt.astype(np.float32)
    n_all, nt_all = len(X), len(Xt)
    split = f"train {n_all:,} / test {nt_all:,} (the standard split)"
    if name.endswith("_small"):
        rng = np.random.default_rng(12345)  # a fixed subsample: the same for every seed
        X, y = subsample(X, y, n_train, rng)
        Xt, yt = subsample(Xt, yt, n_test, rng)
        split = (f"train {len(X):,} of {n_all:,} / test {len(Xt):,} of {nt_all:,} "
                 "(fixed stratified subsample)")
    return BenchData(name, X, y, Xt, yt, 10,
                     {"dataset_source": source, "dataset_split": split})
