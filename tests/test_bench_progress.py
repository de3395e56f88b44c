"""Progress inside long trials: epoch, size and ETA on a terminal; quiet in files and CI."""
import io
import sys
import textwrap

import pytest

from structlearn.bench import runner
from structlearn.bench.runner import live_progress_wanted, run_suite
from structlearn.bench.suites import build_suite

PLUGIN = textwrap.dedent('''
    import time
    from structlearn.bench.data import load_bench_data
    from structlearn.bench.registry import register_trial, trial_result
    from structlearn.history import History
    from structlearn.network import Network

    @register_trial("slow_logger", datasets=["xor"],
                    suites={"progress_test": [({}, "xor", 2)]})
    def slow_logger(dataset, seed, epochs=25):
        data = load_bench_data(dataset, seed)
        net = Network.mlp([2, 3, 1], rng=seed)
        h = History()
        for e in range(epochs):
            h.log(epoch=e + 1, phase="train", loss=1.0 / (e + 1), units=3 + e // 10,
                  weights=net.n_weights, seconds=0.1)
            time.sleep(0.1)
        return trial_result(net, h, data=data)
''')


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def plugin(tmp_path):
    path = tmp_path / "slow_logger_trials.py"
    path.write_text(PLUGIN)
    return str(path)


@pytest.mark.parametrize("jobs", [1, 2])
def test_live_status_on_a_terminal(plugin, tmp_path, monkeypatch, jobs):
    monkeypatch.delenv("CI", raising=False)
    term = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", term)
    specs = build_suite("progress_test", plugins=[plugin])
    summary = run_suite(specs, str(tmp_path / "out"), jobs=jobs, plugins=[plugin])
    assert summary.ok == 2
    text = term.getvalue()
    assert "\r\x1b[K" in text  # the live line, redrawn in place
    live = [part for part in text.split("\r\x1b[K") if "epoch" in part]
    assert live and "units" in live[0] and "slow_logger xor seed=" in live[0]
    assert "[2/2]" in text and "ETA" in text
    assert runner.STATUS_ENV not in __import__("os").environ  # cleaned up


def test_quiet_in_files_and_ci(plugin, tmp_path, monkeypatch):
    specs = build_suite("progress_test", plugins=[plugin])
    log = io.StringIO()  # a file or pipe: no live line
    monkeypatch.setattr(sys, "stderr", log)
    run_suite(specs, str(tmp_path / "a"), jobs=1, plugins=[plugin])
    assert "\r" not in log.getvalue() and "[2/2]" in log.getvalue()
    monkeypatch.setenv("CI", "true")  # a terminal in CI: no live line either
    term = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert not live_progress_wanted(term)
    run_suite(specs, str(tmp_path / "b"), jobs=1, plugins=[plugin])
    assert "\r" not in term.getvalue()


def test_eta_from_finished_trials_of_the_same_kind(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    bar = runner._Progress(3, True, stream=FakeTerminal(), threaded=False)
    try:
        bar.update(dict(algorithm="mlp", label="", dataset="xor", seed=0, params={},
                        status="ok", wall_time=30.0))
        (tmp_path / "x").write_text("")
        import json
        import os
        with open(os.path.join(bar.status_dir, "abc"), "w") as fh:
            json.dump(dict(trial="mlp xor seed=1", epoch=7, units=4, weights=17,
                           phase="train", elapsed=10.0), fh)
        line = bar.status_line()
        assert line == "mlp xor seed=1: epoch 7, 4 units, 17 weights, 10 s, ETA 20 s"
    finally:
        bar.close()
