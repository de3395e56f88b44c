"""Benchmark trials of the Net2Net warm-started search (algorithm ``net2net``).

* quick: XOR, a 2-2-1 tanh teacher grown to 4, 8 and 4-4 hidden units,
  warm-started against from scratch, random padding and the teacher training
  on (about a second per seed); two-spirals, a 10-10 teacher grown to 20-20,
  30-30 and 20-20-20 (about 10 s per seed).
* full: the experiment of the blog post accompanying DanielSlater/Net2Net:
  a 784-100-100-10 ReLU teacher on MNIST (Fashion-MNIST from the local IDX
  files when MNIST cannot be loaded; the row's ``dataset_source`` says which),
  students of 150 and 200 units per layer and the same with a third layer,
  Adam, batch 128, float32.

The row is the standard one for the best Net2Net student (chosen on the
validation split), plus the search summary: ``S`` (cost saving, see
:mod:`structlearn.net2net.search`), ``same_pick`` and per-method accuracies.
``success`` ("solved") means what it means in every row: every training pattern right.
The search's own target, a saving S >= 2 with every size reached, is the column
``S_target_met`` (and ``criterion_met``).
"""
from __future__ import annotations

import numpy as np

from ..net2net import Net2NetSearch
from .data import load_bench_data
from .registry import register_trial, trial_result

PRESETS = {
    "xor": dict(teacher_sizes=(2,), candidates=[(4,), (8,), (4, 4)], hidden="tanh",
                output="sigmoid", lr=0.05, student_lr_factor=1.0, teacher_epochs=100,
                epochs=200, scratch_epochs=300, batch_size=4, deeper_method="shortcut",
                dtype=np.float64),
    "two_spirals": dict(teacher_sizes=(10, 10), candidates=[(20, 20), (30, 30), (20, 20, 20)],
                        hidden="tanh", output="sigmoid", lr=0.01, student_lr_factor=1.0,
                        teacher_epochs=1000, epochs=1000, scratch_epochs=2000, batch_size=194,
                        deeper_method="shortcut", dtype=np.float64),
    # DanielSlater/Net2Net's blog experiment: 15 teacher epochs, 15 per student
    "digits": dict(teacher_sizes=(100, 100), candidates=None, hidden="relu", output="softmax",
                   lr=1e-3, student_lr_factor=0.1, teacher_epochs=15, epochs=15,
                   scratch_epochs=30, batch_size=128, dtype=np.float32),
}


def _preset(dataset):
    if dataset in ("xor", "two_spirals"):
        return dataset
    return "digits"


@register_trial("net2net", datasets=["xor", "two_spirals", "mnist", "fashion_mnist",
                                     "mnist_small", "fashion_mnist_small"],
                suites={"quick": [(dict(), "xor", 3), (dict(), "two_spirals", 3)],
                        "full": [(dict(), "two_spirals", 3), (dict(), "mnist", 3),
                                 (dict(), "fashion_mnist", 3)]},
                description="Net2Net warm-started size search vs scratch, random padding, teacher")
def net2net_trial(dataset, seed, **params):
    """One Net2Net search; ``params`` override the data set's preset."""
    data = load_bench_data(dataset, seed)
    options = dict(PRESETS[_preset(dataset)])
    options.update(params)
    search = Net2NetSearch(rng=seed, **options)
    if data.X_test is data.X_train or _preset(dataset) != "digits":
        # Boolean tasks and two-spirals ask whether the net fits the training
        # set: the training set is the validation set, as in the papers.
        search.fit(data.X_train, data.y_train, validation=(data.X_train, data.y_train),
                   test=(data.X_test, data.y_test))
    else:
        search.fit(data.X_train, data.y_train, test=(data.X_test, data.y_test))
    s = search.summary_
    extra = dict(S=s.get("S"), S_is_upper_bound=s.get("S_is_upper_bound"),
                 pick_net2net=s.get("pick_net2net"), pick_scratch=s.get("pick_scratch"),
                 same_pick=s.get("same_pick"),
                 teacher_at_growth_val_accuracy=s["teacher_final_val_accuracy"],
                 dataset_source=data.info.get("dataset_source", dataset))
    if s.get("pick_net2net") is not None:
        # the history holds every run of the search; the report's curves follow the one
        # that made the saved network: the teacher, then the picked Net2Net student
        extra["curve_phases"] = ["teacher", f"net2net {s['pick_net2net']}"]
    for r in search.results_:
        key = f"{r['method']}_{r['arch']}"
        extra[f"{key}_val_accuracy"] = r["final_val_accuracy"]
        if "test_accuracy" in r:
            extra[f"{key}_test_accuracy"] = r["test_accuracy"]
        extra[f"{key}_epochs_to_scratch_final"] = r.get("epochs_to_scratch_final")
    extra["S_target_met"] = bool(s.get("S") is not None and s["S"] >= 2
                                 and not s["S_is_upper_bound"])
    return trial_result(search.network_, search.history_, data=data,
                        success=extra["S_target_met"], **extra)
