"""Morse code (Fahlman 1991): small sweeps of cascor settings (block training) and of the ways
to run the incremental lessons, for RCC.

    python benchmarks/rcc_morse_sweep.py SETTING[,SETTING...] [TRIALS] [FIRST_SEED]

Each named setting runs ``TRIALS`` seeds (``FIRST_SEED`` .. ``FIRST_SEED + TRIALS - 1``; default
0..5) and prints: trials perfect, mean units and mean epochs (and each trial's).

*Block training* (the 26 letters, at most 25 units): ``port`` is the ``ianjchiu/Cascor`` port's
recurrent Lisp settings (``PORT_MORSE_SETTINGS``); ``port8``, ``port8e200``, ``portcc`` vary
one or two of them (``portcc``, cascor1.lisp's change thresholds, is the ``rcc`` trials'
``MORSE_SETTINGS``, chosen by the rule in docs/recurrent_cascor.md). Units are
RecurrentCascadeCorrelation's default, the paper's tanh (-1..+1), unless a name ends in ``ss``
(the cascor code's -0.5..+0.5 symmetric sigmoid, ``"recurrent"``). The input levels are
:func:`~structlearn.datasets_sequences.morse`'s (a logical zero is -0.5); ``NAME@01`` runs a
setting with the earlier 0/1 inputs. An unknown name is refused before anything runs.

*Lessons* (``lessons-VARIANT``; ``MORSE_SETTINGS``, at most 30 units in all, as the ``rcc``
trials; ``lessons-VARIANT@SETTING``: the same with the settings of the block setting
``SETTING``, any name of the table ``grid`` below without an ``@``, e.g. ``lessons-paper@port8``
or ``lessons-perfect-all@c30o2``; the inputs are always +-0.5, and ``lessons-VARIANT@portcc``
is ``lessons-VARIANT``, ``portcc`` being ``MORSE_SETTINGS``): the paper's lessons ``ET``,
``AIN``, ``DGHKRUW``, ``BFLOV``, ``CJPQXYZ``, then all 26, each continuing from the previous
lesson's network, run in one of these ways (a variant's own changes go on top of the
setting's values):

* ``paper``: as the paper reads (each lesson's set alone, "we then set aside the ET set"; the
  output weights carried over; every lesson stops at cascor's victory); the ``rcc`` trials';
* ``cumulative``: each lesson's set holds the earlier lessons' letters too (rehearsal);
* ``reset-last`` / ``reset-every``: the output weights redrawn in +-1 before the last lesson /
  before every lesson after the first (the ``rcc`` trials' ``reset_outputs``);
* ``perfect-mid``: the lessons before the last stop when they are perfect by the paper's
  criterion (every output on its side of 0: ``score_threshold=0.5``), the last at victory;
  ``perfect-all``: every lesson so (compare it with block training's ``portcc-perfect``);
* ``outputs-last`` / ``outputs-every`` / ``outputs1000-last``: before the last lesson / before
  every lesson after the first, one output phase on the new set without the patience stop (at
  most 300 epochs; 1000 for ``outputs1000-last``), its epochs counted, before the lesson runs;
* ``same-step``: each lesson's candidate epsilon (the setting's) scaled by (its time steps /
  228), so that a candidate's gradient step is block training's (the codes divide epsilon by
  the patterns, while the normalised score's slope does not grow with them).

``features`` compares the units themselves: per seed, the network after the first five lessons
and block training's network when it had as many units, each given one long output phase on
the 26 letters (3000 epochs, no patience stop, no new unit); it prints how many letters each
then gets right (perfect at every step).

Results: docs/recurrent_cascor.md.
"""
import sys
import time

import numpy as np

from structlearn.bench.rcc_trials import MORSE_SETTINGS as CHOSEN
from structlearn.bench.rcc_trials import PORT_MORSE_SETTINGS as MORSE_SETTINGS
from structlearn.cascor import RecurrentCascadeCorrelation
from structlearn.datasets_sequences import MORSE_LESSONS, morse, morse_correct, perfect_sequences
from structlearn.sequences import Sequences

grid = {
 "port": dict(MORSE_SETTINGS),
 "port8": dict(MORSE_SETTINGS, pool_size=8),
 "port8e200": dict(MORSE_SETTINGS, pool_size=8, output_epochs=200, candidate_epochs=200),
 "portcc": dict(MORSE_SETTINGS, output_change_threshold=0.01, candidate_change_threshold=0.03),
 "portcc-perfect": dict(CHOSEN, score_threshold=0.5),
 "portss": dict(MORSE_SETTINGS, unit_type="recurrent"),
 "port8ss": dict(MORSE_SETTINGS, pool_size=8, unit_type="recurrent"),
 "basess": dict(unit_type="recurrent"),
 "c30o2ss": dict(candidate_epsilon=30.0, output_epsilon=0.2, unit_type="recurrent"),
 "base": dict(),
 "cov": dict(score_formula="covariance"),
 "cpat20": dict(candidate_patience=20, output_patience=20),
 "ceps10": dict(candidate_epsilon=10.0),
 "ceps30": dict(candidate_epsilon=30.0),
 "oeps0.35": dict(output_epsilon=0.35),
 "pool16": dict(pool_size=16),
 "wr0.5": dict(weight_range=0.5),
 "c30p20": dict(candidate_epsilon=30.0, candidate_patience=20, output_patience=20),
 "c30o35": dict(candidate_epsilon=30.0, output_epsilon=0.35),
 "c30o35p20": dict(candidate_epsilon=30.0, output_epsilon=0.35, candidate_patience=20,
                   output_patience=20),
 "c20o35": dict(candidate_epsilon=20.0, output_epsilon=0.35),
 "c50o35": dict(candidate_epsilon=50.0, output_epsilon=0.35),
 "c30o5": dict(candidate_epsilon=30.0, output_epsilon=0.5),
 "c30o2": dict(candidate_epsilon=30.0, output_epsilon=0.2),
 "c30o35mix": dict(candidate_epsilon=30.0, output_epsilon=0.35, unit_type=["recurrent","recurrent_tanh"]),
 "c30o2p16": dict(candidate_epsilon=30.0, output_epsilon=0.2, pool_size=16),
 "c30o2cp20": dict(candidate_epsilon=30.0, output_epsilon=0.2, candidate_patience=20),
 "c30o2cct01": dict(candidate_epsilon=30.0, output_epsilon=0.2, candidate_change_threshold=0.01),
 "c30o2mix": dict(candidate_epsilon=30.0, output_epsilon=0.2,
                  unit_type=["recurrent", "symmetric_sigmoid"]),
 "paper": dict(preset="paper", unit_type="recurrent"),
 "paperss": dict(preset="paper", unit_type="recurrent", candidate_epsilon=10.0),
 "c10p20": dict(candidate_epsilon=10.0, candidate_patience=20, output_patience=20),
 "c30p20t": dict(candidate_epsilon=30.0, candidate_patience=20, output_patience=20, unit_type="recurrent_tanh"),
}
#: lesson variants: (lesson sets, reset outputs before, settings of the lessons before the last,
#: of the last, a first output phase without patience: (before which lessons, its epochs))
LESSONS = {
 "paper": ("paper", None, {}, {}, None),
 "cumulative": ("cumulative", None, {}, {}, None),
 "reset-last": ("paper", "last", {}, {}, None),
 "reset-every": ("paper", "every", {}, {}, None),
 "perfect-mid": ("paper", None, dict(score_threshold=0.5), {}, None),
 "perfect-all": ("paper", None, dict(score_threshold=0.5), dict(score_threshold=0.5), None),
 "outputs-last": ("paper", None, {}, {}, ("last", 300)),
 "outputs-every": ("paper", None, {}, {}, ("every", 300)),
 "outputs1000-last": ("paper", None, {}, {}, ("last", 1000)),
 "same-step": ("paper", None, "same-step", {}, None),
}


def lesson_sets(kind):
    if kind == "paper":
        return list(MORSE_LESSONS)
    sets, seen = [], ""
    for letters in MORSE_LESSONS[:-1]:
        seen += letters
        sets.append(seen)
    return sets + [MORSE_LESSONS[-1]]


def lesson_spec(name):
    """``(variant, settings)`` of a lessons name, ``lessons-VARIANT`` (``MORSE_SETTINGS``) or
    ``lessons-VARIANT@SETTING`` (the block setting ``grid[SETTING]``); ``ValueError`` naming
    the choices for an unknown variant or setting."""
    if not name.startswith("lessons-"):
        raise ValueError(f"{name!r}: a lessons name is lessons-VARIANT or lessons-VARIANT@SETTING")
    variant, at, setting = name[len("lessons-"):].partition("@")
    if variant not in LESSONS:
        raise ValueError(f"{name!r}: unknown lessons variant {variant!r}; the variants: "
                         f"{', '.join(LESSONS)}")
    if not at:
        return variant, CHOSEN
    if setting not in grid:
        raise ValueError(f"{name!r}: unknown block setting {setting!r} (lessons-VARIANT@SETTING "
                         f"takes a name of the sweep's block table, without @01); the "
                         f"settings: {', '.join(grid)}")
    return variant, grid[setting]


def lessons(variant, seed, max_units=30, settings=None):
    """One lessons trial: (network, total epochs, units after each lesson). ``settings``: the
    estimator's settings under the variant's own changes (default ``MORSE_SETTINGS``)."""
    if settings is None:
        settings = CHOSEN
    kind, reset, mid, last, outputs = LESSONS[variant]
    sets = lesson_sets(kind)
    rng = np.random.default_rng(seed)
    net, epochs, per = None, 0, []
    for i, letters in enumerate(sets):
        Xl, yl = morse(letters)
        final = i == len(sets) - 1
        if net is not None and (reset == "every" or reset == "last" and final):
            net = net.copy()
            out = net.blocks[-1]
            out.W[:] = rng.uniform(-1.0, 1.0, out.W.shape)
            out.b[:] = rng.uniform(-1.0, 1.0, out.b.shape)
        if net is not None and outputs and (outputs[0] == "every" or final):
            m = RecurrentCascadeCorrelation(max_hidden_units=0, rng=rng, **dict(
                settings, output_patience=0, output_epochs=outputs[1])).fit(Xl, yl, network=net)
            net, epochs = m.network_, epochs + m.n_epochs_
        kw = last if final else mid
        if kw == "same-step":
            eps = RecurrentCascadeCorrelation(**settings)._resolved()["candidate_epsilon"]
            kw = dict(candidate_epsilon=eps * sum(map(len, Xl)) / 228)
        left = max_units - (0 if net is None else net.n_hidden_units)
        m = RecurrentCascadeCorrelation(max_hidden_units=max(left, 0), rng=rng,
                                        **dict(settings, **kw)).fit(Xl, yl, network=net)
        net, epochs = m.network_, epochs + m.n_epochs_
        per.append(int(net.n_hidden_units))
    return net, epochs, per


def features(seed):
    """(units, letters right with the lessons' units, letters right with block training's)."""
    X, y = morse()
    s = Sequences(X)
    rng = np.random.default_rng(seed)
    net = None
    for letters in MORSE_LESSONS[:-1]:
        Xl, yl = morse(letters)
        net = RecurrentCascadeCorrelation(max_hidden_units=30, rng=rng, **CHOSEN).fit(
            Xl, yl, network=net).network_
    h = net.n_hidden_units
    block = RecurrentCascadeCorrelation(max_hidden_units=30, rng=seed, snapshots=True,
                                        **CHOSEN).fit(X, y)
    same = [snap for _, snap in block.snapshots_ if snap.n_hidden_units == h]
    long = dict(CHOSEN, output_epochs=3000, output_patience=0)

    def right(start):
        m = RecurrentCascadeCorrelation(max_hidden_units=0, rng=seed, **long).fit(
            X, y, network=start)
        return int(perfect_sequences(morse_correct(m.network_.forward(s), y), s.lengths).sum())

    return h, right(net), right(same[0]) if same else None


def report(name, seconds, nets, epochs, X, y, extra=""):
    """Print one setting's line: trials perfect on ``(X, y)``, units and epochs (mean, then
    each trial's)."""
    s = Sequences(X)
    ok = [perfect_sequences(morse_correct(net.forward(s), y), s.lengths).all() for net in nets]
    units = [int(net.n_hidden_units) for net in nets]
    print(f"{name}: {seconds:.1f}s perfect={sum(ok)} units={np.mean(units):.1f} {units} "
          f"epochs={np.mean(epochs):.0f} {list(map(int, epochs))}{extra}", flush=True)


def main(argv):
    first = int(argv[3]) if len(argv) > 3 else 0
    seeds = range(first, first + (int(argv[2]) if len(argv) > 2 else 6))
    names = argv[1].split(",")
    for name in names:                  # every name checked before anything runs
        if name.startswith("lessons-"):
            lesson_spec(name)
        elif name != "features" and name.partition("@")[0] not in grid:
            raise ValueError(f"{name!r}: unknown block setting {name.partition('@')[0]!r}; the "
                             f"settings: {', '.join(grid)}")
    for name in names:
        t = time.time()
        if name == "features":
            res = [features(seed) for seed in seeds]
            for seed, (h, a, b) in zip(seeds, res):
                print(f"seed {seed}: {h} units; letters right: lessons' units {a}/26, block "
                      f"training's {b}/26")
            both = [r for r in res if r[2] is not None]
            print(f"features: {time.time() - t:.1f}s mean letters right: lessons' units "
                  f"{np.mean([r[1] for r in both]):.1f}/26, block training's "
                  f"{np.mean([r[2] for r in both]):.1f}/26 ({len(both)} seeds)", flush=True)
            continue
        if name.startswith("lessons-"):
            variant, settings = lesson_spec(name)
            res = [lessons(variant, seed, settings=settings) for seed in seeds]
            per = np.mean([r[2] for r in res], axis=0)
            report(name, time.time() - t, [r[0] for r in res], [r[1] for r in res], *morse(),
                   " mean units after each lesson=" + " ".join(f"{u:.1f}" for u in per))
            continue
        setting, _, levels = name.partition("@")
        X, y = morse(levels=(0.0, 1.0) if levels == "01" else (-0.5, 0.5))
        res = RecurrentCascadeCorrelation(max_hidden_units=25, **grid[setting]).fit_trials(
            X, y, seeds=seeds)
        report(name, time.time() - t, [r.network for r in res], [r.epochs for r in res], X,
               y)


if __name__ == "__main__":
    main(sys.argv)
