"""Issue 16, item 1: one results store owns ``--out``.

Races between real ``structlearn bench`` processes: a second writer is refused while a run
holds the folder (``--overwrite`` included, which used to unlink the live run's rows), two
concurrent ``--resume`` runs never run a trial twice, a ``kill -9`` leaves no stale lock.
"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from structlearn.bench.runner import (LOCK, RESULTS, ResultsLockedError, ResultsStore,
                                      ResultsStoreError, read_results)

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN = os.path.join(HERE, "reliability_trials.py")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes and locks")


class Hold:
    """The environment of the ``hold`` trial: a release file, marks and a calls log."""

    def __init__(self, tmp_path):
        self.release = tmp_path / "release"
        self.marks = tmp_path / "marks"
        self.marks.mkdir()
        self.calls = tmp_path / "calls"
        self.env = dict(os.environ, HOLD_RELEASE=str(self.release), HOLD_MARKS=str(self.marks),
                        HOLD_CALLS=str(self.calls), MPLBACKEND="Agg")

    def bench(self, out, *args):
        """Start ``structlearn bench hold`` on ``out`` (a real process)."""
        cmd = [sys.executable, "-m", "structlearn", "bench", "hold", "--plugin", PLUGIN,
               "--out", str(out), "--quiet", "--no-report", *args]
        return subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def started(self, n=1, procs=(), limit=120.0):
        """Wait until ``n`` trials have started (a bound for a failure, not a timing)."""
        stop = time.monotonic() + limit
        while len(os.listdir(self.marks)) < n:
            for p in procs:
                if p.poll() is not None and p.returncode != 2:
                    pytest.fail(f"bench exited with {p.returncode}: {p.communicate()[1]}")
            assert time.monotonic() < stop, "the held trial never started"
            time.sleep(0.05)

    def seeds_run(self):
        return sorted(int(x) for x in self.calls.read_text().split()) \
            if self.calls.exists() else []


def finish(proc, limit=120):
    out, err = proc.communicate(timeout=limit)
    return proc.returncode, err


def test_a_second_writer_is_refused_naming_the_holder_and_overwrite_destroys_nothing(tmp_path):
    hold, out = Hold(tmp_path), tmp_path / "res"
    first = hold.bench(out, "--seeds", "0-1", "--jobs", "1")
    hold.started(procs=[first])
    holder = json.loads((out / LOCK).read_text())
    assert holder["pid"] == first.pid and "bench hold" in holder["command"]
    for extra in (["--overwrite"], ["--resume"], []):
        code, err = finish(hold.bench(out, "--seeds", "0-3", "--jobs", "1", *extra))
        assert code == 2, err
        assert "is in use by another run" in err and f"pid {first.pid}" in err, err
        assert "bench hold" in err and "Traceback" not in err
    hold.release.touch()
    code, err = finish(first)
    assert code == 0, err
    rows = read_results(out)
    assert sorted(r["seed"] for r in rows) == [0, 1]  # the live run's rows, all kept
    assert [json.loads(line)["ok"] for line in (out / "runs.jsonl").read_text().splitlines()] \
        == [2]
    assert (out / LOCK).read_text() == ""  # released, holder cleared
    # once the run is over, --overwrite starts afresh
    code, err = finish(hold.bench(out, "--seeds", "5,", "--jobs", "1", "--overwrite"))
    assert code == 0, err
    assert [r["seed"] for r in read_results(out)] == [5]


def test_concurrent_resumes_never_run_a_trial_twice(tmp_path):
    hold, out = Hold(tmp_path), tmp_path / "res"
    hold.release.touch()
    code, err = finish(hold.bench(out, "--seeds", "0-1", "--jobs", "1"))
    assert code == 0, err
    hold.release.unlink()
    runs = [hold.bench(out, "--seeds", "0-5", "--jobs", "2", "--resume") for _ in range(3)]
    hold.started(n=3, procs=runs)  # 2 trials of seeds 0-1 ran before, at least one more started now
    refused = []
    stop = time.monotonic() + 60
    while len(refused) < 2:  # the two that did not get the lock stop at once
        refused = [p for p in runs if p.poll() is not None]
        assert time.monotonic() < stop, "no run was refused"
        time.sleep(0.05)
    for p in refused:
        code, err = finish(p)
        assert code == 2 and "is in use by another run" in err, err
    hold.release.touch()
    (winner,) = [p for p in runs if p not in refused]
    code, err = finish(winner)
    assert code == 0, err
    assert hold.seeds_run() == [0, 1, 2, 3, 4, 5]  # every trial exactly once
    assert sorted(r["seed"] for r in read_results(out)) == [0, 1, 2, 3, 4, 5]


def test_kill_9_leaves_no_stale_lock(tmp_path):
    hold, out = Hold(tmp_path), tmp_path / "res"
    victim = hold.bench(out, "--seeds", "0-3", "--jobs", "2")
    hold.started(n=2, procs=[victim])
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    hold.release.touch()
    code, err = finish(hold.bench(out, "--seeds", "0-3", "--jobs", "2", "--resume"))
    assert code == 0, err
    assert sorted(r["seed"] for r in read_results(out)) == [0, 1, 2, 3]


# ------------------------------------------------------------- the store API
def _payload(tid, seed=0):
    row = dict(trial_id=tid, algorithm="a", label="", params={}, dataset="xor", seed=seed,
               status="ok", error=None, wall_time=0.0, env=None)
    return dict(row=row, history={"rows": [], "events": [], "meta": {}}, network=None)


def test_store_lock_is_exclusive_and_released(tmp_path):
    with ResultsStore(tmp_path, command="first") as store:
        assert json.loads((tmp_path / LOCK).read_text())["command"] == "first"
        with pytest.raises(ResultsLockedError, match=f"pid {os.getpid()} .*command: first"):
            ResultsStore(tmp_path, command="second").open()
        store.write(_payload("t1"))
    assert (tmp_path / LOCK).read_text() == ""
    with ResultsStore(tmp_path) as store:  # free again
        assert store.done() == {"t1"}
    with pytest.raises(ResultsStoreError, match="not open"):
        store.write(_payload("t2"))


def test_rows_are_never_appended_to_a_removed_or_replaced_file(tmp_path):
    with ResultsStore(tmp_path) as store:
        store.write(_payload("t1"))
        os.remove(tmp_path / RESULTS)
        with pytest.raises(ResultsStoreError, match="removed or replaced"):
            store.write(_payload("t2"))
    with ResultsStore(tmp_path / "b") as store:
        store.write(_payload("t1"))
        (tmp_path / "b" / "other").write_text("")
        os.replace(tmp_path / "b" / "other", tmp_path / "b" / RESULTS)
        with pytest.raises(ResultsStoreError, match="removed or replaced"):
            store.write(_payload("t2"))


def test_overwrite_clears_the_old_run_under_the_lock(tmp_path):
    with ResultsStore(tmp_path) as store:
        store.write(_payload("t1"))
        store.log_run({"command": "x"})
        assert (tmp_path / "curves" / "t1.json").exists()
        store.clear()
        assert not store.has_rows() and store.read() == []
        assert not (tmp_path / "curves" / "t1.json").exists()
        assert not (tmp_path / "runs.jsonl").exists()


def test_a_lock_file_that_is_not_a_regular_file_is_refused(tmp_path):
    os.mkfifo(tmp_path / LOCK)
    with pytest.raises(ResultsStoreError, match="not a regular file"):
        ResultsStore(tmp_path).open()
