"""Benchmark trials: Recurrent Cascade-Correlation (``rcc``) on the paper's sequence tasks.

Fahlman, S. E. (1991). *The Recurrent Cascade-Correlation Architecture.* NIPS 3, 190-196.
The data sets are generated (:mod:`structlearn.datasets_sequences`), one per seed:

* ``reber``: 128 training strings and 128 new test strings per trial (the paper: 10 trials);
* ``embedded_reber``: 256 training and 256 test strings per trial (the paper: 6 trials);
* ``morse``: the 26 letters (training = test: recognition), block training, or with
  ``lessons=True`` the paper's incremental lessons ``ET``, ``AIN``, ``DGHKRUW``, ``BFLOV``,
  ``CJPQXYZ``, then all 26, each lesson continuing from the previous network.

Settings: cascor's C-code defaults with recurrent tanh units (the estimator's default, the
paper's unit; pool of 8, as in the paper's Reber runs), except where a run says otherwise
(``params``; the ``rcc`` suite's Morse entries use :data:`MORSE_SETTINGS`: the recurrent
Lisp code's as ported by ``ianjchiu/Cascor``, with cascor1.lisp's change thresholds). The
row's standard columns are the estimator's ``score`` (per time step; multi-label: every
output right); the paper's criteria are columns of their own: ``train_perfect`` /
``test_perfect`` (fraction of sequences right at every step: Reber, the legal successors are
the top outputs; Morse, every output on its side) and ``perfect`` (every training and test
sequence perfect).
"""
from __future__ import annotations

import time

import numpy as np

from ..cascor.recurrent import RecurrentCascadeCorrelation
from ..datasets_sequences import (MORSE_LESSONS, embedded_reber, morse, morse_correct,
                                  perfect_sequences, reber, reber_correct)
from ..history import History
from ..sequences import Sequences
from .registry import register_trial, targets_to_json

__all__ = ["rcc_trial", "rcc_data", "MORSE_SETTINGS", "PORT_MORSE_SETTINGS", "PAPER"]

#: the settings of the only recurrent cascor code found with a Morse set-up, the
#: ``ianjchiu/Cascor`` port of Fahlman's recurrent Lisp code (its ``tester.py``, which trains on
#: its ``datasets/morse.py``): pool of 16, output epsilon 0.35 and decay 1e-4, candidate
#: epsilon 1.0 (the Lisp scaling, / patterns x units), patience 30 (output) and 25
#: (candidates), change thresholds 0.001 and 0.005, at most 100 epochs per phase
#: (``train(100, 100, ...)``), the true covariance score (Lisp's ``adjust-correlations``).
PORT_MORSE_SETTINGS = dict(pool_size=16, output_epsilon=0.35, output_decay=1e-4,
                           candidate_epsilon=1.0, output_patience=30, candidate_patience=25,
                           output_change_threshold=0.001, candidate_change_threshold=0.005,
                           output_epochs=100, candidate_epochs=100, score_formula="covariance")

#: settings for Morse code (the paper gives none): :data:`PORT_MORSE_SETTINGS` with
#: cascor1.lisp's change thresholds, 0.01 (outputs) and 0.03 (candidates), instead of the
#: port's 0.001 and 0.005. The mix is our choice: the variant ``portcc`` of
#: ``benchmarks/rcc_morse_sweep.py``, picked by a rule written down before the check (the
#: fewest mean epochs among the sweep's settings perfect on seeds 0-9 with at most 10.5 units)
#: and confirmed on held-out seeds 10-29 (docs/recurrent_cascor.md, "Choosing the Morse
#: settings").
MORSE_SETTINGS = dict(PORT_MORSE_SETTINGS, output_change_threshold=0.01,
                      candidate_change_threshold=0.03)

#: the paper's figures
PAPER = {
    "reber": dict(trials=10, perfect=10, units="9 trials 2, 1 trial 3", epochs=195.5),
    "embedded_reber": dict(trials=6, perfect=3, units="7-9 (perfect ones)", epochs=713),
    "morse": dict(trials=10, perfect=10, units=10.5, epochs=1321),
    "morse_lessons": dict(trials=10, perfect=10, units=9.6, epochs=1427),
}


def rcc_data(dataset, seed):
    """``(X, y, X_test, y_test, criterion)`` of a trial (generated from ``seed``)."""
    if dataset == "reber":
        X, y = reber(128, rng=10_000 + seed)
        Xt, yt = reber(128, rng=20_000 + seed)
        return X, y, Xt, yt, reber_correct
    if dataset == "embedded_reber":
        X, y = embedded_reber(256, rng=10_000 + seed)
        Xt, yt = embedded_reber(256, rng=20_000 + seed)
        return X, y, Xt, yt, reber_correct
    if dataset == "morse":
        X, y = morse()
        return X, y, X, y, morse_correct
    raise ValueError(f"dataset: expected 'reber', 'embedded_reber' or 'morse', got {dataset!r}")


def _perfect(model, X, y, criterion):
    seqs = Sequences(X)
    ok = criterion(model.decision_function(seqs), y)
    return float(perfect_sequences(ok, seqs.lengths).mean())


@register_trial("rcc", datasets=["reber", "embedded_reber", "morse"],
                suites={"rcc": [({}, "reber", 10), ({}, "embedded_reber", 6),
                                ({"label": "block", **MORSE_SETTINGS}, "morse", 10),
                                ({"label": "lessons", "lessons": True, **MORSE_SETTINGS},
                                 "morse", 10)]},
                description="Recurrent Cascade-Correlation (Fahlman 1991)")
def rcc_trial(dataset, seed, *, lessons=False, reset_outputs="never", max_hidden_units=None,
              **params):
    """One trial of Recurrent Cascade-Correlation on a sequence task.

    ``params`` are :class:`~structlearn.cascor.RecurrentCascadeCorrelation` parameters;
    ``lessons=True`` (Morse only) trains on the paper's lessons in turn, each continuing from
    the previous lesson's network; ``reset_outputs`` (``"never"``, ``"last"``, ``"every"``):
    redraw the output weights uniformly in +-1 before the last lesson, or before every lesson
    after the first (the hidden units are kept).
    """
    if reset_outputs not in ("never", "last", "every"):
        raise ValueError(f"reset_outputs: expected 'never', 'last' or 'every', got "
                         f"{reset_outputs!r}")
    X, y, Xt, yt, criterion = rcc_data(dataset, seed)
    if max_hidden_units is None:
        max_hidden_units = 30
    t0 = time.perf_counter()
    if lessons:
        if dataset != "morse":
            raise ValueError("lessons: the incremental lessons are Morse code's")
        rng = np.random.default_rng(seed)
        net, epochs, per_lesson, history = None, 0, [], None
        for letters in MORSE_LESSONS:
            Xl, yl = morse(letters)
            if net is not None and (reset_outputs == "every" or reset_outputs == "last"
                                    and letters == MORSE_LESSONS[-1]):
                net = net.copy()
                out = net.blocks[-1]
                out.W[:] = rng.uniform(-1.0, 1.0, out.W.shape)
                out.b[:] = rng.uniform(-1.0, 1.0, out.b.shape)
            left = max_hidden_units - (0 if net is None else net.n_hidden_units)
            model = RecurrentCascadeCorrelation(max_hidden_units=max(left, 0), rng=rng,
                                                **params).fit(Xl, yl, network=net)
            net = model.network_
            epochs += model.n_epochs_
            per_lesson.append([letters, int(net.n_hidden_units), int(model.n_epochs_)])
            history = model.history_
        extra = dict(lessons=per_lesson, reset_outputs=reset_outputs)
    else:
        model = RecurrentCascadeCorrelation(max_hidden_units=max_hidden_units, rng=seed,
                                            **params).fit(X, y)
        net, epochs, history = model.network_, model.n_epochs_, model.history_
        extra = {}
    seconds = time.perf_counter() - t0
    train_acc, test_acc = model.score(X, y), model.score(Xt, yt)
    train_perfect = _perfect(model, X, y, criterion)
    test_perfect = _perfect(model, Xt, yt, criterion)
    row = dict(success=bool(train_acc == 1.0), train_accuracy=train_acc,
               test_accuracy=test_acc, accuracy_kind="pattern",
               targets=targets_to_json(model.target_info_),
               hidden_units=int(net.n_hidden_units), depth=int(net.depth),
               weights=int(net.n_weights), active_weights=int(net.n_active_weights),
               epochs=int(epochs), crossings=None, criterion_met=bool(model.success_),
               stop_reason=model.stop_reason_, train_perfect=train_perfect,
               test_perfect=test_perfect,
               perfect=bool(train_perfect == 1.0 and test_perfect == 1.0),
               self_weights=[float(w) for blk in net.blocks[:-1]
                             for w in (blk.recurrent if blk.recurrent is not None
                                       else np.zeros(blk.width))],
               fit_seconds=seconds, lessons_mode=bool(lessons), **extra)
    return row, history if history is not None else History()
