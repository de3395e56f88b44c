"""Teaching figure: the hidden units of a Recurrent Cascade-Correlation net along a sequence.

Fahlman (1991) reads each installed unit as a state variable of a finite-state machine: a
self-weight ``w_s`` strongly positive makes a **flip-flop** (it keeps its state until the
inputs force a change), strongly negative an **oscillator** (its sign flips every step unless
the inputs hold it), near zero a **gate** (it follows its inputs). "Strongly" means the loop
gain ``w_s f'(0)`` beyond 1 (``f'(0) = 1/4`` for the symmetric sigmoid, 1 for tanh).

This script trains one network (the ``rcc`` trial's settings; for Morse ``--settings port``
gives the ``ianjchiu/Cascor`` port's, ``PORT_MORSE_SETTINGS``) and draws every hidden unit's
value at each step of a few sequences, each unit labelled with its self-weight and its kind.

    python benchmarks/rcc_figure.py [--task reber|embedded_reber|morse] [--seed 0]
        [--settings morse|port] [--out docs/figures/rcc_states_reber.png]
"""
from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from structlearn.activations import get_activation  # noqa: E402
from structlearn.bench.rcc_trials import (MORSE_SETTINGS, PORT_MORSE_SETTINGS,  # noqa: E402
                                          rcc_data)
from structlearn.cascor import RecurrentCascadeCorrelation  # noqa: E402
from structlearn.datasets_sequences import encode_reber, morse  # noqa: E402


def unit_kind(w_s, activation):
    """flip-flop, oscillator or gate, from the loop gain ``w_s f'(0)``."""
    a = get_activation(activation)
    z = np.zeros(1)
    gain = w_s * float(a.df(z, a.f(z.copy()))[0])
    return "flip-flop" if gain > 1 else "oscillator" if gain < -1 else "gate"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--task", default="reber", choices=["reber", "embedded_reber", "morse"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--settings", default="morse", choices=["morse", "port"],
                    help="Morse only: MORSE_SETTINGS (default) or PORT_MORSE_SETTINGS")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    X, y, *_ = rcc_data(args.task, args.seed)
    params = {} if args.task != "morse" else \
        MORSE_SETTINGS if args.settings == "morse" else PORT_MORSE_SETTINGS
    model = RecurrentCascadeCorrelation(max_hidden_units=30, rng=args.seed, **params).fit(X, y)
    net = model.network_
    if args.task == "morse":
        shown = ["V", "Q", "E"]
        seqs, labels = morse("".join(shown))[0], []
        for x in seqs:
            labels.append(["1" if v > 0 else "0" for v in x[:, 0]])    # logical 1 / 0 (+-0.5)
    else:
        shown = ["BTSSXXVPSE", "BPVVE"] if args.task == "reber" else \
            ["BTBTSSXXVPSETE", "BPBPVVEPE"]
        seqs = encode_reber(shown, embedded=args.task == "embedded_reber")[0]
        labels = [list(s[:-1]) for s in shown]
    units = [(k, j) for k, blk in enumerate(net.blocks[:-1]) for j in range(blk.width)]
    fig, axes = plt.subplots(1, len(seqs), figsize=(4.2 * len(seqs), 3.2), sharey=True,
                             squeeze=False)
    for ax, x, lab, name in zip(axes[0], seqs, labels, shown):
        nodes = net.forward([x], return_nodes=True)
        for n, (k, j) in enumerate(units):
            blk = net.blocks[k]
            w_s = float(blk.recurrent[j]) if blk.recurrent is not None else 0.0
            ax.plot(nodes[k + 1][:, j], marker="o", ms=3,
                    label=f"unit {n + 1}: w_s={w_s:+.1f} ({unit_kind(w_s, blk.activation)})")
        ax.set_xticks(range(len(lab)))
        ax.set_xticklabels(lab, fontsize=7)
        ax.set_title(f"input {name}", fontsize=9)
        ax.axhline(0, color="0.8", lw=0.5)
        ax.set_xlabel("time step (input)")
    axes[0][0].set_ylabel("hidden unit value")
    axes[0][-1].legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.suptitle(f"Recurrent Cascade-Correlation, {args.task} (seed {args.seed}): "
                 f"{net.n_hidden_units} units, {model.n_epochs_} epochs", fontsize=10)
    fig.tight_layout()
    out = args.out or f"docs/figures/rcc_states_{args.task}.png"
    fig.savefig(out, dpi=110, bbox_inches="tight")
    print(out)
    for n, (k, j) in enumerate(units):
        blk = net.blocks[k]
        w_s = float(blk.recurrent[j]) if blk.recurrent is not None else 0.0
        print(f"unit {n + 1}: block {k}, w_s = {w_s:+.2f}, {unit_kind(w_s, blk.activation)}")


if __name__ == "__main__":
    main()
