# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---
# %% [markdown]
# # Dynamic node creation: the growth curve
#
# Ash (1989) starts a one-hidden-layer network with one unit and trains all of
# it by back-propagation (`fit(X, y, network=net)` grows a network you give it
# instead). When the error has stopped falling (by less than
# `trigger` = 5% of the error the current size started from, over a window of
# `window` = 1000 epochs), one more unit with small random weights is added.
# Training stops when the mean and the largest squared errors are small enough.
# The figure shows the error and the number of hidden units against epochs on
# 4-bit parity.
#
# Run: `python examples/dnc_growth.py [--quick] [--out DIR]`
# (or `STRUCTLEARN_QUICK=1`); writes `dnc_growth.png`.

# %%
import sys

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # no display needed when run as a script
import matplotlib.pyplot as plt  # noqa: E402

from structlearn import datasets  # noqa: E402
from structlearn.dnc import DynamicNodeCreation  # noqa: E402
from structlearn.plotting import example_options  # noqa: E402

QUICK, OUT = example_options("Dynamic node creation: the growth curve", globals().get("__file__"))

# %% [markdown]
# Ash's settings (the quick run shortens the window so growth shows within a
# few hundred epochs).

# %%
X, y = datasets.parity(4)
params = dict(window=100, max_epochs=800) if QUICK else {}
dnc = DynamicNodeCreation(rng=0, **params).fit(X, y)
h = dnc.history_
added = [e["epoch"] for e in h.events_of("unit_added")]
print(f"{dnc.network_.n_hidden_units} hidden units after {dnc.n_epochs_} epochs, "
      f"stop: {dnc.stop_reason_}; units added at epochs {added}")
# predict gives the parity bits back as labels; decision_function the raw sigmoid outputs
print(f"training accuracy {dnc.score(X, y):.3f}; outputs for the first patterns: "
      f"{dnc.decision_function(X[:4]).ravel().round(3)}")

# %%
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(6.5, 5.5), sharex=True,
                               gridspec_kw=dict(height_ratios=[2, 1]))
ax1.plot(h.column("epoch"), h.column("loss"))
ax1.set_yscale("log")
ax1.set_ylabel("training loss (mse)")
ax1.set_title("Dynamic node creation on 4-bit parity")
ax2.step(h.column("epoch"), h.column("units"), where="post", color="C1")
ax2.set_ylabel("hidden units")
ax2.set_xlabel("epoch")
for ax in (ax1, ax2):
    for t in added:
        ax.axvline(t, color="0.75", ls=":", lw=1)
fig.tight_layout()
path = OUT / "dnc_growth.png"
fig.savefig(path, dpi=110)
print("wrote", path)
