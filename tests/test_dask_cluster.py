"""A real Dask cluster: a scheduler and two workers as separate processes on 127.0.0.1.

The suite runs through ``structlearn bench --dask tcp://127.0.0.1:PORT`` and gives the same rows
as ``--jobs 1`` (up to timing and environment columns); one worker is killed (SIGKILL) while
trials run, and its trials are rerun on the other; everything is shut down at the end.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from structlearn.bench.runner import comparable, read_results, run_suite  # noqa: E402
from structlearn.bench.suites import build_suite  # noqa: E402

PLUGIN = textwrap.dedent('''
    import time
    import numpy as np
    from structlearn.bench.data import load_bench_data
    from structlearn.bench.registry import register_trial, trial_result
    from structlearn.network import Network
    from structlearn.optim import Adam
    from structlearn.train import train

    @register_trial("cluster_mlp", datasets=["xor"], suites={"cluster_test": [({}, "xor", 8)]})
    def cluster_mlp(dataset, seed, epochs=200):
        """A deterministic small MLP, slowed down so that a worker can die mid-trial."""
        data = load_bench_data(dataset, seed)
        rng = np.random.default_rng(seed)
        net = Network.mlp([2, 4, 1], hidden="tanh", output="sigmoid", rng=rng)
        h = train(net, data.X_train, data.y_train, optimizer=Adam(lr=0.05), epochs=epochs,
                  rng=rng, progress=False)
        time.sleep(1.5)
        return trial_result(net, h, data=data)
''')

DASK = Path(sys.executable).with_name("dask")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args, log):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    cmd = [str(DASK), *args] if DASK.exists() else \
        [sys.executable, "-m", f"distributed.cli.dask_{args[0]}", *args[1:]]
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)


@pytest.fixture
def cluster(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = [open(tmp_path / f"{name}.log", "w") for name in ("scheduler", "w1", "w2")]
    procs = []
    try:
        procs.append(_start(["scheduler", "--host", "127.0.0.1", "--port", str(port),
                             "--dashboard-address", ":0", "--no-show"], logs[0]))
        for i, log in enumerate(logs[1:], 1):
            procs.append(_start(["worker", address, "--nthreads", "1", "--no-nanny",
                                 "--name", f"w{i}", "--host", "127.0.0.1",
                                 "--dashboard-address", ":0",
                                 "--local-directory", str(tmp_path / f"w{i}")], log))
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
        yield address, procs
    finally:
        for p in reversed(procs):  # processes this test started, by their own pid
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        for log in logs:
            log.close()


def test_remote_cluster_same_rows_and_survives_a_dead_worker(cluster, tmp_path):
    address, procs = cluster
    plugin = tmp_path / "cluster_trials.py"
    plugin.write_text(PLUGIN)
    out = tmp_path / "dask"
    env = dict(os.environ, MPLBACKEND="Agg")
    run = subprocess.Popen(
        [sys.executable, "-m", "structlearn", "bench", "cluster_test", "--plugin", str(plugin),
         "--dask", address, "--out", str(out), "--no-report", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        # kill worker 1 once the run is under way (a row written: trials are in flight)
        results = out / "results.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.poll() is None:
            if results.exists() and results.read_text().count("\n") >= 1:
                break
            time.sleep(0.1)
        assert run.poll() is None, run.communicate()
        victim = procs[1]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        stdout, stderr = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 0, stderr
    rows = read_results(str(out))
    assert len(rows) == 8 and all(r["status"] == "ok" for r in rows), \
        [r.get("error") for r in rows]
    assert procs[2].poll() is None  # the other worker did the rest
    log = (tmp_path / "scheduler.log").read_text()
    assert "Remove worker" in log and "w1" in log, log[-2000:]  # the scheduler saw it die

    specs = build_suite("cluster_test", plugins=[str(plugin)])
    serial = tmp_path / "serial"
    run_suite(specs, str(serial), jobs=1, plugins=[str(plugin)], progress=False)
    by_id = {r["trial_id"]: comparable(r) for r in read_results(str(serial))}
    assert {r["trial_id"]: comparable(r) for r in rows} == by_id
    assert json.dumps(sorted(by_id)) == json.dumps(sorted(s.trial_id for s in specs))
