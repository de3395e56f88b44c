# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---
# %% [markdown]
# # Bring your own PyTorch model: prune it with OBD, widen it with Net2Net, hand it back
#
# A PyTorch MLP is trained in PyTorch on the two spirals. `from_torch` turns it into a
# structlearn `Network`; Optimal Brain Damage (LeCun, Denker & Solla 1990) prunes it; Net2Net's
# `wider` (Chen, Goodfellow & Shlens 2016) gives the pruned hidden layers new units; `to_torch`
# hands it back as an `nn.Sequential` whose masks keep the pruned weights at exactly 0 while it
# is fine-tuned in PyTorch. Next to it, the original model simply trains on for the same number
# of steps.
#
# Run: `python examples/torch_roundtrip.py [--quick] [--out DIR]`
# (or `STRUCTLEARN_QUICK=1`); writes `torch_roundtrip.png`. Needs PyTorch:
# `pip install "structlearn[torch]"`.

# %%
import copy
import sys

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # no display needed when run as a script
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from structlearn.bench.data import load_bench_data  # noqa: E402
from structlearn.net2net import wider  # noqa: E402
from structlearn.obd import OptimalBrainDamage  # noqa: E402
from structlearn.optim import Adam  # noqa: E402
from structlearn.plotting import example_options, plot_decision_boundary  # noqa: E402
from structlearn.torch_interop import StructlearnLinear, from_torch, to_torch  # noqa: E402

QUICK, OUT = example_options("A PyTorch MLP pruned with OBD, widened with Net2Net, handed back",
                             globals().get("__file__"))
torch.manual_seed(0)

# %% [markdown]
# ## 1. A model trained in PyTorch
#
# A 2-24-24-1 tanh MLP with a sigmoid output, in float32 as PyTorch builds it, trained with
# Adam on the binary cross-entropy.

# %%
data = load_bench_data("two_spirals", 0)
X, y, Xt, yt = data.X_train, data.y_train, data.X_test, data.y_test
X_torch = torch.as_tensor(X, dtype=torch.float32)
T_torch = torch.as_tensor(y, dtype=torch.float32)[:, None]


def fit_torch(model, steps, lr):
    """Full-batch Adam on the cross-entropy, on the parameters that require a gradient."""
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    loss_fn = nn.BCELoss()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(X_torch), T_torch).backward()
        opt.step()
    return model


def accuracy(model, X_, y_):
    with torch.no_grad():
        out = model(torch.as_tensor(X_, dtype=torch.float32))[:, 0].numpy()
    return float(((out > 0.5) == y_).mean())


def weights(model):
    """Active weights and biases (a mask's zeros do not count)."""
    return from_torch(model).n_active_weights


model = nn.Sequential(nn.Linear(2, 24), nn.Tanh(), nn.Linear(24, 24), nn.Tanh(),
                      nn.Linear(24, 1), nn.Sigmoid())
fit_torch(model, 400 if QUICK else 3000, lr=0.01)
stages = [("trained in torch", weights(model), accuracy(model, X, y), accuracy(model, Xt, yt))]
print(f"torch model: train acc {stages[0][2]:.3f}, test acc {stages[0][3]:.3f}")

# %% [markdown]
# ## 2. Into structlearn, pruned with Optimal Brain Damage
#
# `from_torch` gives a float32 `Network` computing the same function. OBD (saliency
# `h_kk w_k^2 / 2`) deletes 20% of the remaining weights per round, retraining in structlearn
# after each, until a quarter of them are left; hidden units left with no inputs or no outputs
# are removed.

# %%
net = from_torch(model)
with torch.no_grad():
    gap = np.abs(model(X_torch).numpy() - net.forward(X)).max()
print(f"from_torch: {net!r}, max |torch - structlearn| = {gap:.1e}")

obd = OptimalBrainDamage(target_fraction=0.5 if QUICK else 0.25, prune_fraction=0.2,
                         retrain_epochs=20 if QUICK else 150, loss="sigmoid_cross_entropy",
                         optimizer=Adam(lr=0.005), rng=1).fit(X, y, network=net)
pruned = obd.network_
stages.append(("pruned (OBD)", pruned.n_active_weights, obd.score(X, y), obd.score(Xt, yt)))
print(f"OBD: {obd.n_rounds_} rounds, {pruned.n_active_weights} of {net.n_active_weights} "
      f"weights left, hidden widths {[b.width for b in pruned.blocks[:-1]]}, "
      f"test acc {stages[-1][3]:.3f}")

# %% [markdown]
# ## 3. Widened with Net2Net
#
# OBD removed hidden units; Net2WiderNet grows every hidden block back to its original width
# from the units that survived. Each new unit copies a survivor's incoming weights and its mask
# (what was pruned stays pruned) and shares its outgoing weights with it; a little noise on the
# copies lets them learn something different from their originals when training resumes.

# %%
original_widths = [b.width for b in net.blocks[:-1]]
wide = pruned
for block, width in enumerate(original_widths):
    wide = wider(wide, block, max(width, wide.blocks[block].width), noise=0.01, rng=2 + block)
print(f"wider: hidden widths {[b.width for b in wide.blocks[:-1]]}, "
      f"{wide.n_active_weights} weights, output change from the noise "
      f"{np.abs(wide.forward(X) - pruned.forward(X)).max():.1e}")
stages.append(("widened (Net2Net)", wide.n_active_weights,
               float((wide.predict_classes(X) == y).mean()),
               float((wide.predict_classes(Xt) == yt).mean())))

# %% [markdown]
# ## 4. Handed back to PyTorch and fine-tuned there
#
# `to_torch` gives an `nn.Sequential` of `StructlearnLinear` (an `nn.Linear` that multiplies its
# weight by a mask buffer in forward) and activation modules. Fine-tuning uses a plain
# `torch.optim.Adam`; the pruned weights get zero gradients and stay exactly 0.

# %%
student = to_torch(wide)
print(student)
with torch.no_grad():
    gap = np.abs(student(X_torch).numpy() - wide.forward(X)).max()
print(f"to_torch: max |torch - structlearn| = {gap:.1e}")

tune_steps = 100 if QUICK else 1000
fit_torch(student, tune_steps, lr=0.003)
held = all(not layer.weight[~layer.mask].any() for layer in student.modules()
           if isinstance(layer, StructlearnLinear) and layer.mask is not None)
print(f"masks held: {held}")
stages.append(("fine-tuned in torch", weights(student), accuracy(student, X, y),
               accuracy(student, Xt, yt)))

# the comparison: the original model trains on for the same number of steps
baseline = fit_torch(copy.deepcopy(model), tune_steps, lr=0.003)
stages.append(("original, trained on", weights(baseline), accuracy(baseline, X, y),
               accuracy(baseline, Xt, yt)))

print(f"\n{'stage':<22} {'weights':>8} {'train acc':>10} {'test acc':>9}")
for name, n, acc_train, acc_test in stages:
    print(f"{name:<22} {n:>8} {acc_train:>10.3f} {acc_test:>9.3f}")

# %% [markdown]
# ## The figure
#
# The class regions of the model trained in PyTorch and of the pruned, widened and fine-tuned
# one (both read back with `from_torch` to draw them), and each stage's test accuracy with its
# number of active weights.

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), layout="constrained")
plot_decision_boundary(from_torch(model), Xt, yt, ax=axes[0],
                       title=f"trained in torch: {stages[0][1]} weights")
plot_decision_boundary(from_torch(student), Xt, yt, ax=axes[1],
                       title=f"pruned, widened, fine-tuned: {stages[3][1]} weights")
names = [s[0] for s in stages]
accs = [s[3] for s in stages]
colors = ["tab:gray", "tab:red", "tab:orange", "tab:green", "tab:blue"]
bars = axes[2].barh(range(len(stages)), accs, color=colors)
for bar, (_, n, _, acc) in zip(bars, stages):
    axes[2].text(bar.get_width() - 0.01, bar.get_y() + bar.get_height() / 2,
                 f"{acc:.3f}  ({n} weights)", ha="right", va="center", color="white",
                 fontsize=9)
axes[2].set_yticks(range(len(stages)), names)
axes[2].invert_yaxis()
axes[2].set_xlim(0.5, 1)
axes[2].set_xlabel("test accuracy (shifted two-spirals points; axis from 0.5)")
axes[2].set_title("each stage")
path = OUT / "torch_roundtrip.png"
fig.savefig(path, dpi=110)
print("wrote", path)
