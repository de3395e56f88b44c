# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---
# %% [markdown]
# # Net2Net: warm-started growth against training from scratch
#
# Chen, Goodfellow & Shlens (2016) grow a trained network without changing its
# function: Net2WiderNet copies units and splits their outgoing weights,
# Net2DeeperNet inserts an identity layer. The bigger student starts where the
# teacher stopped. Here a 2-10-10-1 tanh teacher learns the two spirals, is
# widened to 2-24-24-1 (with a little noise to break the symmetry of the copies)
# and trains on; the same 2-24-24-1 network trained from random weights is the
# baseline. Both curves are on one axis of total epochs, the student's including
# its teacher's.
#
# Run: `python examples/net2net_growth.py [--quick] [--out DIR]`
# (or `STRUCTLEARN_QUICK=1`); writes `net2net_growth.png`.

# %%
import sys

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # no display needed when run as a script
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from structlearn import datasets  # noqa: E402
from structlearn.net2net import deeper, widen_to  # noqa: E402
from structlearn.network import Network  # noqa: E402
from structlearn.optim import Adam  # noqa: E402
from structlearn.train import train  # noqa: E402
from structlearn.plotting import example_options  # noqa: E402

QUICK, OUT = example_options("Net2Net warm start against from scratch", globals().get("__file__"))
TEACHER_EPOCHS, STUDENT_EPOCHS = (100, 100) if QUICK else (1500, 1500)
LOSS = "sigmoid_cross_entropy"
STUDENT_LR = 0.003  # lower than the teacher's 0.01 (the paper lowers it too): no loss spike

# %% [markdown]
# The teacher.

# %%
X, y = datasets.two_spirals()
rng = np.random.default_rng(0)
teacher = Network.mlp([2, 10, 10, 1], hidden="tanh", output="sigmoid", rng=rng)
h_teacher = train(teacher, X, y, loss=LOSS, optimizer=Adam(lr=0.01), epochs=TEACHER_EPOCHS,
                  rng=rng, progress=False)

# %% [markdown]
# Grow it: wider (both hidden layers to 24 units), and, for comparison, deeper
# (an identity layer after the second hidden layer; a *linear* one, since the
# paper's identity block is exact only when f(f(x)) = f(x), which tanh is not).
# Without noise both are exactly function preserving; we check it.

# %%
exact = widen_to(teacher, {0: 24, 1: 24}, rng=1)
print("wider, no noise: max output change",
      float(np.abs(exact.forward(X) - teacher.forward(X)).max()))
deep = deeper(teacher, 1, method="linear")
print("deeper (linear identity): max output change",
      float(np.abs(deep.forward(X) - teacher.forward(X)).max()))
student = widen_to(teacher, {0: 24, 1: 24}, noise=0.01, rng=1)

# %% [markdown]
# Train the student on, and the same architecture from scratch for the
# teacher's and the student's epochs together.

# %%
h_student = train(student, X, y, loss=LOSS, optimizer=Adam(lr=STUDENT_LR), epochs=STUDENT_EPOCHS,
                  rng=rng, progress=False, epoch_offset=TEACHER_EPOCHS)
scratch = Network.mlp([2, 24, 24, 1], hidden="tanh", output="sigmoid", rng=rng)
h_scratch = train(scratch, X, y, loss=LOSS, optimizer=Adam(lr=0.01),
                  epochs=TEACHER_EPOCHS + STUDENT_EPOCHS, rng=rng, progress=False)
for name, net in (("teacher", teacher), ("net2net student", student), ("scratch", scratch)):
    print(f"{name:16s} train acc {(net.predict_classes(X) == y).mean():.3f}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4.5))
ax.plot(h_teacher.column("epoch"), h_teacher.column("loss"), label="teacher 2-10-10-1",
        color="0.5")
ax.plot(h_student.column("epoch"), h_student.column("loss"), label="Net2Net student 2-24-24-1")
ax.plot(h_scratch.column("epoch"), h_scratch.column("loss"), label="from scratch 2-24-24-1")
ax.axvline(TEACHER_EPOCHS, color="0.7", ls=":", lw=1)
ax.set_yscale("log")
ax.set_xlabel("epoch (the student's count includes its teacher's)")
ax.set_ylabel("training loss (cross-entropy)")
ax.set_title("Two spirals: warm-started growth against from scratch")
ax.legend()
fig.tight_layout()
path = OUT / "net2net_growth.png"
fig.savefig(path, dpi=110)
print("wrote", path)
