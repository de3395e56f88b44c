# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---
# %% [markdown]
# # Cascade-correlation on the two spirals
#
# Fahlman & Lebiere (1990) grow a network one hidden unit at a time: the output
# weights learn, then a pool of candidate units learns to correlate with the
# remaining error, the best candidate is frozen in place as a new layer, and the
# outputs learn again. The two-spirals problem (Lang & Witbrock 1988) needs about
# 12-15 such units. This example shows the decision boundary as the units are added.
#
# Run: `python examples/cascor_two_spirals.py [--quick] [--out DIR]`
# (or `STRUCTLEARN_QUICK=1`); writes `cascor_two_spirals.png`.

# %%
import sys

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # no display needed when run as a script
import matplotlib.pyplot as plt  # noqa: E402

from structlearn import datasets, evaluate  # noqa: E402
from structlearn.cascor import CascadeCorrelation  # noqa: E402
from structlearn.plotting import plot_decision_boundary  # noqa: E402
from structlearn.plotting import example_options  # noqa: E402

QUICK, OUT = example_options("Cascade-correlation on the two spirals", globals().get("__file__"))

# %% [markdown]
# Fit with Fahlman's defaults; `snapshots=True` keeps a copy of the network after
# every output phase, i.e. once per number of hidden units.

# %%
X, y = datasets.two_spirals()
model = CascadeCorrelation(max_hidden_units=4 if QUICK else 50, snapshots=True, rng=0).fit(X, y)
print(f"solved: {model.success_}, hidden units: {model.hidden_units_}, "
      f"epochs: {model.n_epochs_}, stop: {model.stop_reason_}, "
      f"train accuracy: {model.score(X, y):.0%}")

# %% [markdown]
# Six snapshots, evenly spaced from no hidden unit to the final network. A snapshot is a
# bare `Network`; `evaluate(..., targets=model.target_info_)` scores its outputs the way
# `model.score` does (`model.predict` gives labels, `model.decision_function` raw outputs).

# %%
snaps = model.snapshots_
picks = sorted({round(i * (len(snaps) - 1) / 5) for i in range(6)})
fig, axes = plt.subplots(2, 3, figsize=(10, 6.8))
for ax in axes.flat[len(picks):]:
    ax.axis("off")
for ax, i in zip(axes.flat, picks):
    units, net = snaps[i]
    acc = evaluate(net, X, y, targets=model.target_info_)["accuracy"]
    plot_decision_boundary(net, X, y, ax=ax, resolution=60 if QUICK else 150,
                           title=f"{units} hidden units, train acc {acc:.0%}")
fig.suptitle("Cascade-correlation on the two spirals: the boundary as units are added")
fig.tight_layout()
path = OUT / "cascor_two_spirals.png"
fig.savefig(path, dpi=110)
print("wrote", path)
