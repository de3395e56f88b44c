"""Benchmark truth: every accuracy in a row is the contract's, on the saved network.

Runs every registered algorithm on every data set of the ``quick`` suite (seed 0), then, for
each row, loads ``networks/<trial_id>.npz`` and the same data and checks that the row's
train/test accuracy is :func:`structlearn.evaluate`'s (with the row's recorded target
encoding: the estimator's ``score``), and that "solved" means every training pattern right.
"""
import os

import numpy as np
import pytest

from structlearn import evaluate
from structlearn.bench.data import load_bench_data
from structlearn.bench.registry import targets_from_json, trial_result
from structlearn.bench.runner import read_results, run_suite
from structlearn.bench.suites import build_suite
from structlearn.history import History
from structlearn.network import Network


@pytest.fixture(scope="module")
def quick_rows(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("quick"))
    specs = build_suite("quick", seeds="1")
    summary = run_suite(specs, out, jobs=2, progress=False)
    assert summary.errors == 0, [r.get("error") for r in read_results(out)
                                 if r["status"] != "ok"]
    return out, specs, read_results(out)


def test_every_quick_pair_ran(quick_rows):
    out, specs, rows = quick_rows
    pairs = {(s.algorithm, s.dataset) for s in specs}
    assert {(r["algorithm"], r["dataset"]) for r in rows if r["status"] == "ok"} == pairs
    # like with like: every algorithm of quick on every data set quick lists
    algos = {a for a, _ in pairs}
    datasets = {d for _, d in pairs}
    assert pairs == {(a, d) for a in algos for d in datasets}


def test_row_accuracy_is_evaluate_on_saved_network(quick_rows):
    out, _, rows = quick_rows
    checked = 0
    for row in rows:
        assert row["network"], f"{row['algorithm']} {row['dataset']}: no saved network"
        net = Network.load(os.path.join(out, row["network"]))
        data = load_bench_data(row["dataset"], row["seed"])
        info = targets_from_json(row.get("targets"))
        train = evaluate(net, data.X_train, data.y_train, targets=info)
        test = evaluate(net, data.X_test, data.y_test, targets=info)
        where = f"{row['algorithm']} on {row['dataset']}"
        assert row["train_accuracy"] == train["accuracy"], where
        assert row["test_accuracy"] == test["accuracy"], where
        assert row["accuracy_kind"] == train["accuracy_kind"], where
        # one meaning of "solved" in every row
        assert row["success"] == (train["accuracy"] == 1.0), where
        checked += 1
    assert checked == len(rows)


def test_algorithm_criteria_are_columns_of_their_own(quick_rows):
    _, _, rows = quick_rows
    n2n = [r for r in rows if r["algorithm"] == "net2net"]
    assert n2n and all("S_target_met" in r and "criterion_met" in r for r in n2n)
    for r in n2n:  # net2net's "solved" is not its saving target any more
        assert r["success"] == (r["train_accuracy"] == 1.0)


def test_trial_result_refuses_a_second_scorer():
    net = Network.mlp([2, 3, 1], rng=0)
    data = load_bench_data("xor")
    row, _ = trial_result(net, History(), data=data)
    wrong = 1.0 - row["train_accuracy"] if row["train_accuracy"] != 0.5 else 0.25
    with pytest.raises(ValueError, match="train_accuracy"):
        trial_result(net, History(), data=data, train_accuracy=wrong)
    # the algorithm's criterion never replaces "solved"
    row, _ = trial_result(net, History(), data=data, success=True)
    assert row["criterion_met"] is True
    assert row["success"] == (row["train_accuracy"] == 1.0)
    row, _ = trial_result(net, History(), data=data, **{"success": True})
    assert row["criterion_met"] is True and row["success"] == (row["train_accuracy"] == 1.0)


def test_report_files_are_world_readable(quick_rows, tmp_path):
    import shutil
    import stat

    from structlearn.bench.report import write_report

    out = tmp_path / "copy"
    shutil.copytree(quick_rows[0], out)
    old = os.umask(0o077)  # even with a private umask: atomic_write's mode is explicit
    try:
        write_report(str(out), figures=False)
    finally:
        os.umask(old)
    for name in ("report.md", "summary.csv"):
        assert stat.S_IMODE(os.stat(out / name).st_mode) == 0o644, name
    assert np.isfinite(1.0)
