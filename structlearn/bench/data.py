"""Benchmark data sets by name, each with its train and test split.

Names understood by the harness (and the ``--datasets`` option):

============================  ===========================================================
``xor``                       the 4 XOR patterns (test = train)
``parityN``                   all 2^N patterns of N-bit parity, N = 2..10 (test = train)
``encoderN``                  the N-log2(N)-N encoder, e.g. ``encoder8`` (test = train)
``symmetryN``                 all 2^N patterns of N-bit symmetry (test = train)
``additionN``                 N-bit binary addition, 2N inputs, N+1 outputs (test = train)
``two_spirals``               CMU two-spirals, 194 points; test = the shifted points
``mnist``, ``fashion_mnist``  60,000 / 10,000 images; ``mnist`` falls back to
                              Fashion-MNIST from local IDX files when MNIST cannot be
                              loaded (the row's ``dataset_source`` says which was used)
``mnist_small``               a stratified subsample of that (``n_train`` 6,000, test 2,000)
============================  ===========================================================

For the Boolean tasks the test set is the training set: the question these
benchmarks ask is whether the algorithm fits the function, as in the papers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .. import datasets as ds

__all__ = ["BenchData", "load_bench_data", "DATASET_PATTERNS", "check_dataset_name", "subsample"]


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
                "fashion_mnist_small"):
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


def _load_digits(name, data_home=None):
    """MNIST, or Fashion-MNIST when MNIST is unavailable (offline machines)."""
    if name.startswith("fashion"):
        tr, te = ds.load_fashion_mnist("train", data_home=data_home), \
            ds.load_fashion_mnist("test", data_home=data_home)
        return tr, te, "fashion_mnist"
    try:
        tr = ds.load_mnist("train", data_home=data_home)
        te = ds.load_mnist("test", data_home=data_home)
        return tr, te, "mnist"
    except Exception as exc:  # offline: fall back to local Fashion-MNIST files
        try:
            tr = ds.load_fashion_mnist("train", data_home=data_home, download=False)
            te = ds.load_fashion_mnist("test", data_home=data_home, download=False)
        except Exception:
            raise RuntimeError(f"MNIST could not be loaded ({exc}) and no local Fashion-MNIST "
                               "IDX files were found either") from exc
        return tr, te, "fashion_mnist (MNIST unavailable)"


def load_bench_data(name, seed=0, *, n_train=6000, n_test=2000, data_home=None) -> BenchData:
    """The benchmark data set ``name`` (see the module docstring)."""
    name = check_dataset_name(name)
    if name == "xor":
        X, y = ds.xor()
        return _same(name, X, y, 2)
    if name == "two_spirals":
        X, y = ds.two_spirals()
        Xt, yt = ds.two_spirals(test=True)
        return BenchData(name, X, y, Xt, yt, 2, {"test": "shifted points"})
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
    if name.endswith("_small"):
        rng = np.random.default_rng(12345)  # a fixed subsample: the same for every seed
        X, y = subsample(X, y, n_train, rng)
        Xt, yt = subsample(Xt, yt, n_test, rng)
    return BenchData(name, X, y, Xt, yt, 10, {"dataset_source": source})
