"""benchmarks/obd_cascade.py: the label-noise option and a tiny run of the script."""
import json

import numpy as np
import pytest

from helpers import benchmark_script


@pytest.fixture(scope="module")
def bench():
    return benchmark_script("obd_cascade")


@pytest.mark.parametrize("n_classes", [2, 10])
def test_flip_labels_changes_exactly_the_stated_fraction(bench, n_classes):
    y = np.arange(194) % n_classes
    noisy, idx = bench.flip_labels(y, 0.1, np.random.default_rng(0))
    assert len(idx) == 19 == len(set(idx.tolist()))
    changed = np.flatnonzero(noisy != y)
    assert changed.tolist() == idx.tolist()  # every drawn label changes, no other does
    assert set(noisy.tolist()) <= set(y.tolist())
    again, idx2 = bench.flip_labels(y, 0.1, np.random.default_rng(0))
    assert np.array_equal(again, noisy) and np.array_equal(idx, idx2)  # a fixed draw


def test_label_noise_leaves_the_test_labels_alone(bench):
    d = bench._two_spirals(with_validation=True)
    y_test, y_train, y_val = d.y_test.copy(), d.y_train.copy(), d.y_val.copy()
    bench.add_label_noise(d, 0.1)
    assert np.array_equal(d.y_test, y_test)
    assert np.sum(d.y_train != y_train) == round(0.1 * len(y_train))
    assert np.sum(d.y_val != y_val) == round(0.1 * len(y_val))  # validation noisy like training
    assert np.array_equal(d.y_train_true, y_train)


def test_tiny_noisy_run_with_control_writes_json(bench, tmp_path):
    out = tmp_path / "run.json"
    bench.main(["--seeds", "1", "--label-noise", "0.1", "--max-units", "3", "--target", "0.8",
                "--prune-fraction", "0.15", "--retrain-epochs", "20", "--retrain-patience", "3",
                "--methods", "magnitude", "--control", "--json", str(out)])
    run = json.loads(out.read_text())
    row = run["rows"][0]
    assert len(run["flipped_train"]) == 19 and len(run["flipped_val"]) == round(0.1 * 384)
    assert row["magnitude"]["weights_left"] <= np.ceil(0.8 * row["weights"])
    ctl = row["unpruned, retrained"]
    assert ctl["weights_left"] == row["weights"]
    assert ctl["rounds"] == len(row["magnitude"]["path"]) - 1 >= 1
