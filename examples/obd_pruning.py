# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---
# %% [markdown]
# # Optimal Brain Damage next to magnitude pruning
#
# LeCun, Denker & Solla (1990) delete the weights whose removal the second-order
# estimate `s_k = h_kk w_k^2 / 2` says costs least, retrain, and repeat. The
# obvious baseline deletes the smallest `|w|` instead. Both run here on exactly
# the same trained network and schedule (two spirals, a 2-20-20-1 tanh MLP);
# the figure is test accuracy against the weights left.
#
# Run: `python examples/obd_pruning.py [--quick] [--out DIR]`
# (or `STRUCTLEARN_QUICK=1`); writes `obd_pruning.png`.

# %%
import sys

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # no display needed when run as a script
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from structlearn.bench.data import load_bench_data  # noqa: E402
from structlearn.network import Network  # noqa: E402
from structlearn.obd import OptimalBrainDamage  # noqa: E402
from structlearn.optim import Adam  # noqa: E402
from structlearn.plotting import plot_pruning_curves  # noqa: E402
from structlearn.train import train  # noqa: E402
from structlearn.plotting import example_options  # noqa: E402

QUICK, OUT = example_options("OBD next to magnitude pruning", globals().get("__file__"))

# %% [markdown]
# Train the network once (the settings of `structlearn/bench/obd_trials.py`).

# %%
data = load_bench_data("two_spirals", 0)
X, y, Xt, yt = data.X_train, data.y_train, data.X_test, data.y_test
rng = np.random.default_rng(0)
net = Network.mlp([2, 20, 20, 1], hidden="tanh", output="sigmoid", rng=rng)
train(net, X, y, loss="sigmoid_cross_entropy", optimizer=Adam(lr=0.02),
      epochs=300 if QUICK else 2500, rng=rng, progress=False)
print(f"trained: {net.n_active_weights} parameters, "
      f"train acc {(net.predict_classes(X) == y).mean():.3f}, "
      f"test acc {(net.predict_classes(Xt) == yt).mean():.3f}")

# %% [markdown]
# Prune a copy with each criterion, 20% of the remaining weights per round,
# retraining after each round; a callback records the test accuracy.

# %%
curves = {}
for criterion in ("obd", "magnitude"):
    n0 = None
    left, acc = [], []

    def record(rnd, network, info):
        left.append(info["weights_left"])
        acc.append((network.predict_classes(Xt) == yt).mean())
        return False

    m = OptimalBrainDamage(criterion=criterion, target_fraction=0.3 if QUICK else 0.08,
                           prune_fraction=0.2, retrain_epochs=20 if QUICK else 200,
                           loss="sigmoid_cross_entropy", optimizer=Adam(lr=0.01),
                           callbacks=[record], rng=1).fit(X, y, network=net)
    left.insert(0, m.initial_weights_)
    acc.insert(0, (net.predict_classes(Xt) == yt).mean())
    curves["OBD (saliency)" if criterion == "obd" else "magnitude"] = (np.array(left),
                                                                       np.array(acc))
    # the estimator's own score: the pruned network's accuracy on the test points
    print(f"{criterion:9s}: {m.weights_left_} of {m.initial_weights_} weights left, "
          f"test acc {m.score(Xt, yt):.3f}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4.5))
plot_pruning_curves(curves, ax=ax, logx=True, xlabel="weights left (log scale)",
                    title="Two spirals, 2-20-20-1 MLP: prune 20% per round, retrain")
fig.tight_layout()
path = OUT / "obd_pruning.png"
fig.savefig(path, dpi=110)
print("wrote", path)
