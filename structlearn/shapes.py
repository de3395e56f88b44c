"""Two-class geometric figures in the unit square: the tasks of knowledge-based
cascade-correlation.

Shultz & Rivest (2001), *Knowledge-based cascade-correlation: using knowledge to speed
learning* (Connection Science 13): "The target class is distributed as a simple geometric
figure. Relevant source knowledge consists of various linear transformations of the target
distribution." The paper's grid size, figures and coordinates are not verified (UNVERIFIED in
``reference/cascor_extensions.md``); the ones here are structlearn's: a square grid of
training points over [0, 1]^2, labels 1 inside the figure and 0 outside, and uniformly drawn
test points.

A figure is a small object with ``contains(X) -> bool array``: :class:`Rectangle` (optionally
rotated about its centre), :class:`Union` (a cross is the union of a horizontal and a
vertical rectangle) and :class:`Band` (a diagonal band, used as irrelevant knowledge).
:class:`Checkerboard`, :class:`Ring`, :class:`Spiral` and :class:`Wave` are irrelevant
sources of the rectangle experiments; the last three contain no scaled or translated copy of an
axis-aligned rectangle (docs/kbcc.md, "Irrelevant figures without rectangles").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validation import check_array, check_positive_int, check_rng

__all__ = ["Rectangle", "Union", "Band", "Checkerboard", "Ring", "Spiral", "Wave", "grid",
           "figure_data", "FIGURES", "figure"]


@dataclass(frozen=True)
class Rectangle:
    """The rectangle of centre ``(cx, cy)``, width ``w``, height ``h``, rotated by ``angle``
    degrees (counter-clockwise) about its centre."""

    cx: float
    cy: float
    w: float
    h: float
    angle: float = 0.0

    def contains(self, X):
        X = check_array(X, "X", ndim=2)
        t = np.deg2rad(self.angle)
        dx, dy = X[:, 0] - self.cx, X[:, 1] - self.cy
        u = np.cos(t) * dx + np.sin(t) * dy        # coordinates in the rectangle's frame
        v = -np.sin(t) * dx + np.cos(t) * dy
        return (np.abs(u) <= self.w / 2) & (np.abs(v) <= self.h / 2)

    def translated(self, dx, dy):
        return Rectangle(self.cx + dx, self.cy + dy, self.w, self.h, self.angle)

    def scaled(self, s):
        return Rectangle(self.cx, self.cy, self.w * s, self.h * s, self.angle)

    def rotated(self, degrees):
        return Rectangle(self.cx, self.cy, self.w, self.h, self.angle + degrees)


@dataclass(frozen=True)
class Union:
    """Points inside any of ``parts``."""

    parts: tuple

    def contains(self, X):
        out = np.zeros(len(X), bool)
        for p in self.parts:
            out |= p.contains(X)
        return out


@dataclass(frozen=True)
class Band:
    """The diagonal band ``|(x - y) - offset| <= width / 2``."""

    offset: float = 0.0
    width: float = 0.3

    def contains(self, X):
        X = check_array(X, "X", ndim=2)
        return np.abs(X[:, 0] - X[:, 1] - self.offset) <= self.width / 2


@dataclass(frozen=True)
class Checkerboard:
    """The black cells of an ``n x n`` checkerboard over [0, 1]^2 (a high-frequency figure,
    used as irrelevant knowledge)."""

    n: int = 5

    def contains(self, X):
        X = check_array(X, "X", ndim=2)
        i = np.clip(np.floor(X * self.n), 0, self.n - 1).astype(np.int64)
        return (i[:, 0] + i[:, 1]) % 2 == 0


@dataclass(frozen=True)
class Ring:
    """An annulus: the points whose distance from ``(cx, cy)`` lies in
    ``[r_inner, r_outer]`` (irrelevant knowledge with a curved boundary).

    Parameters
    ----------
    cx, cy : float, default 0.5
        The centre.
    r_inner, r_outer : float, default 0.2 and 0.4
        The inner and outer radius.
    """

    cx: float = 0.5
    cy: float = 0.5
    r_inner: float = 0.2
    r_outer: float = 0.4

    def contains(self, X):
        """Boolean array, shape ``(n,)``: which rows of ``X`` (shape ``(n, 2)``) lie in the
        ring."""
        X = check_array(X, "X", ndim=2)
        r = np.hypot(X[:, 0] - self.cx, X[:, 1] - self.cy)
        return (r >= self.r_inner) & (r <= self.r_outer)


@dataclass(frozen=True)
class Spiral:
    """One arm of two interleaved Archimedean spirals about ``(cx, cy)``.

    The arm is ``r = a phi`` (``phi`` the angle counted counter-clockwise from the x axis,
    unwrapped, ``a = radius / (2 pi turns)``), so it reaches ``radius`` after ``turns``
    turns; the other arm is the same curve rotated by 180 degrees. A point belongs to the
    figure if it is radially nearer the first arm than the second: with polar coordinates
    ``(r, theta)`` about the centre, ``(r / a - theta) mod 2 pi`` lies within ``pi / 2`` of 0.
    Both classes are bands of radial width ``pi a = radius / (2 turns)`` that wind about the
    centre and continue to the corners of the square.

    Parameters
    ----------
    cx, cy : float, default 0.5
        The centre.
    turns : float, default 1.5
        Turns of an arm within ``radius``.
    radius : float, default 0.5
        The radius reached after ``turns`` turns (0.5: the square's inscribed circle).
    """

    cx: float = 0.5
    cy: float = 0.5
    turns: float = 1.5
    radius: float = 0.5

    def contains(self, X):
        """Boolean array, shape ``(n,)``: which rows of ``X`` (shape ``(n, 2)``) lie on the
        first arm's band."""
        X = check_array(X, "X", ndim=2)
        dx, dy = X[:, 0] - self.cx, X[:, 1] - self.cy
        a = self.radius / (2 * np.pi * self.turns)
        u = np.mod(np.hypot(dx, dy) / a - np.arctan2(dy, dx), 2 * np.pi)
        return (u < np.pi / 2) | (u >= 3 * np.pi / 2)


@dataclass(frozen=True)
class Wave:
    """The points below the curve ``y = mid + amplitude sin(2 pi cycles x)``: a smooth wavy
    boundary across the square.

    Parameters
    ----------
    mid : float, default 0.5
        The curve's mean height.
    amplitude : float, default 0.2
    cycles : float, default 2.0
        Periods of the sine over ``0 <= x <= 1``.
    """

    mid: float = 0.5
    amplitude: float = 0.2
    cycles: float = 2.0

    def contains(self, X):
        """Boolean array, shape ``(n,)``: which rows of ``X`` (shape ``(n, 2)``) lie strictly
        below the curve."""
        X = check_array(X, "X", ndim=2)
        return X[:, 1] < self.mid + self.amplitude * np.sin(2 * np.pi * self.cycles * X[:, 0])


def grid(n):
    """The ``n x n`` grid of points over [0, 1]^2 (corners included), shape (n^2, 2)."""
    n = check_positive_int(n, "n", minimum=2)
    t = np.linspace(0.0, 1.0, n)
    xx, yy = np.meshgrid(t, t)
    return np.column_stack([xx.ravel(), yy.ravel()])


_TARGET = Rectangle(0.5, 0.5, 0.5, 0.4)
_HBAR = Rectangle(0.5, 0.5, 0.8, 0.24)
_VBAR = Rectangle(0.5, 0.5, 0.24, 0.8)

#: the named figures of the KBCC experiments (docs/kbcc.md): the target rectangle and its
#: transformations, a band, the irrelevant checkerboard, ring, spiral and wave, the cross and
#: its two bars
FIGURES = {
    "rectangle": _TARGET,
    "rect_near": _TARGET.translated(0.1, 0.1),        # translated: near
    "rect_far": _TARGET.translated(0.25, 0.25),       # translated: far
    "rect_big": _TARGET.scaled(1.5),                  # scaled: bigger
    "rect_small": _TARGET.scaled(0.6),                # scaled: smaller
    "rect_rot": _TARGET.rotated(45.0),                # rotated
    "band": Band(0.0, 0.3),                           # a diagonal strip
    "checker": Checkerboard(5),                       # irrelevant
    "ring": Ring(0.5, 0.5, 0.2, 0.4),                 # irrelevant, no rectangle in it
    "spiral": Spiral(0.5, 0.5, 1.5, 0.5),             # irrelevant, no rectangle in it
    "wave": Wave(0.5, 0.2, 2.0),                      # irrelevant, no rectangle in it
    "cross": Union((_HBAR, _VBAR)),
    "hbar": _HBAR,
    "vbar": _VBAR,
}


def figure(name):
    """The figure named ``name`` (a key of :data:`FIGURES`) or a figure object itself."""
    if hasattr(name, "contains"):
        return name
    if name not in FIGURES:
        raise ValueError(f"figure: unknown figure {name!r}; known: {', '.join(FIGURES)}")
    return FIGURES[name]


def figure_data(fig, n_grid=15, n_test=1000, rng=0):
    """Training grid and random test points of a figure.

    Parameters
    ----------
    fig : str or figure
        A name of :data:`FIGURES` or an object with ``contains``.
    n_grid : int, default 15
        Training points: the ``n_grid x n_grid`` grid over [0, 1]^2 (225 points).
    n_test : int, default 1000
        Test points drawn uniformly in [0, 1]^2 from ``rng`` (0: no test set).
    rng : int, Generator or None, default 0

    Returns
    -------
    X, y, X_test, y_test : ndarrays (labels int64, 1 inside the figure)
    """
    fig = figure(fig)
    n_test = check_positive_int(n_test, "n_test", minimum=0)
    X = grid(n_grid)
    Xt = check_rng(rng).uniform(0.0, 1.0, (n_test, 2))
    yt = fig.contains(Xt).astype(np.int64) if n_test else np.zeros(0, np.int64)
    return X, fig.contains(X).astype(np.int64), Xt, yt
