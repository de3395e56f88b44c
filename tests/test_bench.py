"""The benchmark harness: suites, runner (resume, crash isolation, files), the
Dask path, reports and the command line."""
import csv
import json
import os

import numpy as np
import pytest

from structlearn.bench import registry
from structlearn.bench import runner as runner_mod
from structlearn.bench import suites as suites_mod
from structlearn.bench.report import summarize, write_report
from structlearn.bench.runner import (ResultsExistError, ResultsStore, comparable, final_rows,
                                      read_results, run_suite, run_trial)
from structlearn.bench.suites import SelectionError, TrialSpec, build_suite, parse_seeds, trial_id
from structlearn.cli import main

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_fake_trials.py")


@pytest.fixture
def fake():
    """Register the fake trials (as the --plugin option does); unregister afterwards."""
    registry.load_trials()
    before, loaded = dict(registry.TRIALS), dict(suites_mod._LOADED_PLUGINS)
    suites_mod.load_plugins([FAKE])
    yield FAKE
    registry.TRIALS.clear()
    registry.TRIALS.update(before)
    suites_mod._LOADED_PLUGINS.clear()
    suites_mod._LOADED_PLUGINS.update(loaded)


def specs(algorithm, dataset, seeds, **params):
    return [TrialSpec(algorithm, dict(params), dataset, s) for s in seeds]


def by_id(rows):
    return {r["trial_id"]: comparable(r) for r in rows}


# ------------------------------------------------------------------ suites
def test_trial_id_is_stable_and_order_free():
    a = trial_id("mlp", {"hidden": [4], "lr": 0.05}, "xor", 3)
    assert a == trial_id("mlp", {"lr": 0.05, "hidden": [4]}, "xor", 3)
    assert a != trial_id("mlp", {"hidden": [4], "lr": 0.05}, "xor", 4)
    assert a != trial_id("mlp", {"hidden": [5], "lr": 0.05}, "xor", 3)
    # the identity of a configuration must not change between versions (resume relies on it)
    assert trial_id("mlp", {}, "xor", 0) == "87b45d0a89a7011a"
    with pytest.raises(TypeError, match="JSON"):
        trial_id("mlp", {"f": object()}, "xor", 0)


def test_parse_seeds():
    assert parse_seeds("5") == [0, 1, 2, 3, 4]
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert parse_seeds("1,3,7") == [1, 3, 7]
    assert parse_seeds("0-2,10") == [0, 1, 2, 10]
    assert parse_seeds("3,") == [3]
    assert parse_seeds(3) == [0, 1, 2]
    assert parse_seeds([4, 2]) == [4, 2]
    assert parse_seeds(None) is None
    for bad in ("0", "4-2", "a", "1,x", "-3"):
        with pytest.raises(SelectionError, match="seeds"):
            parse_seeds(bad)


def test_build_suite_selection(fake):
    all_fake = build_suite("fake")
    assert [str(s) for s in all_fake] == ["fake xor seed=0", "fake xor seed=1", "fake xor seed=2",
                                          "fake [small] parity3 seed=0",
                                          "fake [small] parity3 seed=1"]
    assert all_fake[3].call_params == {}  # the label is not passed to the trial
    only = build_suite("fake", datasets="parity3", seeds="4-5")
    assert [(s.dataset, s.seed) for s in only] == [("parity3", 4), ("parity3", 5)]
    quick = build_suite("quick", algorithms="mlp")
    assert {s.dataset for s in quick} == {"xor", "two_spirals"}
    assert len({s.trial_id for s in quick}) == len(quick)
    skipped = build_suite("fake", skip_datasets="xor")
    assert [str(s) for s in skipped] == [str(s) for s in all_fake[3:]]


def test_full_suite_runs_every_digit_set_alike():
    """Every algorithm of ``full`` that runs on one digit data set runs on the other with the
    same params and seeds, so MNIST and Fashion-MNIST rows compare like with like (and
    ``--skip-datasets mnist,mnist_small`` leaves a complete Fashion-MNIST suite)."""
    specs = build_suite("full")
    def entries(prefix):
        return sorted((s.algorithm, json.dumps(s.params, sort_keys=True), s.seed,
                       s.dataset.replace(prefix, "")) for s in specs
                      if s.dataset.startswith(prefix))
    mnist, fashion = entries("mnist"), entries("fashion_mnist")
    assert mnist and mnist == fashion
    skipped = build_suite("full", skip_datasets="mnist,mnist_small")
    assert not any(s.dataset.startswith("mnist") for s in skipped)
    assert len(skipped) == len(specs) - len(mnist)


@pytest.mark.parametrize("call, message", [
    (dict(name="nosuch"), r"unknown suite 'nosuch'; valid suites: .*quick"),
    (dict(name="quick", algorithms="nosuch"), r"unknown algorithm 'nosuch'; valid algorithms: .*mlp"),
    (dict(name="fake", algorithms="mlp"), r"'mlp' has no trials in suite 'fake'.*fake"),
    (dict(name="quick", datasets="nosuch"), r"unknown dataset 'nosuch'; valid names: xor"),
    (dict(name="fake", datasets="two_spirals"), r"not in suite 'fake'.*data sets there: parity3, xor"),
    (dict(name="quick", algorithms=","), r"at least one name"),
    (dict(name="fake", skip_datasets="parity4"), r"skip_datasets: .*not in suite 'fake'"),
    (dict(name="fake", skip_datasets="nosuch"), r"skip_datasets: unknown dataset 'nosuch'"),
])
def test_build_suite_bad_names(fake, call, message):
    with pytest.raises(SelectionError, match=message):
        build_suite(call.pop("name"), **call)


def test_bad_plugin():
    with pytest.raises(SelectionError, match="cannot be imported"):
        suites_mod.load_plugins(["no_such_module_xyz"])
    with pytest.raises(SelectionError, match="cannot be imported"):
        suites_mod.load_plugins(["/nonexistent/dir/trials.py"])


# ------------------------------------------------------------------ runner
def test_error_row_then_resume_retries_only_errors(fake, tmp_path):
    marker, log = tmp_path / "fail", tmp_path / "calls.log"
    marker.write_text("")
    todo = specs("fake", "xor", [0, 1, 2], calls_log=str(log)) + \
        specs("fake", "xor", [3], calls_log=str(log), fail_if_exists=str(marker))
    out = tmp_path / "run"
    s = run_suite(todo, out, progress=False)
    assert (s.ok, s.errors, s.skipped) == (3, 1, 0)
    rows = read_results(out)
    assert [r["status"] for r in rows] == ["ok", "ok", "ok", "error"]
    err = rows[3]["error"]
    assert err["type"] == "RuntimeError" and "planned failure for seed 3" in err["message"]
    assert "fake_trial" in err["traceback"] and rows[3]["curve"] is None
    ok = rows[0]
    assert ok["test_accuracy"] == 0.5 and ok["hidden_units"] == 1 and ok["params"]["calls_log"]
    assert ok["env"]["numpy"] == np.__version__ and ok["wall_time"] >= 0
    # the BLAS build is recorded: bits are reproducible on the same build and kernels only
    from threadpoolctl import threadpool_info
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert ok["env"]["blas"] == (None if not blas else " ".join(
        str(blas[0][k]) for k in ("internal_api", "version", "architecture") if blas[0].get(k)))
    assert ok["trial_id"] == todo[0].trial_id and ok["error"] is None

    marker.unlink()
    s = run_suite(todo, out, resume=True, progress=False)
    assert (s.ok, s.errors, s.skipped) == (1, 0, 3)
    assert log.read_text().split("\n")[:-1] == ["xor 0", "xor 1", "xor 2", "xor 3", "xor 3"]
    final = final_rows(read_results(out))
    assert len(final) == 4 and all(r["status"] == "ok" for r in final.values())
    assert len(read_results(out)) == 5  # the error row stays in the file, superseded
    s = run_suite(todo, out, resume=True, progress=False)
    assert s.ran == 0 and s.skipped == 4


def test_bad_trial_output_is_an_error_row(fake, tmp_path):
    p = run_trial(TrialSpec("fake", {"bad_return": True}, "xor", 0))
    assert p["row"]["status"] == "error" and p["row"]["error"]["type"] == "TypeError"
    assert "must return (row, history)" in p["row"]["error"]["message"]
    p = run_trial(TrialSpec("nosuch_algorithm", {}, "xor", 0))
    assert p["row"]["status"] == "error" and "not registered" in p["row"]["error"]["message"]


def test_a_dying_worker_process_costs_only_its_own_trial(fake, tmp_path):
    todo = specs("fake", "xor", [0, 2, 3]) + specs("fake", "xor", [1], crash=True) + \
        specs("fake", "xor", [4, 5])
    s = run_suite(todo, tmp_path, jobs=2, plugins=[FAKE], progress=False)
    assert (s.ok, s.errors) == (5, 1)
    rows = final_rows(read_results(tmp_path))
    bad = rows[todo[3].trial_id]
    assert bad["status"] == "error" and bad["error"]["type"] == "BrokenProcessPool"
    assert "running this trial alone" in bad["error"]["message"]
    assert all(r["status"] == "ok" for tid, r in rows.items() if tid != todo[3].trial_id)


def test_existing_results_need_resume_or_overwrite(fake, tmp_path):
    todo = specs("fake", "xor", [0])
    run_suite(todo, tmp_path, progress=False)
    with pytest.raises(ResultsExistError, match="--resume"):
        run_suite(todo, tmp_path, progress=False)
    s = run_suite(todo, tmp_path, overwrite=True, progress=False)
    assert s.ok == 1 and len(read_results(tmp_path)) == 1


def test_truncated_last_line_is_ignored_and_repaired(fake, tmp_path):
    todo = specs("fake", "xor", [0, 1, 2])
    run_suite(todo[:2], tmp_path, progress=False)
    path = tmp_path / "results.jsonl"
    whole = path.read_bytes()
    # a run killed in the middle of writing the row of trial 1
    path.write_bytes(whole[:len(whole) - 40])
    warnings = []
    rows = read_results(tmp_path, warn=warnings.append)
    assert [r["seed"] for r in rows] == [0]
    assert any("truncated last line" in w for w in warnings)
    s = run_suite(todo, tmp_path, resume=True, progress=False, warn=warnings.append)
    assert s.skipped == 1 and s.ok == 2
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(line)["status"] == "ok" for line in lines)


def test_files_are_written_before_their_row(fake, tmp_path, monkeypatch):
    seen = []
    real = runner_mod.atomic_write

    def spy(path, data=None, **kw):
        results = tmp_path / "results.jsonl"
        text = results.read_text() if results.exists() else ""
        tid = os.path.basename(path).split(".")[0]
        seen.append((os.path.basename(os.path.dirname(path)), tid in text))
        real(path, data, **kw)

    monkeypatch.setattr(runner_mod, "atomic_write", spy)
    run_suite(specs("fake", "xor", [0, 1], network=True), tmp_path, progress=False)
    assert seen == [("curves", False), ("networks", False)] * 2
    for r in read_results(tmp_path):
        assert (tmp_path / r["curve"]).exists() and (tmp_path / r["network"]).exists()
        assert r["curve"] == f"curves/{r['trial_id']}.json"
    assert not list(tmp_path.rglob("*.tmp"))


def mixed_suite(tmp_path):
    marker = tmp_path / "always_fails"
    marker.write_text("")
    return (specs("mlp", "xor", [0, 1, 2], hidden=[4]) +
            specs("fake", "two_spirals", [0, 1], network=True) +
            specs("fake", "xor", [5], fail_if_exists=str(marker)))


@pytest.mark.parametrize("start", ["default", "spawn"])
def test_jobs_1_and_2_give_the_same_rows(fake, tmp_path, monkeypatch, start):
    if start == "spawn":  # what macOS, Windows and threaded parents get
        import structlearn.parallel
        monkeypatch.setattr(structlearn.parallel, "start_method", lambda: "spawn")
    todo = mixed_suite(tmp_path)
    one = run_suite(todo, tmp_path / "one", jobs=1, progress=False)
    two = run_suite(todo, tmp_path / "two", jobs=2, plugins=[FAKE], progress=False)
    assert (one.ok, one.errors) == (two.ok, two.errors) == (5, 1)
    a, b = read_results(tmp_path / "one"), read_results(tmp_path / "two")
    for r in a + b:
        if r["status"] == "error":  # tracebacks name files, the rest must match
            r["error"].pop("traceback")
    assert by_id(a) == by_id(b)
    mlp_rows = [r for r in a if r["algorithm"] == "mlp"]
    assert all(r["success"] and r["test_accuracy"] == 1.0 for r in mlp_rows)
    for r in mlp_rows:  # the baseline's network is saved and predicts XOR
        from structlearn import Network
        net = Network.load(tmp_path / "two" / r["network"])
        assert net.predict_classes(np.array([[0, 0], [0, 1], [1, 0], [1, 1.]])).tolist() == \
            [0, 1, 1, 0]


_PROBE = """
import os, signal
from structlearn.bench.registry import register_trial

@register_trial("probe", datasets=["xor"])
def probe(dataset, seed):
    try:
        from threadpoolctl import threadpool_info
        blas = max((p["num_threads"] for p in threadpool_info()), default=1)
    except ImportError:
        blas = 1
    return dict(sigterm_default=signal.getsignal(signal.SIGTERM) == signal.SIG_DFL,
                omp=os.environ.get("OMP_NUM_THREADS"), blas=blas, pid=os.getpid()), None
"""


@pytest.mark.parametrize("start", ["default", "spawn"])
def test_workers_restore_sigterm_and_limit_blas(fake, tmp_path, monkeypatch, start):
    """The one process pool (structlearn.parallel): workers end on SIGTERM even when the parent
    handles it (the CLI does), and run with BLAS limited to --threads, forked or spawned."""
    import signal

    import structlearn.parallel
    if start == "spawn":
        monkeypatch.setattr(structlearn.parallel, "start_method", lambda: "spawn")
    plugin = tmp_path / "probe_trials.py"
    plugin.write_text(_PROBE)
    old = signal.signal(signal.SIGTERM, lambda *a: None)
    try:
        s = run_suite(specs("probe", "xor", [0, 1]), tmp_path / "out", jobs=2,
                      plugins=[str(plugin)], progress=False)
    finally:
        signal.signal(signal.SIGTERM, old)
    assert s.ok == 2
    for r in read_results(tmp_path / "out"):
        assert r["pid"] != os.getpid()
        assert r["sigterm_default"] and r["omp"] == "1" and r["blas"] == 1


def test_dask_local_cluster_gives_the_same_rows(fake, tmp_path):
    distributed = pytest.importorskip("distributed")
    todo = mixed_suite(tmp_path)
    run_suite(todo, tmp_path / "local", jobs=1, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        s = run_suite(todo, tmp_path / "dask", dask=cluster.scheduler_address, plugins=[FAKE],
                      progress=False)
    assert (s.ok, s.errors) == (5, 1)
    a, b = read_results(tmp_path / "local"), read_results(tmp_path / "dask")
    for r in a + b:
        if r["status"] == "error":
            r["error"].pop("traceback")
    assert by_id(a) == by_id(b)
    assert len({r["env"]["structlearn"] for r in b}) == 1
    # the command line's own cluster: --dask local starts LocalCluster(n_workers=--jobs)
    out = tmp_path / "cli_dask"
    assert main(["bench", "fake", "--plugin", FAKE, "--dask", "local", "--jobs", "2",
                 "--out", str(out), "--no-report", "--quiet"]) == 0
    c = read_results(out)
    run_suite(build_suite("fake"), tmp_path / "cli_local", progress=False)
    assert len(c) == 5 and by_id(c) == by_id(read_results(tmp_path / "cli_local"))


def test_dask_missing_gives_a_clear_message(fake, tmp_path, monkeypatch, capsys):
    import sys
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    assert main(["bench", "fake", "--dask", "local", "--out", str(tmp_path / "x"),
                 "--quiet"]) == 2
    assert "pip install 'structlearn[dask]'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


# ------------------------------------------------------- numbers from the contract
def _agreement_cases():
    """(name, network, X, y): a 3-class sigmoid-output network given class labels, a
    1-output network, and a multi-label parity target (one 0/1 column per output)."""
    from structlearn import Network
    from structlearn.datasets import parity, two_spirals

    X, y = two_spirals()
    y3 = (np.arange(len(y)) % 3 + y) % 3  # three classes, not separable: accuracies < 1
    three = Network.mlp([2, 6, 3], hidden="tanh", output="sigmoid", rng=1)
    one = Network.mlp([2, 6, 1], hidden="tanh", output="symmetric_sigmoid", rng=2)
    Xp, _ = parity(4)
    Y = np.column_stack([parity(k)[1][np.arange(16) >> (4 - k)] for k in (2, 3, 4)])
    multi = Network.mlp([4, 5, 3], hidden="tanh", output="sigmoid", rng=3)
    return [("three_class_sigmoid", three, X, y3), ("one_output", one, X, y),
            ("multilabel_parity", multi, Xp, Y.astype(float))]


@pytest.mark.parametrize("case", range(3), ids=["three_class_sigmoid", "one_output",
                                                  "multilabel_parity"])
def test_evaluate_estimator_score_and_harness_row_agree(case):
    """evaluate, an estimator's score and the harness's row give the same accuracy on the same
    network and data: the decoded class for labels (a 3-output sigmoid network is scored by its
    arg-max, not by all three outputs), whole patterns for multi-label 0/1 targets."""
    from structlearn import History, evaluate
    from structlearn.bench.data import BenchData
    from structlearn.obd import OptimalBrainDamage

    name, net, X, y = _agreement_cases()[case]
    out = net.forward(X)
    ev = evaluate(net, X, y)
    # OBD with no pruning round and no training: its network_ is (a copy of) this one
    est = OptimalBrainDamage(max_rounds=0).fit(X, y, network=net)
    assert np.array_equal(est.network_.params, net.params)
    data = BenchData("agree", X, y, X, y, None if y.ndim == 2 else len(np.unique(y)))
    row, _ = registry.trial_result(net, History(), data=data)
    if y.ndim == 2:  # every output on its target's side of 0.5
        expected, kind = float(np.mean(np.all((out > 0.5) == (y > 0.5), axis=1))), "pattern"
    elif out.shape[1] > 1:
        expected, kind = float(np.mean(out.argmax(axis=1) == y)), "class"
        # the case discriminates: "all outputs right" would give another number
        onehot = np.eye(out.shape[1])[y]
        assert float(np.mean(np.all((out > 0.5) == (onehot > 0.5), axis=1))) != expected
    else:  # the symmetric sigmoid's midpoint is 0
        expected, kind = float(np.mean((out[:, 0] > 0) == (y == 1))), "class"
    assert ev["accuracy"] == est.score(X, y) == row["train_accuracy"] == \
        row["test_accuracy"] == expected, name
    assert ev["accuracy_kind"] == row["accuracy_kind"] == kind
    assert row["train_loss"] == pytest.approx(ev["loss"])
    # an estimator's own labels: the row scored with its target_info_ is its score
    if y.ndim == 1 and out.shape[1] == 1:
        words = np.array(["no", "yes"])[y]
        est = OptimalBrainDamage(max_rounds=0).fit(X, words, network=net)
        row, _ = registry.trial_result(est.network_, History(), targets=est.target_info_,
                                       data=BenchData("agree", X, words, X, words, 2))
        assert row["test_accuracy"] == est.score(X, words) == expected


def test_mlp_trial_scores_patterns_for_multi_output_targets():
    """encoder targets are multi-label: the baseline's row is whole-pattern accuracy."""
    from structlearn import Network, evaluate
    from structlearn.bench.data import load_bench_data
    from structlearn.bench.mlp_trials import mlp_trial

    result = mlp_trial("encoder4", 0, hidden=[2], epochs=50)
    row, net = result[0], result.network
    data = load_bench_data("encoder4", 0)
    assert isinstance(net, Network) and row["accuracy_kind"] == "pattern"
    assert row["train_accuracy"] == evaluate(net, data.X_train, data.y_train)["accuracy"]
    out = net.forward(data.X_train)
    assert row["train_accuracy"] == float(np.mean(np.all((out > 0.5) == (data.y_train > 0.5),
                                                         axis=1)))


# ------------------------------------------------------------------ report
def _row(algorithm, dataset, seed, status="ok", params=None, **metrics):
    r = dict(trial_id=trial_id(algorithm, params or {}, dataset, seed), algorithm=algorithm,
             label=(params or {}).get("label", ""), params=params or {}, dataset=dataset,
             seed=seed, status=status, error=None, wall_time=1.0 + seed, curve=None,
             network=None, env={"structlearn": "0.1.0", "numpy": "x", "python": "3",
                                "platform": "p", "cpu_count": 2, "git_commit": None})
    r.update(metrics)
    return r


def _synthetic(tmp_path):
    rows = []
    units = [12, 15, 15, 19]
    accs = [1.0, 0.9, 0.8, 0.7]
    for seed, (u, a) in enumerate(zip(units, accs)):
        rows.append(_row("cascor", "two_spirals", seed, success=seed != 3, test_accuracy=a,
                         hidden_units=u, depth=u, epochs=1000 + seed, crossings=1e7,
                         weights=100, active_weights=100))
    for seed in range(2):
        for lr in (0.1, 0.01):
            rows.append(_row("mlp", "two_spirals", seed, params={"lr": lr}, success=True,
                             test_accuracy=0.8 if lr == 0.1 else 0.6, hidden_units=64,
                             depth=1, epochs=50, weights=257, active_weights=257))
    rows.append(_row("mlp", "xor", 0, params={"label": "tiny"}, success=True, test_accuracy=1.0,
                     hidden_units=2, depth=1, epochs=10, weights=9, active_weights=9))
    failed = _row("mlp", "xor", 1, status="error", params={"label": "tiny"})
    failed["error"] = {"type": "ValueError", "message": "boom | bad\nsecond line",
                       "traceback": "..."}
    rows.append(failed)
    # a trial that failed first and then succeeded on --resume: only the ok row counts
    retried = _row("cascor", "two_spirals", 3, status="error")
    retried["error"] = {"type": "X", "message": "old", "traceback": ""}
    rows.insert(0, retried)
    with open(tmp_path / "results.jsonl", "w") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
        fh.write('{"trial_id": "cut')  # a truncated last line
    return rows


def test_report_tables_on_synthetic_results(tmp_path):
    _synthetic(tmp_path)
    rows = list(final_rows(read_results(tmp_path)).values())
    table = {(t["algorithm"], t["variant"], t["dataset"]): t for t in summarize(rows)}
    assert set(table) == {("cascor", "", "two_spirals"), ("mlp", "lr=0.1", "two_spirals"),
                          ("mlp", "lr=0.01", "two_spirals"), ("mlp", "tiny", "xor")}
    c = table["cascor", "", "two_spirals"]
    assert c["trials"] == 4 and c["errors"] == 0
    assert c["success_rate"] == 0.75
    assert c["test_accuracy_mean"] == pytest.approx(0.85)
    assert c["test_accuracy_std"] == pytest.approx(np.std([1.0, 0.9, 0.8, 0.7], ddof=1))
    assert (c["hidden_units_min"], c["hidden_units_mean"], c["hidden_units_median"],
            c["hidden_units_max"]) == (12, 15.25, 15, 19)
    assert c["depth_mean"] == 15.25 and c["epochs_mean"] == 1001.5
    assert c["crossings_mean"] == 1e7 and c["wall_time_mean"] == 2.5
    t = table["mlp", "tiny", "xor"]
    assert (t["trials"], t["errors"], t["success_rate"], t["test_accuracy_std"]) == (1, 1, 1.0, None)
    assert table["mlp", "lr=0.01", "two_spirals"]["test_accuracy_mean"] == pytest.approx(0.6)

    path = write_report(tmp_path, warn=lambda m: None)
    md = open(path).read()
    assert "| cascor |  | 4 | 0-3 | 3/4 (75%) | 0.850 ± 0.129 | 12 / 15.2 / 15 / 19 | 15.2 | 1002 | " \
        "1.00e+07 | 100 | 2.5 |" in md
    assert "| mlp | lr=0.01 | 2 | 0-1 | 2/2 (100%) | 0.600 ± 0.000 | 64 / 64 / 64 / 64 |" in md
    assert "| mlp | tiny | 1 (+1 failed) | 0 | 1/1 (100%) | 1.000 | 2 / 2 / 2 / 2 |" in md
    assert "ValueError: boom \\| bad |" in md  # errors listed, table-safe, first line only
    assert "## Environment" in md and "| 0.1.0 | – |" in md
    with open(tmp_path / "summary.csv") as fh:
        lines = list(csv.DictReader(fh))
    assert len(lines) == 4
    first = lines[0]
    assert (first["algorithm"], first["trials"], first["success_rate"]) == ("mlp", "1", "1.0")
    cas = [line for line in lines if line["algorithm"] == "cascor"][0]
    assert float(cas["hidden_units_median"]) == 15 and cas["errors"] == "0"


def test_report_figures_from_a_real_run(fake, tmp_path):
    run_suite(build_suite("fake") + specs("fake", "two_spirals", [0, 1], network=True),
              tmp_path, progress=False)
    path = write_report(tmp_path)
    figs = sorted(os.listdir(tmp_path / "figures"))
    assert figs == ["decision_two_spirals.png", "learning_curves_parity3.png",
                    "learning_curves_two_spirals.png", "learning_curves_xor.png",
                    "network_size_xor.png"]  # only the xor trials grow
    md = open(path).read()
    for f in figs:
        assert f"](figures/{f})" in md
    assert "None: every trial finished." in md


# --------------------------------------------------------------------- CLI
def test_cli_bad_input(fake, tmp_path, capsys):
    assert main(["bench", "nosuch", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown suite 'nosuch'; valid suites:" in err and "quick" in err
    assert "Traceback" not in err
    assert main(["bench", "quick", "--algorithms", "mlp,nosuch", "--out", str(tmp_path)]) == 2
    assert "valid algorithms:" in capsys.readouterr().err
    assert main(["bench", "quick", "--datasets", "spirals", "--out", str(tmp_path)]) == 2
    assert "unknown dataset 'spirals'" in capsys.readouterr().err
    assert main(["bench", "quick", "--seeds", "x", "--out", str(tmp_path)]) == 2
    assert main(["bench", "quick", "--jobs", "0", "--out", str(tmp_path)]) == 2
    assert main(["bench", "quick", "--plugin", "no_such_mod_xyz"]) == 2
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "no results.jsonl" in capsys.readouterr().err
    assert main(["bench"]) == 2  # argparse: missing suite
    assert main([]) == 2
    assert not os.listdir(tmp_path)


def test_run_suite_in_an_open_store_and_the_cli_refusing_a_held_folder(fake, tmp_path, capsys):
    """The CLI holds DIR's lock through trials, run log and report (a store the caller opened
    stays open after run_suite); a bench on a folder someone holds is refused, exit 2."""
    out = tmp_path / "r"
    with ResultsStore(out, command="someone else") as store:
        summary = run_suite(build_suite("fake"), store, progress=False)
        assert summary.ok == 5 and store.is_open
        store.log_run({"command": "x"})
        assert main(["bench", "fake", "--plugin", FAKE, "--out", str(out), "--overwrite"]) == 2
        err = capsys.readouterr().err
        assert "is in use by another run" in err and "command: someone else" in err
    assert len(read_results(out)) == 5  # --overwrite removed nothing
    assert main(["bench", "fake", "--plugin", FAKE, "--out", str(out), "--overwrite",
                 "--quiet", "--no-report"]) == 0


def test_cli_bench_resume_report_and_list(fake, tmp_path, capsys):
    out = str(tmp_path / "res")
    marker = tmp_path / "fails"
    marker.write_text("")
    plugin = tmp_path / "p.py"  # a user plugin adding a failing trial to a suite
    plugin.write_text(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('fk', {FAKE!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "from structlearn.bench.registry import TRIALS\n"
        f"TRIALS['fake'].suites['clitest'] = [({{'fail_if_exists': {str(marker)!r}}}, 'xor', 2)]\n")
    args = ["bench", "clitest", "--plugin", str(plugin), "--out", out, "--jobs", "1"]
    assert main(args) == 1  # trials failed: exit 1, report written
    captured = capsys.readouterr()
    assert "[2/2] fake xor seed=1: ERROR RuntimeError: planned failure" in captured.err
    assert "ETA" in captured.err
    assert "2 trial(s) raised an error" in open(os.path.join(out, "report.md")).read()
    assert main(args) == 2
    assert "--resume" in capsys.readouterr().err
    marker.unlink()
    assert main(args + ["--resume", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    md = open(os.path.join(out, "report.md")).read()
    assert "None: every trial finished." in md
    assert f"`structlearn bench clitest --plugin {plugin} --out {out} --jobs 1` | 2 | 0 | 2 | 0 |" \
        in md  # the first run: 2 trials, both failed
    assert "--resume --quiet` | 2 | 2 | 0 | 0 |" in md
    assert main(["report", out, "--no-figures"]) == 0
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "mlp" in listing and "quick" in listing
    assert main(["list", "quick", "--algorithms", "mlp"]) == 0
    assert "mlp xor seed=0" in capsys.readouterr().out
