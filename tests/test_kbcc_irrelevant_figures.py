"""The irrelevant figures without rectangles (ring, spiral, wave) and the ``--irrelevant`` flag
of ``benchmarks/kbcc_experiments.py`` (docs/kbcc.md, "Irrelevant figures without
rectangles")."""
import re

import numpy as np
import pytest

from helpers import benchmark_script
from structlearn.bench import kbcc_trials
from structlearn.bench.kbcc_trials import trained_source
from structlearn.shapes import FIGURES, Ring, Spiral, Wave, figure, figure_data, grid

NEW = ("ring", "spiral", "wave")
OLD = ("rectangle", "rect_near", "rect_far", "rect_big", "rect_small", "rect_rot", "band",
       "checker", "cross", "hbar", "vbar")


def _inside(fig, points):
    return fig.contains(np.array(points, float)).tolist()


def test_ring():
    ring = FIGURES["ring"]
    assert ring == Ring(0.5, 0.5, 0.2, 0.4)
    # centre (the hole), r = 0.15, r = 0.29, r = 0.3, r = 0.39, r = 0.45, a corner
    pts = [[0.5, 0.5], [0.65, 0.5], [0.79, 0.5], [0.5, 0.2], [0.5 - 0.39, 0.5], [0.5, 0.95],
           [0.0, 0.0]]
    assert _inside(ring, pts) == [False, False, True, True, True, False, False]


def test_spiral():
    sp = FIGURES["spiral"]
    assert sp == Spiral(0.5, 0.5, 1.5, 0.5)
    # along the positive x axis the arm's band and the other's alternate every pi a = 1/6
    # (a = 0.5 / (3 pi)): r = 0.05 and 0.3 on the arm, 0.15 and 0.45 on the other
    right = [[0.55, 0.5], [0.65, 0.5], [0.8, 0.5], [0.95, 0.5]]
    assert _inside(sp, right) == [True, False, True, False]
    # the other arm is the first rotated by 180 degrees: the classes swap under x -> 2c - x
    rng = np.random.default_rng(0)
    d = rng.uniform(-0.5, 0.5, (500, 2))
    assert np.all(sp.contains(0.5 + d) != sp.contains(0.5 - d))
    assert 0.45 < sp.contains(grid(15)).mean() < 0.55


def test_wave():
    wave = FIGURES["wave"]
    assert wave == Wave(0.5, 0.2, 2.0)
    # x = 0.125: the curve is at 0.7 (a crest); x = 0.375: at 0.3 (a trough)
    pts = [[0.125, 0.65], [0.125, 0.75], [0.375, 0.25], [0.375, 0.35], [0.625, 0.65],
           [0.5, 0.49], [0.5, 0.51], [0.0, 0.0], [1.0, 1.0]]
    assert _inside(wave, pts) == [True, False, True, False, True, True, False, True, False]
    assert not wave.contains(np.array([[0.0, 0.5]]))[0]     # on the curve: not below it


@pytest.mark.parametrize("name", NEW)
def test_shapes_and_dtypes(name):
    fig = figure(name)
    out = fig.contains(grid(7))
    assert out.shape == (49,) and out.dtype == bool
    X, y, Xt, yt = figure_data(name, n_test=50)
    assert X.shape == (225, 2) and y.shape == (225,) and y.dtype == np.int64
    assert Xt.shape == (50, 2) and yt.dtype == np.int64
    assert 0 < y.mean() < 1 and set(np.unique(y)) == {0, 1}
    with pytest.raises(ValueError):
        fig.contains(np.zeros(3))


def test_registry_names():
    assert set(NEW) <= set(FIGURES) and set(OLD) <= set(FIGURES)
    assert [n for n in FIGURES if n in OLD] == list(OLD)     # the old names, in their order
    for name in NEW:
        assert figure(name) is FIGURES[name]


@pytest.mark.parametrize("name", NEW)
def test_the_sources_are_learned(name):
    net = trained_source(name)        # raises if plain CC did not reach victory
    X, y, _, _ = figure_data(name)
    assert np.all((net.forward(X)[:, 0] > 0).astype(int) == y)


def test_the_script_flag_builds_the_conditions(capsys):
    script = benchmark_script("kbcc_experiments")
    assert script.irrelevant_conditions("ring,spiral,wave") == [
        ("irrelevant: ring", "ring"), ("irrelevant: spiral", "spiral"),
        ("irrelevant: wave", "wave")]
    assert script.irrelevant_conditions("") == []
    with pytest.raises(ValueError, match="hexagon"):
        script.irrelevant_conditions("ring,hexagon")
    # the defaults are unchanged: seven rectangle conditions, the checkerboard the irrelevant one
    assert len(script.RECT_CONDITIONS) == 7 and script.RECT_CONDITIONS[-1] == ("irrelevant",
                                                                               "checker")
    assert kbcc_trials.RECT_CONDITIONS[-1] == ("irrelevant", ("checker",))
    assert [label for label, _ in kbcc_trials.RECT_CONDITIONS] == [
        label for label, _ in script.RECT_CONDITIONS]
    conds = script.RECT_CONDITIONS + script.irrelevant_conditions(NEW)
    assert script.select_conditions(conds) == conds
    assert [c[0] for c in script.select_conditions(conds, "irrelevant")] == [
        "irrelevant", "irrelevant: ring", "irrelevant: spiral", "irrelevant: wave"]
    assert script.select_conditions(conds, "exact,irrelevant: w") == [
        ("exact", "rectangle"), ("irrelevant: wave", "wave")]
    # end to end, one seed: plain CC and the wave condition only, and where sources came in
    script.main(["--seeds", "1", "--experiments", "rectangle", "--irrelevant", "wave",
                 "--conditions", "irrelevant: wave"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| rectangle")]
    assert [r.split(" | ")[1] for r in rows] == ["plain CC", "irrelevant: wave"]
    # the source's size is the result of its own cascor run, and so of the machine's float
    # arithmetic (7 units on one machine, 11 on another with the same numpy and OpenBLAS):
    # the line's form is what is checked here
    assert re.search(r"rectangle \| irrelevant: wave \(source: wave \d+ units\): first source "
                     r"at installation( \d+| never)", out), out
