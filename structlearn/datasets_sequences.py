"""Sequence data sets of Recurrent Cascade-Correlation (Fahlman 1991, NIPS 3), generated here.

* :func:`reber` -- strings of Reber's finite-state grammar, next-symbol prediction: 7 one-hot
  inputs (the current symbol) and 7 outputs (the legal successors).
* :func:`embedded_reber` -- ``B T <Reber> T E | B P <Reber> P E``: the net must carry the
  second symbol across the embedded string to predict the last-but-one.
* :func:`morse` -- the 26 letters in Morse code, the paper's encoding: 1 input (a dot is
  ``1 0``, a dash ``1 1 0``, and one more ``0`` ends the letter; a logical one is a positive
  input, a logical zero a *negative* one, +-0.5), 27 outputs (26 letters and a strobe), all
  "off" except, at the letter's last step, the strobe and the letter.

Each loader returns ``(X, y)``: ``X`` a list of (T_i, n_inputs) float arrays, ``y`` a list of
(T_i, n_outputs) 0/1 target arrays (one row per time step), ready for
:class:`~structlearn.cascor.RecurrentCascadeCorrelation`. The paper's correctness criteria are
:func:`reber_correct` and :func:`morse_correct` (per time step); :func:`perfect_sequences`
says which sequences are right at every step. Nothing is downloaded.

The Reber transitions (Reber 1967; the usual generator, each branch with probability 1/2)::

    state 1: T -> 2 | P -> 3      state 2: S -> 2 | X -> 4      state 3: T -> 3 | V -> 5
    state 4: X -> 3 | S -> end    state 5: P -> 4 | V -> end    (B before state 1, E at the end)
"""
from __future__ import annotations

import numpy as np

from .validation import check_positive_int, check_rng

__all__ = ["REBER_SYMBOLS", "MORSE_CODE", "MORSE_LESSONS", "reber", "reber_strings",
           "embedded_reber", "embedded_reber_strings", "encode_reber", "morse", "reber_correct",
           "morse_correct", "perfect_sequences"]

#: the seven symbols, in input/output column order
REBER_SYMBOLS = "BTPSXVE"

# state -> ((symbol, next state), (symbol, next state)); 0: the end (E follows)
_REBER = {1: (("T", 2), ("P", 3)), 2: (("S", 2), ("X", 4)), 3: (("T", 3), ("V", 5)),
          4: (("X", 3), ("S", 0)), 5: (("P", 4), ("V", 0))}

#: International Morse code of the 26 letters
MORSE_CODE = {
    "A": ".-", "B": "-...", "C": "-.-.", "D": "-..", "E": ".", "F": "..-.", "G": "--.",
    "H": "....", "I": "..", "J": ".---", "K": "-.-", "L": ".-..", "M": "--", "N": "-.",
    "O": "---", "P": ".--.", "Q": "--.-", "R": ".-.", "S": "...", "T": "-", "U": "..-",
    "V": "...-", "W": ".--", "X": "-..-", "Y": "-.--", "Z": "--..",
}

#: Fahlman's incremental lessons for Morse code, then all 26 letters (the paper's order)
MORSE_LESSONS = ("ET", "AIN", "DGHKRUW", "BFLOV", "CJPQXYZ", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _reber_body(rng):
    """One Reber string with its legal-successor sets: (symbols, successors after each)."""
    sym, succ = ["B"], [{"T", "P"}]
    state = 1
    while state:
        pick = _REBER[state][int(rng.integers(2))]
        sym.append(pick[0])
        state = pick[1]
        succ.append({s for s, _ in _REBER[state]} if state else {"E"})
    sym.append("E")
    return sym, succ


def reber_strings(n_strings, rng=None):
    """``n_strings`` random Reber strings, e.g. ``"BTSSXXVPSE"``."""
    n_strings = check_positive_int(n_strings, "n_strings")
    rng = check_rng(rng)
    return ["".join(_reber_body(rng)[0]) for _ in range(n_strings)]


def embedded_reber_strings(n_strings, rng=None):
    """``n_strings`` random embedded Reber strings (``B T <Reber> T E`` or ``B P <Reber> P E``)."""
    n_strings = check_positive_int(n_strings, "n_strings")
    rng = check_rng(rng)
    out = []
    for _ in range(n_strings):
        branch = "TP"[int(rng.integers(2))]
        out.append("B" + branch + "".join(_reber_body(rng)[0]) + branch + "E")
    return out


def _successors(string, embedded):
    """The legal successors after each symbol but the last."""
    def inner(s):
        succ, state = [{"T", "P"}], 1
        for ch in s[1:-1]:
            state = dict(_REBER[state])[ch]
            succ.append({x for x, _ in _REBER[state]} if state else {"E"})
        return succ
    if not embedded:
        return inner(string)
    branch = string[1]
    return [{"T", "P"}, {"B"}] + inner(string[2:-2]) + [{branch}, {"E"}]


def encode_reber(strings, embedded=False):
    """One-hot inputs and legal-successor targets of Reber strings.

    Returns
    -------
    X : list of ndarray (len - 1, 7)
        The symbol at each step but the last (the final ``E`` is not an input).
    y : list of ndarray (len - 1, 7) of 0/1
        The legal successors of each step's symbol (one or two of them).
    """
    col = {s: i for i, s in enumerate(REBER_SYMBOLS)}
    X, y = [], []
    for s in strings:
        try:
            succ = _successors(s, embedded)
        except (KeyError, IndexError):
            raise ValueError(f"strings: {s!r} is not a{'n embedded' if embedded else ''} Reber "
                             "string") from None
        x = np.zeros((len(s) - 1, 7))
        x[np.arange(len(s) - 1), [col[c] for c in s[:-1]]] = 1.0
        t = np.zeros((len(s) - 1, 7))
        for i, legal in enumerate(succ):
            t[i, [col[c] for c in legal]] = 1.0
        X.append(x)
        y.append(t)
    return X, y


def reber(n_strings=128, rng=None, return_strings=False):
    """Reber-grammar next-symbol prediction (Fahlman 1991: 128 training strings per trial).

    Parameters
    ----------
    n_strings : int, default 128
    rng : int, Generator or None
    return_strings : bool, default False
        Also return the strings.

    Returns
    -------
    X, y : lists of arrays (see :func:`encode_reber`); and the strings if asked.
    """
    strings = reber_strings(n_strings, rng)
    X, y = encode_reber(strings)
    return (X, y, strings) if return_strings else (X, y)


def embedded_reber(n_strings=256, rng=None, return_strings=False):
    """Embedded Reber grammar (Fahlman 1991: 256 training and 256 test strings per trial)."""
    strings = embedded_reber_strings(n_strings, rng)
    X, y = encode_reber(strings, embedded=True)
    return (X, y, strings) if return_strings else (X, y)


def morse(letters="ABCDEFGHIJKLMNOPQRSTUVWXYZ", levels=(-0.5, 0.5)):
    """Morse code as in Fahlman (1991): 1 input, 27 outputs (A..Z, then the strobe).

    A dot is the logical inputs ``1, 0``; a dash ``1, 1, 0``; one more ``0`` ends the letter
    (so V, ``...-``, is ``1010101100``). The paper: "A dot is represented as a logical one
    (positive input) followed by a logical zero (negative)", so a zero is a negative input, not
    an absent one: ``levels`` gives the (zero, one) input values, by default -0.5 and +0.5 (the
    values of the Morse builder of the ``ianjchiu/Cascor`` port of Fahlman's recurrent Lisp
    code, and the symmetric sigmoid's off/on). Every target is 0 ("off") except at the letter's
    last step, where its letter's output and the strobe (column 26) are 1. The state is zeroed
    at the start of each letter.

    Parameters
    ----------
    letters : str
        Which letters (a lesson; default all 26), in order.
    levels : (float, float), default (-0.5, 0.5)
        The input values of a logical zero and a logical one.

    Returns
    -------
    X : list of ndarray (T, 1)
    y : list of ndarray (T, 27) of 0/1
    """
    if not isinstance(letters, str) or not letters or any(c not in MORSE_CODE for c in letters):
        raise ValueError(f"letters: expected a non-empty string of the letters A-Z, got "
                         f"{letters!r}")
    try:
        zero, one = (float(v) for v in levels)
    except (TypeError, ValueError):
        raise ValueError(f"levels: expected two numbers (zero, one), got {levels!r}") from None
    if not one > zero:
        raise ValueError(f"levels: expected the one above the zero, got {levels!r}")
    X, y = [], []
    for c in letters:
        bits = []
        for el in MORSE_CODE[c]:
            bits += [1, 0] if el == "." else [1, 1, 0]
        bits.append(0)
        t = np.zeros((len(bits), 27))
        t[-1, ord(c) - ord("A")] = 1.0
        t[-1, 26] = 1.0
        X.append(np.where(np.array(bits) == 1, one, zero)[:, None])
        y.append(t)
    return X, y


def reber_correct(outputs, y):
    """The paper's Reber criterion, per time step: "a prediction is considered correct if the
    two desired outputs are the two with the largest values" (the ``k`` legal successors are
    the ``k`` largest outputs, ``k`` = 1 or 2).

    Parameters
    ----------
    outputs : ndarray (P, 7)
        Network outputs, one row per time step.
    y : ndarray (P, 7) or list of arrays
        Legal-successor targets (0/1).

    Returns
    -------
    ndarray of bool (P,)
    """
    y = np.concatenate(y) if isinstance(y, (list, tuple)) else np.asarray(y)
    out = np.asarray(outputs, dtype=np.float64)
    if out.shape != y.shape:
        raise ValueError(f"outputs: expected shape {y.shape} (as y), got {out.shape}")
    legal = np.where(y > 0.5, out, np.inf).min(axis=1)          # the weakest legal output
    illegal = np.where(y > 0.5, -np.inf, out).max(axis=1)       # the strongest illegal one
    return legal > illegal


def morse_correct(outputs, y, midpoint=0.0):
    """Every output on its target's side of ``midpoint`` (0 for the symmetric sigmoid): the
    strobe and the right letter raised at a letter's last step, everything off elsewhere."""
    y = np.concatenate(y) if isinstance(y, (list, tuple)) else np.asarray(y)
    out = np.asarray(outputs, dtype=np.float64)
    if out.shape != y.shape:
        raise ValueError(f"outputs: expected shape {y.shape} (as y), got {out.shape}")
    return np.all((out > midpoint) == (y > 0.5), axis=1)


def perfect_sequences(correct, lengths):
    """Which sequences are right at every step (``correct``: per step, in sequence order)."""
    correct = np.asarray(correct, bool)
    lengths = np.asarray(lengths, np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.logical_and.reduceat(correct, starts)
