"""Issue 16, item 6: worker processes die with their parent.

A ``kill -9`` of a ``structlearn bench`` parent used to leave its pool workers alive, orphaned
and blocked on a pipe. Real processes: the bench runs ``hold`` trials in two workers, the test
kills the parent with SIGKILL and waits for both workers to be gone.
"""
import ctypes  # noqa: F401 - imported before any fork (die_with_parent uses it)
import os
import signal
import subprocess
import sys
import time

import pytest

from structlearn.parallel import die_with_parent

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN = os.path.join(HERE, "reliability_trials.py")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

#: the bench command line, run with a given start method for the pool's workers
DRIVER = """
import sys
import structlearn.parallel as parallel
if sys.argv[1] != "default":
    parallel.start_method = lambda: sys.argv[1]
from structlearn.cli import main
sys.exit(main(sys.argv[2:]))
"""


def alive(pid):
    """Whether ``pid`` runs (a zombie waiting for a reaper that never comes counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False


def wait_for(condition, what, limit=120.0):
    """Poll ``condition`` (a bound for a failure, never a timing assertion)."""
    stop = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < stop, what
        time.sleep(0.05)


def start_held_bench(tmp_path, start="default"):
    """A bench parent whose two workers hold their trials (600 s) once both have started;
    returns the parent and the workers' pids."""
    marks = tmp_path / "marks"
    marks.mkdir()
    env = dict(os.environ, HOLD_MARKS=str(marks), HOLD_RELEASE=str(tmp_path / "never"),
               HOLD_LIMIT="600", MPLBACKEND="Agg")
    parent = subprocess.Popen(
        [sys.executable, "-c", DRIVER, start, "bench", "hold", "--plugin", PLUGIN, "--out",
         str(tmp_path / "res"), "--jobs", "2", "--seeds", "0-3", "--quiet", "--no-report"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def two_started():
        if parent.poll() is not None:
            pytest.fail(f"bench exited with {parent.returncode}: {parent.stderr.read()}")
        return len(os.listdir(marks)) >= 2

    wait_for(two_started, "the workers never started their trials")
    return parent, [int(name) for name in os.listdir(marks)]


@pytest.mark.parametrize("start", ["default", "spawn"])
def test_kill_9_of_the_bench_parent_kills_its_workers(tmp_path, start):
    parent, workers = start_held_bench(tmp_path, start)
    assert parent.pid not in workers and all(alive(w) for w in workers)
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=60)
    parent.stderr.close()
    try:
        wait_for(lambda: not any(alive(w) for w in workers),
                 f"worker processes {[w for w in workers if alive(w)]} outlived their parent")
    finally:
        for w in workers:  # never leave an orphan behind, even when the test fails
            if alive(w):
                os.kill(w, signal.SIGKILL)


def test_sigterm_of_the_bench_parent_stops_its_workers_at_once(tmp_path):
    """A batch scheduler's SIGTERM (or Ctrl-C) loses only the trials in flight: the parent
    stops its workers instead of waiting for their trials (here they would hold 600 s)."""
    parent, workers = start_held_bench(tmp_path)
    parent.send_signal(signal.SIGTERM)
    try:
        # a bound for a hang, far below the trials' 600 s hold, not a timing assertion
        parent.wait(timeout=120)
        err = parent.stderr.read()
        parent.stderr.close()
        assert parent.returncode != 0
        assert "interrupted" in err and "--resume" in err, err
        wait_for(lambda: not any(alive(w) for w in workers),
                 f"worker processes {[w for w in workers if alive(w)]} outlived the run")
    finally:
        if parent.poll() is None:
            parent.kill()
        for w in workers:
            if alive(w):
                os.kill(w, signal.SIGKILL)


def _grandchild_dies_with_child(pipe_w):
    """Fork a child that forks a grandchild arming die_with_parent; once the grandchild says
    it is armed, the child reports and exits. Only os calls after the fork."""
    pid = os.fork()
    if pid == 0:  # the child
        armed_r, armed_w = os.pipe()
        grandchild = os.fork()
        if grandchild == 0:
            die_with_parent(os.getppid())
            os.write(armed_w, b"1")
            time.sleep(600)
            os._exit(0)
        ok = os.read(armed_r, 1) == b"1"
        os.write(pipe_w, f"{grandchild}\n{'armed' if ok else 'failed'}\n".encode())
        os._exit(0)
    return pid


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_die_with_parent_ends_a_process_whose_parent_is_gone():
    r, w = os.pipe()
    child = _grandchild_dies_with_child(w)
    os.close(w)
    with os.fdopen(r) as fh:
        grandchild = int(fh.readline())
        assert fh.readline().strip() == "armed"
    os.waitpid(child, 0)
    try:
        wait_for(lambda: not alive(grandchild), "the grandchild outlived its parent")
    finally:
        if alive(grandchild):
            os.kill(grandchild, signal.SIGKILL)
