# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---
# %% [markdown]
# # Four ways to choose a network's size, on the two spirals
#
# * **Cascade-correlation** (Fahlman & Lebiere 1990): grows frozen units, one per layer.
# * **Dynamic node creation** (Ash 1989): grows one hidden layer, training all of it.
# * **Optimal Brain Damage** (LeCun et al. 1990): trains a big MLP, then deletes
#   the weights with the lowest saliency.
# * **Net2Net** (Chen et al. 2016): trains a small MLP, widens it without
#   changing its function, trains on.
#
# Each panel is the final decision boundary with training and test accuracy
# (the test set is the shifted-points two-spirals set), the size, and the time.
# One seed each, modest budgets: a picture for a lecture, not a benchmark (see
# `docs/benchmarks.md` for those).
#
# Run: `python examples/compare.py [--quick] [--out DIR]`
# (or `STRUCTLEARN_QUICK=1`); writes `compare.png`.

# %%
import sys
import time

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # no display needed when run as a script
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from structlearn.bench.data import load_bench_data  # noqa: E402
from structlearn.cascor import CascadeCorrelation  # noqa: E402
from structlearn.dnc import DynamicNodeCreation  # noqa: E402
from structlearn.net2net import widen_to  # noqa: E402
from structlearn.network import Network  # noqa: E402
from structlearn.obd import OptimalBrainDamage  # noqa: E402
from structlearn.optim import Adam  # noqa: E402
from structlearn.plotting import plot_decision_boundary  # noqa: E402
from structlearn.train import evaluate, train  # noqa: E402
from structlearn.plotting import example_options  # noqa: E402

QUICK, OUT = example_options("Compare the algorithms on the two spirals", globals().get("__file__"))

data = load_bench_data("two_spirals", 0)
X, y, Xt, yt = data.X_train, data.y_train, data.X_test, data.y_test
LOSS = "sigmoid_cross_entropy"


def timed(fn):
    start = time.perf_counter()
    net = fn()
    return net, time.perf_counter() - start


# %% [markdown]
# The four runs; each returns its final network.

# %%
def cascor():
    return CascadeCorrelation(max_hidden_units=5 if QUICK else 50, rng=0).fit(X, y).network_


def dnc():
    params = (dict(window=50, max_epochs=300) if QUICK
              else dict(window=500, max_epochs=20_000, learning_rate=0.05))
    return DynamicNodeCreation(rng=0, **params).fit(X, y).network_


def obd():
    return OptimalBrainDamage(hidden_layer_sizes=(20, 20), activation="tanh",
                              epochs=200 if QUICK else 2500, optimizer=Adam(lr=0.02),
                              loss=LOSS, target_fraction=0.35, retrain_epochs=20 if QUICK else 200,
                              rng=0).fit(X, y).network_


def net2net():
    rng = np.random.default_rng(0)
    net = Network.mlp([2, 10, 10, 1], hidden="tanh", output="sigmoid", rng=rng)
    epochs = 100 if QUICK else 1500
    train(net, X, y, loss=LOSS, optimizer=Adam(lr=0.01), epochs=epochs, rng=rng, progress=False)
    net = widen_to(net, {0: 24, 1: 24}, noise=0.01, rng=rng)
    train(net, X, y, loss=LOSS, optimizer=Adam(lr=0.003), epochs=epochs, rng=rng, progress=False)
    return net


runs = {"cascade-correlation": cascor, "dynamic node creation": dnc,
        "OBD-pruned MLP": obd, "Net2Net-widened MLP": net2net}
results = {name: timed(fn) for name, fn in runs.items()}


def accuracy(net, X, y):
    """The decoded class's accuracy: the number every estimator's score and the harness give."""
    return evaluate(net, X, y)["accuracy"]


for name, (net, secs) in results.items():
    print(f"{name:22s} train {accuracy(net, X, y):.3f} test {accuracy(net, Xt, yt):.3f} "
          f"units {net.n_hidden_units:3d} parameters {net.n_active_weights:4d} {secs:6.1f} s")

# %%
fig, axes = plt.subplots(1, 4, figsize=(16, 5.7))
for ax, (name, (net, secs)) in zip(axes, results.items()):
    tr, te = accuracy(net, X, y), accuracy(net, Xt, yt)
    plot_decision_boundary(net, X, y, ax=ax, resolution=60 if QUICK else 150,
                           title=f"{name}\ntrain {tr:.0%}, test {te:.0%}\n"
                                 f"{net.n_hidden_units} units, {net.n_active_weights} parameters")
fig.suptitle("Two spirals: one seed each" + (" (quick budget)" if QUICK else ""))
fig.tight_layout()
path = OUT / "compare.png"
fig.savefig(path, dpi=100)
print("wrote", path)
