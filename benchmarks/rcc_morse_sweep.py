"""Morse code (Fahlman 1991), block training: a small sweep of cascor settings for RCC.

Each named setting runs ``TRIALS`` seeds (0..TRIALS-1) of RecurrentCascadeCorrelation on the 26
letters (max 25 units) and prints: trials perfect, mean units (and each trial's), mean epochs.
``port`` is the ``rcc`` trials' ``MORSE_SETTINGS`` (the ``ianjchiu/Cascor`` port's recurrent
Lisp settings; not chosen by this sweep); ``port8``, ``port8e200``, ``portcc`` vary one or two
of them. Units are RecurrentCascadeCorrelation's default, the paper's tanh (-1..+1), unless a
name ends in ``ss`` (the cascor code's -0.5..+0.5 symmetric sigmoid, ``"recurrent"``). The input levels are :func:`~structlearn.datasets_sequences.morse`'s (a logical zero
is -0.5); ``NAME@01`` runs a setting with the earlier 0/1 inputs. Results:
docs/recurrent_cascor.md.

    python benchmarks/rcc_morse_sweep.py SETTING[,SETTING...] [TRIALS]
"""
import sys
import time

import numpy as np

from structlearn.bench.rcc_trials import MORSE_SETTINGS
from structlearn.cascor import RecurrentCascadeCorrelation
from structlearn.datasets_sequences import morse, morse_correct, perfect_sequences
from structlearn.sequences import Sequences
grid = {
 "port": dict(MORSE_SETTINGS),
 "port8": dict(MORSE_SETTINGS, pool_size=8),
 "port8e200": dict(MORSE_SETTINGS, pool_size=8, output_epochs=200, candidate_epochs=200),
 "portcc": dict(MORSE_SETTINGS, output_change_threshold=0.01, candidate_change_threshold=0.03),
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
for name in sys.argv[1].split(","):
    name, _, levels = name.partition("@")
    X, y = morse(levels=(0.0, 1.0) if levels == "01" else (-0.5, 0.5)); s = Sequences(X)
    kw = grid[name]
    name += "@" + levels if levels else ""
    t = time.time()
    res = RecurrentCascadeCorrelation(max_hidden_units=25, **kw).fit_trials(X, y, seeds=range(int(sys.argv[2]) if len(sys.argv)>2 else 6))
    units = [r.hidden_units for r in res]; eps = [r.epochs for r in res]
    ok = [perfect_sequences(morse_correct(r.network.forward(s), y), s.lengths).all() for r in res]
    print(f"{name}: {time.time()-t:.1f}s perfect={sum(ok)} units={np.mean(units):.1f} {units} epochs={np.mean(eps):.0f}", flush=True)
