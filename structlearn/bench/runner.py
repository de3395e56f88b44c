"""Run suites of trials and keep their results safe.

Layout of an output directory::

    DIR/run.lock                 the store's lock: who is writing DIR now (pid, host, command)
    DIR/results.jsonl            one JSON row per finished trial (appended)
    DIR/curves/<trial_id>.json   the trial's History (per-epoch rows and events)
    DIR/networks/<trial_id>.npz  the trial's final network, when it returned one
    DIR/runs.jsonl               one line per ``structlearn bench`` command that wrote DIR

Guarantees:

* One writer at a time. A :class:`ResultsStore` owns DIR while it is open: it holds an
  exclusive ``fcntl.flock`` on ``DIR/run.lock`` (the kernel drops it when the holder dies, so a
  killed run never leaves a stale lock) and writes its pid, host, command line and start time in
  it. A second writer is refused at once, with :class:`ResultsLockedError` naming the holder (it
  does not wait: a benchmark can run for hours). ``overwrite=True`` clears DIR only once the
  lock is held, so it never removes what a live run owns; two ``resume=True`` runs never run a
  trial twice (the second is refused).
* A row is written with a single ``write`` of one complete line, then flushed
  and ``fsync``-ed, so a run killed at any moment loses at most the trials in
  flight.  A truncated last line (the process died inside the write) is
  ignored when reading and cut off before appending.  Before each row the store checks that
  ``results.jsonl`` is still the file it opened (not removed or replaced behind its back).
* The curve and network files are written atomically
  (:func:`structlearn.files.atomic_write`: temporary file, then ``os.replace``)
  *before* the row, so a row never points at a missing file.
* Reading is bounded and strict: only regular files are read, lines longer than
  :data:`MAX_ROW_BYTES` are skipped, a row that parses but lacks a configuration key (or has
  one of the wrong type) is skipped with a warning, and a row's ``curve``/``network`` path is
  followed only inside DIR (:func:`row_file`).
* A trial that raises becomes a row with ``status: "error"`` and the
  exception's type, message and traceback; the run goes on.  ``resume=True``
  skips trials with an ``"ok"`` row and retries the errors.
* Trials run in worker processes (``jobs > 1``, the one process pool of
  :func:`structlearn.parallel.process_pool`), in this process (``jobs == 1``),
  or on a Dask cluster (``dask="local"`` or an address); each runs with BLAS
  limited to ``threads`` threads, so the rows are the same on every path (up
  to the timing and environment columns: ``wall_time``, ``env``).  Worker processes die with
  the process that started them (``PR_SET_PDEATHSIG`` on Linux, a watching thread elsewhere):
  a ``kill -9`` of the run leaves no orphan computing for nobody.
* Everything is computed on the workers and written here, by the parent, so a
  remote cluster needs no shared file system.
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import os
import platform
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import weakref
from dataclasses import dataclass, field

import numpy as np

from ..files import atomic_write, open_regular
from ..history import History, plain
from ..parallel import blas_env, blas_threads, process_pool
from ..validation import Interval, validate_params
from .suites import TrialSpec, load_plugins

__all__ = ["run_suite", "run_trial", "RunSummary", "ResultsStore", "ResultsExistError",
           "ResultsLockedError", "ResultsStoreError", "ExtraMissingError", "read_results",
           "row_problem", "row_file", "final_rows", "environment", "RESULTS", "LOCK",
           "TIMING_COLUMNS", "MAX_ROW_BYTES", "MAX_JOBS", "comparable"]

RESULTS = "results.jsonl"
#: the store's lock file (holds the writer's pid, host and command while a run owns DIR)
LOCK = "run.lock"
RUNS = "runs.jsonl"
#: columns that legitimately differ between two runs of the same trial
TIMING_COLUMNS = ("wall_time", "env")
#: keys the runner writes; a trial's row may not use them
RESERVED = ("trial_id", "algorithm", "label", "params", "dataset", "seed", "status", "error",
            "wall_time", "curve", "network", "env")
#: longest line of results.jsonl that is read (a row with a long traceback is a few KB)
MAX_ROW_BYTES = 16 << 20
#: largest lock file content read back (the holder's description)
_MAX_LOCK_BYTES = 64 << 10
#: most worker processes and BLAS threads per trial accepted
MAX_JOBS = 1024


class ResultsExistError(ValueError):
    """The output directory already holds results and neither resume nor overwrite was asked."""


class ResultsStoreError(RuntimeError):
    """The output directory cannot be used as a results store (locked, or changed behind the
    store's back)."""


class ResultsLockedError(ResultsStoreError):
    """Another live run holds the output directory's lock."""


class ExtraMissingError(RuntimeError):
    """An optional dependency (the ``dask`` extra) is needed but not installed."""


# --------------------------------------------------------------- environment
_ENV_CACHE: dict = {}


def _git_commit():
    """(commit, dirty) of the repository holding this package, or (None, None)."""
    import structlearn

    pkg = os.path.dirname(os.path.abspath(structlearn.__file__))

    def git(*args):
        out = subprocess.run(["git", "-C", pkg, *args], capture_output=True, text=True,
                             timeout=10)
        return out.stdout.strip() if out.returncode == 0 else None

    try:
        top = git("rev-parse", "--show-toplevel")
        # only our own repository: site-packages inside some other repo must not count
        if not top or not os.path.isdir(os.path.join(top, "structlearn")) or \
                not os.path.samefile(os.path.join(top, "structlearn"), pkg):
            return None, None
        commit = git("rev-parse", "HEAD")
        status = git("status", "--porcelain", "--untracked-files=no")
        return commit, (None if status is None else bool(status))
    except (OSError, subprocess.SubprocessError):
        return None, None


def blas_build() -> str | None:
    """The BLAS numpy runs on, with its version and the CPU kernels it chose, e.g.
    ``"openblas 0.3.31.188.0 Haswell"`` (None if none is found).

    Why it is recorded: trained networks are bit-reproducible on the same BLAS build and
    kernels only. Another build (a numpy upgrade) or another CPU (OpenBLAS picks its
    kernels at run time) rounds some products differently in the last bit, and training
    follows another trajectory from there: per-seed results change, means over seeds move
    within their spread.
    """
    import numpy  # noqa: F401  (loads numpy's BLAS so that threadpoolctl sees it)
    from threadpoolctl import threadpool_info

    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            parts = [lib.get("internal_api"), lib.get("version"), lib.get("architecture")]
            return " ".join(str(p) for p in parts if p)
    return None


def environment() -> dict:
    """What ran the trial: versions (numpy's BLAS build included), platform, CPU count, git
    commit (cached per process)."""
    if not _ENV_CACHE:
        import numpy

        import structlearn

        commit, dirty = _git_commit()
        _ENV_CACHE.update(structlearn=structlearn.__version__, numpy=numpy.__version__,
                          blas=blas_build(), python=platform.python_version(),
                          platform=platform.platform(), machine=platform.machine(),
                          cpu_count=os.cpu_count(), git_commit=commit, git_dirty=dirty)
    return dict(_ENV_CACHE)


# ------------------------------------------------------------- one trial
def _network_bytes(network):
    """A Network as the bytes of its .npz file (workers send bytes, not objects)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = network.save(os.path.join(tmp, "net.npz"))
        with open(path, "rb") as fh:
            return fh.read()


def _error_info(exc) -> dict:
    return dict(type=type(exc).__name__, message=str(exc),
                traceback="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


def run_trial(spec, plugins=(), threads=1, save_network=True, running_dir=None) -> dict:
    """Run one trial and return its payload ``{row, history, network}``.

    This is what a worker executes; it never raises for a failing trial (the
    row says ``status: "error"``).  ``spec`` is a :class:`TrialSpec` or its
    dict.  ``history`` is a History dict or None; ``network`` is the bytes of
    an ``.npz`` file or None.  With ``running_dir``, a file named after the
    trial_id exists there while the trial runs (the parent uses it to tell
    which trials a dead worker process was running).
    """
    spec = spec if isinstance(spec, TrialSpec) else TrialSpec.from_dict(spec)
    marker = os.path.join(running_dir, spec.trial_id) if running_dir else None
    if marker:
        with open(marker, "w"):
            pass
    try:
        return _run_trial(spec, plugins, threads, save_network)
    finally:
        if marker:
            with contextlib.suppress(OSError):
                os.remove(marker)


#: the environment variable naming the folder where running trials write their live status
STATUS_ENV = "STRUCTLEARN_TRIAL_STATUS"


@contextlib.contextmanager
def _live_status(spec):
    """While a trial runs, write its latest epoch, size and elapsed time (at most twice a
    second) to ``$STRUCTLEARN_TRIAL_STATUS/<trial_id>``, for the parent's status line.

    Every algorithm logs its epochs through :meth:`History.log` (the one History format), so
    the hook is there; it is installed only when the parent asked for a live status (a
    terminal, not CI) and removed when the trial ends.
    """
    folder = os.environ.get(STATUS_ENV)
    if not folder or not os.path.isdir(folder):
        yield
        return
    path = os.path.join(folder, spec.trial_id)
    original = History.log
    start, last = time.perf_counter(), [0.0]

    def log(self, *, epoch, phase, loss, units, weights, seconds, **metrics):
        original(self, epoch=epoch, phase=phase, loss=loss, units=units, weights=weights,
                 seconds=seconds, **metrics)
        now = time.perf_counter()
        if now - last[0] >= 0.5:
            last[0] = now
            with contextlib.suppress(Exception):
                text = json.dumps(dict(trial=str(spec), epoch=int(epoch), units=int(units),
                                       weights=int(weights), phase=str(phase),
                                       elapsed=now - start))
                tmp = f"{path}.{os.getpid()}.tmp"
                with open(tmp, "w") as fh:
                    fh.write(text)
                os.replace(tmp, path)

    History.log = log
    try:
        yield
    finally:
        History.log = original
        with contextlib.suppress(OSError):
            os.remove(path)


def _run_trial(spec, plugins, threads, save_network):
    row = dict(trial_id=spec.trial_id, algorithm=spec.algorithm, label=spec.label,
               params=spec.params, dataset=spec.dataset, seed=spec.seed)
    history = network = None
    start = time.perf_counter()
    try:
        from ..network import Network
        from .registry import TRIALS, load_trials

        load_plugins(plugins)
        load_trials()
        if spec.algorithm not in TRIALS:
            raise KeyError(f"algorithm {spec.algorithm!r} is not registered in this worker "
                           f"(registered: {sorted(TRIALS)}); pass the module that registers it "
                           "as a plugin")
        with blas_threads(threads), _live_status(spec):
            out = TRIALS[spec.algorithm].fn(spec.dataset, spec.seed, **spec.call_params)
        wall = time.perf_counter() - start
        if not isinstance(out, tuple) or len(out) not in (2, 3):
            raise TypeError(f"trial {spec.algorithm!r} must return (row, history) or "
                            f"(row, history, network), got {type(out).__name__}")
        metrics, hist = out[0], out[1]
        net = out[2] if len(out) == 3 else getattr(out, "network", None)
        if not isinstance(metrics, dict):
            raise TypeError(f"trial {spec.algorithm!r} returned a row of type "
                            f"{type(metrics).__name__}, expected dict")
        clash = sorted(set(metrics) & set(RESERVED))
        if clash:
            raise ValueError(f"trial {spec.algorithm!r} returned reserved row keys {clash}")
        if hist is not None and not isinstance(hist, History):
            raise TypeError(f"trial {spec.algorithm!r} returned a history of type "
                            f"{type(hist).__name__}, expected structlearn.History")
        if net is not None and not isinstance(net, Network):
            raise TypeError(f"trial {spec.algorithm!r} returned a network of type "
                            f"{type(net).__name__}, expected structlearn.Network")
        metrics = plain(metrics)
        json.dumps(metrics, allow_nan=False)  # fail here, in the trial's row, not later
        history = None if hist is None else plain(hist.to_dict())
        if history is not None:
            json.dumps(history, allow_nan=False)
        network = _network_bytes(net) if (net is not None and save_network) else None
        row["status"] = "ok"
        row.update(metrics)
        row["error"] = None
    except Exception as exc:  # the run goes on: the error is the row
        wall = time.perf_counter() - start
        row["status"] = "error"
        row["error"] = _error_info(exc)
        history = network = None
    row["wall_time"] = wall
    row["env"] = environment()
    return dict(row=row, history=history, network=network)


# --------------------------------------------------------------- reading

def read_lines(fh, limit):
    """``(number, line)`` for every line of ``fh`` (the last one without its newline when
    the file does not end with one); a line longer than ``limit`` bytes comes as ``None``
    and is never held in memory whole."""
    number = 0
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            while (more := fh.readline(1 << 20)) and not more.endswith(b"\n"):
                pass
            yield number, None
            continue
        yield number, line


_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
#: the keys every row has, with their types (a row is skipped when one is missing or wrong)
_ROW_KEYS = {"trial_id": str, "algorithm": str, "dataset": str, "seed": int, "status": str}
#: keys a row may lack, and the types they must have when present (None always allowed)
_OPTIONAL_KEYS = {"params": dict, "label": str, "error": dict, "env": dict,
                  "wall_time": (int, float), "curve": str, "network": str}


def row_problem(row) -> str | None:
    """What makes ``row`` unusable as a result row (None when it is fine).

    Every reader goes through this (the report, resume): a row that parses but lacks a
    configuration key, or has one of the wrong type, is reported and skipped, never a
    ``KeyError`` further on.
    """
    if not isinstance(row, dict):
        return f"expected a JSON object, got {type(row).__name__}"
    for key, kind in _ROW_KEYS.items():
        if key not in row:
            return f"missing key {key!r}"
        value = row[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"{key}: expected {kind.__name__}, got {type(value).__name__} {value!r:.60}"
    if not _ID.fullmatch(row["trial_id"]):
        return (f"trial_id: expected 1 to 128 letters, digits, '_' or '-', got "
                f"{row['trial_id']!r:.60}")
    if row["status"] not in ("ok", "error"):
        return f"status: expected 'ok' or 'error', got {row['status']!r:.60}"
    for key, kind in _OPTIONAL_KEYS.items():
        value = row.get(key)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            want = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            return f"{key}: expected {want} or null, got {type(value).__name__} {value!r:.60}"
    return None


def read_results(out_dir, warn=None) -> list[dict]:
    """Every complete, well-formed row of ``DIR/results.jsonl`` in file order.

    A last line without its newline (a run killed while writing) is ignored;
    an unreadable or malformed line elsewhere (see :func:`row_problem`) is skipped and
    reported through ``warn``. Only a regular file is read, one bounded line at a time.
    """
    path = os.path.join(out_dir, RESULTS) if os.path.isdir(out_dir) else out_dir
    if not os.path.lexists(path):
        return []
    rows = []
    with open_regular(path, error=ResultsStoreError) as fh:
        for number, line in read_lines(fh, MAX_ROW_BYTES):
            if line is None:
                if warn:
                    warn(f"{path}:{number}: skipped a line longer than {MAX_ROW_BYTES} bytes")
                continue
            if not line.endswith(b"\n"):
                if line.strip() and warn:
                    warn(f"{path}: ignored a truncated last line ({len(line)} bytes; killed run?)")
                break
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except (ValueError, RecursionError) as exc:
                if warn:
                    warn(f"{path}:{number}: skipped an unreadable line ({exc})")
                continue
            problem = row_problem(row)
            if problem:
                if warn:
                    tid = row.get("trial_id") if isinstance(row, dict) else None
                    which = f" (trial {tid!r:.40})" if isinstance(tid, str) else ""
                    warn(f"{path}:{number}: skipped a malformed row{which}: {problem}")
                continue
            rows.append(row)
    return rows


def row_file(out_dir, row, key, max_bytes=None) -> str | None:
    """The path of a row's ``curve`` or ``network`` file, confined to ``out_dir``.

    Returns None when the row has none. Raises ValueError when the path is absolute, leads
    outside ``out_dir`` (``..``, a symbolic link), is not a regular file, or is larger than
    ``max_bytes``: a results folder from elsewhere cannot make the report read
    ``/dev/zero`` or a file outside it.
    """
    rel = row.get(key)
    if rel is None:
        return None
    if not isinstance(rel, str) or not rel or os.path.isabs(rel) or "\0" in rel:
        raise ValueError(f"{key}: expected a relative path inside the results folder, "
                         f"got {rel!r:.80}")
    root = os.path.realpath(out_dir)
    path = os.path.realpath(os.path.join(root, rel))
    if os.path.commonpath([root, path]) != root or path == root:
        raise ValueError(f"{key}: expected a path inside the results folder, got {rel!r:.80}")
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{key}: expected a regular file, got {rel!r:.80}")
    if max_bytes is not None and info.st_size > max_bytes:
        raise ValueError(f"{key}: expected a file of at most {max_bytes} bytes, got "
                         f"{info.st_size} bytes in {rel!r:.80}")
    return path


def final_rows(rows) -> dict:
    """Per trial_id, the row that counts: the last "ok" row, else the last row."""
    out = {}
    for row in rows:
        tid = row["trial_id"]
        if row.get("status") == "ok" or out.get(tid, {}).get("status") != "ok":
            out[tid] = row
    return out


def comparable(row) -> dict:
    """A row without its timing and environment columns (for comparing runs)."""
    return {k: v for k, v in row.items() if k not in TIMING_COLUMNS}


# --------------------------------------------------------------- the store
#: stores open in this process: a forked child closes their descriptors (it must neither
#: write rows nor keep the lock alive after the run dies)
_OPEN_STORES = weakref.WeakSet()


def _close_in_child():
    for store in list(_OPEN_STORES):
        store._forget_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)


def _lock_fd(fd):
    """Take the exclusive lock on ``fd`` without waiting; False when someone holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _unlock_fd(fd):
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


def _describe_holder(path):
    """The lock file's description of its holder, in words (bounded read)."""
    try:
        with open_regular(path, error=ResultsStoreError) as fh:
            info = json.loads(fh.read(_MAX_LOCK_BYTES) or b"{}")
    except (OSError, ValueError, RecursionError, ResultsStoreError):
        info = {}
    if not isinstance(info, dict) or not info:
        return "a run that has not said who it is yet (or an older structlearn)"
    bits = [f"pid {info.get('pid', '?')} on host {info.get('host', '?')}"]
    if info.get("started"):
        bits.append(f"started {info['started']}")
    if info.get("command"):
        bits.append(f"command: {str(info['command'])[:300]}")
    return ", ".join(bits)


class ResultsStore:
    """The one owner of a results directory: its lock, its rows and its trial files.

    ::

        with ResultsStore("results", command="structlearn bench quick") as store:
            run_suite(specs, store)

    Opening creates ``out`` if needed and takes an exclusive ``fcntl.flock`` on
    ``out/run.lock`` without waiting: when another live run holds it,
    :class:`ResultsLockedError` names that run (pid, host, start time, command) and nothing in
    ``out`` is touched. The lock is held until :meth:`close` (or the process dies: the kernel
    releases it, so no stale lock survives a ``kill -9``). Everything that changes ``out``
    (appending rows, writing trial files, :meth:`clear` for ``--overwrite``, the run log)
    goes through an open store.

    Parameters
    ----------
    out : path
        The results directory.
    command : str, optional
        What is writing (shown to a run that is refused).
    warn : callable, optional
        Receives warnings (a truncated last line cut off, malformed rows skipped).
    """

    def __init__(self, out, *, command=None, warn=None):
        self.out = os.fspath(out)
        self.command = command if command is not None else " ".join(sys.argv)
        self.warn = warn or (lambda msg: print(f"structlearn: {msg}", file=sys.stderr))
        self._lock = self._fd = None
        self._ident = None
        self._owner = None

    # -------------------------------------------------------------- lock
    @property
    def is_open(self) -> bool:
        return self._lock is not None and self._owner == os.getpid()

    def open(self) -> "ResultsStore":
        """Take the lock (refused at once when held elsewhere); returns ``self``."""
        if self._lock is not None:
            raise ResultsStoreError(f"{self.out}: this store is already open")
        os.makedirs(self.out, exist_ok=True)
        path = os.path.join(self.out, LOCK)
        flags = (os.O_RDWR | os.O_CREAT | getattr(os, "O_NONBLOCK", 0)
                 | getattr(os, "O_CLOEXEC", 0))
        for _ in range(10):
            fd = os.open(path, flags, 0o644)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise ResultsStoreError(f"{path}: the lock file is not a regular file")
                if not _lock_fd(fd):
                    raise ResultsLockedError(
                        f"{self.out} is in use by another run ({_describe_holder(path)}); "
                        "wait for it to finish, or choose another --out")
                # someone removed or replaced the lock file between our open and our lock:
                # the lock we hold guards nothing, take the new file's
                try:
                    same = os.path.samestat(os.fstat(fd), os.stat(path))
                except FileNotFoundError:
                    same = False
            except BaseException:
                os.close(fd)
                raise
            if same:
                break
            _unlock_fd(fd)
            os.close(fd)
        else:  # pragma: no cover - only under a storm of deletions
            raise ResultsStoreError(f"{path}: the lock file keeps being replaced")
        self._lock, self._owner = fd, os.getpid()
        _OPEN_STORES.add(self)
        try:
            holder = dict(pid=os.getpid(), host=socket.gethostname(), command=self.command,
                          started=time.strftime("%Y-%m-%d %H:%M:%S"))
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, json.dumps(holder).encode())
            os.fsync(fd)
            self._open_results()
        except BaseException:
            self.close()
            raise
        return self

    def close(self):
        """Release the lock (clearing the holder's description) and close the files."""
        if self._lock is None:
            return
        if self._owner != os.getpid():  # a forked copy: never release the parent's lock
            self._forget_in_child()
            return
        try:
            if self._fd is not None:
                os.close(self._fd)
        finally:
            self._fd = None
            fd, self._lock = self._lock, None
            _OPEN_STORES.discard(self)
            try:
                os.ftruncate(fd, 0)
                _unlock_fd(fd)
            finally:
                os.close(fd)

    def _forget_in_child(self):
        """In a forked child: close the inherited descriptors without unlocking (an unlock
        here would release the parent's lock, which is shared through the fork)."""
        for fd in (self._fd, self._lock):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fd = self._lock = None

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()

    def _check_open(self):
        if not self.is_open:
            raise ResultsStoreError(f"{self.out}: the results store is not open (use "
                                    "'with ResultsStore(out) as store:')")

    # ------------------------------------------------------------- files
    @property
    def results_path(self) -> str:
        return os.path.join(self.out, RESULTS)

    def _open_results(self):
        for sub in ("curves", "networks"):
            os.makedirs(os.path.join(self.out, sub), exist_ok=True)
        path = self.results_path
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0), 0o644)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise ResultsStoreError(f"{path}: not a regular file")
        self._fd, self._ident = fd, (info.st_dev, info.st_ino)
        keep = self._last_line_end(info.st_size)
        if keep < info.st_size:
            # cut a truncated last line so the next row starts on a line of its own
            self.warn(f"{path}: removed a truncated last line ({info.st_size - keep} bytes)")
            os.ftruncate(fd, keep)

    def _last_line_end(self, size):
        """Offset just after the last newline of results.jsonl (0 if none), reading backwards."""
        pos = size
        while pos > 0:
            start = max(0, pos - (1 << 16))
            os.lseek(self._fd, start, os.SEEK_SET)
            chunk = os.read(self._fd, pos - start)
            i = chunk.rfind(b"\n")
            if i >= 0:
                return start + i + 1
            pos = start
        return 0

    def _check_same_file(self):
        """results.jsonl must still be the file this store opened: rows appended to a file
        that was removed or replaced would be lost without a word."""
        try:
            now = os.stat(self.results_path)
        except FileNotFoundError:
            now = None
        if now is None or (now.st_dev, now.st_ino) != self._ident or \
                os.fstat(self._fd).st_nlink == 0:
            raise ResultsStoreError(
                f"{self.results_path} was removed or replaced while this run was writing it "
                f"(not by structlearn: this run holds {os.path.join(self.out, LOCK)}); "
                "stopping so that no more rows are lost")

    def has_rows(self) -> bool:
        self._check_open()
        return os.fstat(self._fd).st_size > 0

    def read(self) -> list[dict]:
        """The rows of ``results.jsonl`` (see :func:`read_results`)."""
        self._check_open()
        return read_results(self.results_path, self.warn)

    def done(self) -> set:
        """The trial_ids with an ``"ok"`` row."""
        return {tid for tid, r in final_rows(self.read()).items() if r.get("status") == "ok"}

    def clear(self):
        """Start afresh (``--overwrite``): remove the rows, the trial files and the run log.

        Only the holder of the lock can do this, so it never removes what a live run owns.
        """
        self._check_open()
        os.ftruncate(self._fd, 0)
        for sub, suffix in (("curves", ".json"), ("networks", ".npz")):
            folder = os.path.join(self.out, sub)
            for name in os.listdir(folder):
                full = os.path.join(folder, name)
                if name.endswith(suffix) and os.path.isfile(full) and not os.path.islink(full):
                    os.remove(full)
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(self.out, RUNS))

    def _append(self, fd, line):
        view = memoryview(line)
        while view:  # a regular file takes it in one write; loop only for safety
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)

    def write(self, payload) -> dict:
        """Write a trial's files, then its row (one ``write`` of the whole line, ``fsync``)."""
        self._check_open()
        self._check_same_file()
        row = dict(payload["row"])
        tid = row["trial_id"]
        if not _ID.fullmatch(str(tid)):
            raise ValueError(f"trial_id: expected letters, digits, '_' or '-', got {tid!r:.60}")
        row["curve"] = row["network"] = None
        if payload.get("history") is not None:
            rel = f"curves/{tid}.json"
            atomic_write(os.path.join(self.out, rel), json.dumps(payload["history"]).encode())
            row["curve"] = rel
        if payload.get("network") is not None:
            rel = f"networks/{tid}.npz"
            atomic_write(os.path.join(self.out, rel), payload["network"])
            row["network"] = rel
        self._append(self._fd, (json.dumps(row, allow_nan=False) + "\n").encode())
        return row

    def log_run(self, entry: dict):
        """Append one line describing a ``bench`` command to ``DIR/runs.jsonl``."""
        self._check_open()
        fd = os.open(os.path.join(self.out, RUNS), os.O_WRONLY | os.O_CREAT | os.O_APPEND
                     | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ResultsStoreError(f"{os.path.join(self.out, RUNS)}: not a regular file")
            self._append(fd, (json.dumps(entry) + "\n").encode())
        finally:
            os.close(fd)


# ---------------------------------------------------------------- progress
def live_progress_wanted(stream) -> bool:
    """Whether to draw a live status line: a terminal, and not CI (``CI`` set)."""
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")


class _Progress:
    """A line per finished trial with the running count and ETA, and, on a terminal, a live
    status line of the trials running (their epoch, size, time and expected time left).

    In files, pipes and CI (the ``CI`` variable set) only the per-trial lines are printed.
    """

    def __init__(self, total, enabled, stream=None, live=None, threaded=True):
        self.total, self.done, self.enabled = total, 0, enabled
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.bar = None
        self.live = bool(enabled and total and (live_progress_wanted(self.stream)
                                                if live is None else live))
        self.status_dir = None
        self._lock = threading.Lock()
        self._drawn = False
        self._costs = {}  # (algorithm, dataset, label) -> wall times of finished trials
        if self.live:
            self.status_dir = tempfile.mkdtemp(prefix="structlearn-status-")
            self._old_env = os.environ.get(STATUS_ENV)
            os.environ[STATUS_ENV] = self.status_dir  # workers started from now inherit it
            self._stop = threading.Event()
            self._thread = None
            self._last_draw = 0.0
            if threaded:  # trials in this process: a thread redraws the line. With worker
                # processes the main thread calls tick() while it waits (no thread, so the
                # pool may still fork its workers)
                self._thread = threading.Thread(target=self._watch, daemon=True,
                                                name="structlearn-progress")
                self._thread.start()

    def tick(self):
        """Redraw the live line if a second has passed (called while waiting for trials)."""
        if self.live and time.perf_counter() - self._last_draw >= 1.0:
            self._last_draw = time.perf_counter()
            with contextlib.suppress(Exception):
                self._draw()

    # the live line
    def _watch(self):
        while not self._stop.wait(1.0):
            with contextlib.suppress(Exception):
                self._draw()

    def status_line(self):
        """The live line: each running trial's epoch, size, elapsed time and ETA."""
        parts = []
        for name in sorted(os.listdir(self.status_dir)):
            if name.endswith(".tmp"):
                continue
            try:
                with open(os.path.join(self.status_dir, name)) as fh:
                    st = json.load(fh)
            except (OSError, ValueError):
                continue
            spec_text = st.get("trial", name)
            bit = (f"{spec_text}: epoch {st['epoch']}, {st['units']} units, "
                   f"{st['weights']} weights, {_fmt_time(st['elapsed'])}")
            key = tuple(spec_text.split(" seed=")[0].split(" ", 1))
            known = self._costs.get(key)
            if known:
                left = max(0.0, float(np.mean(known)) - st["elapsed"])
                bit += f", ETA {_fmt_time(left)}"
            parts.append(bit)
        return " | ".join(parts)

    def _draw(self):
        line = self.status_line()
        with self._lock:
            if not line and not self._drawn:
                return
            cols = shutil.get_terminal_size((120, 20)).columns
            self.stream.write("\r\033[K" + line[:max(10, cols - 1)])
            self.stream.flush()
            self._drawn = bool(line)

    def _clear(self):
        if self._drawn:
            self.stream.write("\r\033[K")
            self._drawn = False

    def update(self, row):
        self.done += 1
        if row.get("status") == "ok" and row.get("wall_time") is not None:
            key = (row["algorithm"] + (f" [{row['label']}]" if row.get("label") else ""),
                   row["dataset"])
            self._costs.setdefault(key, []).append(float(row["wall_time"]))
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        spec = TrialSpec.from_dict(row)
        if row.get("status") == "ok":
            bits = []
            if row.get("test_accuracy") is not None:
                bits.append(f"test acc {row['test_accuracy']:.3f}")
            if row.get("hidden_units") is not None:
                bits.append(f"{row['hidden_units']} hidden")
            if row.get("epochs") is not None:
                bits.append(f"{row['epochs']} epochs")
            what = ("solved" if row.get("success") else "ok") + (", " + ", ".join(bits) if bits else "")
        else:
            err = row.get("error") or {}
            what = f"ERROR {err.get('type')}: {str(err.get('message', ''))[:80]}"
        width = len(str(self.total))
        line = (f"[{self.done:>{width}}/{self.total}] {spec}: {what} ({row['wall_time']:.1f} s)"
                f"  | elapsed {_fmt_time(elapsed)}, ETA {_fmt_time(eta)}")
        with self._lock:
            self._clear()
            print(line, file=self.stream, flush=True)

    def close(self):
        if self.live:
            self._stop.set()
            if self._thread is not None:
                self._thread.join(timeout=5)
            with self._lock:
                self._clear()
                self.stream.flush()
            if self._old_env is None:
                os.environ.pop(STATUS_ENV, None)
            else:
                os.environ[STATUS_ENV] = self._old_env
            shutil.rmtree(self.status_dir, ignore_errors=True)


def _fmt_time(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


# --------------------------------------------------------------- executors
def import_dask():
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExtraMissingError("--dask needs Dask distributed, an optional extra: "
                                "pip install 'structlearn[dask]'") from None
    return Client, LocalCluster


@contextlib.contextmanager
def _dask_executor(address, jobs, plugins, threads):
    """A concurrent.futures executor on a Dask cluster (``"local"`` starts one)."""
    import logging

    Client, LocalCluster = import_dask()
    with contextlib.ExitStack() as stack:
        if address == "local":
            with blas_env(threads):
                cluster = stack.enter_context(LocalCluster(
                    n_workers=jobs or 2, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(Client(address))
        for plugin in plugins:
            if plugin.endswith(".py") and os.path.isfile(plugin):
                client.upload_file(plugin)  # remote workers import it by module name
        executor = client.get_executor(pure=False)
        try:
            yield executor
        finally:
            executor.shutdown(wait=False)


# --------------------------------------------------------------------- run
@dataclass
class RunSummary:
    """What :func:`run_suite` did."""

    out: str
    total: int = 0
    skipped: int = 0
    ok: int = 0
    errors: int = 0
    interrupted: bool = False
    rows: list = field(default_factory=list)

    @property
    def ran(self) -> int:
        return self.ok + self.errors


def run_suite(specs, out, *, jobs=1, resume=False, overwrite=False, dask=None, plugins=(),
              threads=1, save_networks=True, progress=True, warn=None) -> RunSummary:
    """Run ``specs`` and append their rows to ``out/results.jsonl``.

    Parameters
    ----------
    specs : list of TrialSpec
        From :func:`~structlearn.bench.suites.build_suite`.
    out : path or ResultsStore
        Output directory (created if needed), locked for the run's duration by a
        :class:`ResultsStore`; or a store the caller has opened (and keeps open, to write
        the report under the same lock).
    jobs : int, default 1
        Worker processes (1 to :data:`MAX_JOBS`); 1 runs the trials in this process.  With
        ``dask``, the number of workers of a local cluster.
    resume : bool
        Skip trials that already have an ``"ok"`` row in ``out``; retry errors.
    overwrite : bool
        Start afresh when ``out`` already has rows (:meth:`ResultsStore.clear`).
    dask : str, optional
        ``"local"`` (a ``LocalCluster`` of ``jobs`` single-threaded worker
        processes) or a scheduler address such as ``"tcp://10.0.0.5:8786"``.
    plugins : sequence of str
        Modules or ``.py`` files registering extra trials; imported in every worker.
    threads : int, default 1
        BLAS threads per trial (1 to :data:`MAX_JOBS`).
    save_networks : bool, default True
        Save the final network of trials that return one.
    progress : bool
        Print a line per finished trial.
    warn : callable, optional
        Receives warnings (default: print to stderr).

    Returns
    -------
    RunSummary

    Raises
    ------
    ResultsLockedError
        When another live run holds ``out`` (the message names it); nothing is changed.
    ResultsExistError
        When ``out`` holds rows and neither ``resume`` nor ``overwrite`` is set.
    """
    warn = warn or (lambda msg: print(f"structlearn: {msg}", file=sys.stderr))
    validate_params(dict(jobs=jobs, threads=threads, resume=resume, overwrite=overwrite,
                         save_networks=save_networks),
                    dict(jobs=[Interval(int, 1, MAX_JOBS)], threads=[Interval(int, 1, MAX_JOBS)],
                         resume=["boolean"], overwrite=["boolean"], save_networks=["boolean"]))
    jobs, threads = int(jobs), int(threads)
    if resume and overwrite:
        raise ValueError("resume and overwrite exclude each other")
    if dask is not None and not isinstance(dask, str):
        raise TypeError(f"dask: expected 'local', a scheduler address or None, got "
                        f"{type(dask).__name__} {dask!r}")
    specs = list(specs)
    for s in specs:
        if not isinstance(s, TrialSpec):
            raise TypeError(f"specs: expected TrialSpec objects, got {type(s).__name__}")
    plugins = [os.path.abspath(p) if isinstance(p, str) and p.endswith(".py")
               and os.path.isfile(p) else p for p in (plugins or ())]
    load_plugins(plugins)  # fail early, here, on a bad plugin
    if dask is not None:
        import_dask()  # and on a missing extra, before any file is created
    if isinstance(out, ResultsStore):
        store, own = out, contextlib.nullcontext(out)
        store._check_open()
    else:
        store = ResultsStore(out, warn=warn)
        own = store
    with own:
        return _run_in_store(specs, store, jobs, resume, overwrite, dask, plugins, threads,
                             save_networks, progress, warn)


def _run_in_store(specs, store, jobs, resume, overwrite, dask, plugins, threads,
                  save_networks, progress, warn):
    """The run, with the store's lock held: nothing else writes ``store.out`` meanwhile."""
    if store.has_rows() and not (resume or overwrite):
        raise ResultsExistError(f"{store.results_path} already holds results: pass "
                                "--resume to continue that run, --overwrite to start afresh, "
                                "or choose another --out")
    if overwrite:
        store.clear()
    summary = RunSummary(out=store.out, total=len(specs))
    if resume:
        done = store.done()
        todo = [s for s in specs if s.trial_id not in done]
        summary.skipped = len(specs) - len(todo)
    else:
        todo = specs
    bar = _Progress(len(todo), progress, threaded=(dask is None and jobs == 1))
    if progress and summary.skipped:
        print(f"resuming: {summary.skipped} of {len(specs)} trials already done", file=sys.stderr)

    def record(payload):
        row = store.write(payload)
        summary.rows.append(row)
        if row["status"] == "ok":
            summary.ok += 1
        else:
            summary.errors += 1
        bar.update(row)

    try:
        if not todo:
            pass
        elif dask is None and jobs == 1:
            for spec in todo:
                record(run_trial(spec, plugins, threads, save_networks))
        else:
            _run_parallel(todo, jobs, dask, plugins, threads, save_networks, record, bar.tick)
    except KeyboardInterrupt:
        summary.interrupted = True
        warn(f"interrupted: {summary.ran} of {len(todo)} trials finished and saved; "
             "run again with --resume to continue")
    finally:
        bar.close()
    return summary


# ------------------------------------------------------------ worker processes
def _cost_hint(spec):
    """A rough relative cost of a trial from its data set (bigger first keeps workers busy
    to the end: a long trial submitted last would run alone)."""
    d = spec.dataset
    if "mnist" in d:
        return 1000 if not d.endswith("_small") else 100
    if d == "two_spirals":
        return 10
    digits = "".join(c for c in d if c.isdigit())
    return 1 + (2 ** int(digits) / 64 if digits else 0)


def _run_parallel(todo, jobs, dask, plugins, threads, save_networks, record, tick=None):
    """Submit every trial (the costliest data sets first); record each as it finishes."""
    todo = sorted(todo, key=_cost_hint, reverse=True)  # stable: suite order within a class
    if dask is not None:
        # Dask retries tasks of dead workers itself (then raises KilledWorker)
        with _dask_executor(dask, jobs, plugins, threads) as executor:
            _drain(executor, todo, plugins, threads, save_networks, record, None, tick)
        return
    # A worker process that dies (segfault, out of memory) breaks the whole pool and
    # fails every pending future.  Each trial marks itself as running in a scratch
    # folder, so the parent knows which trials were in flight (the suspects): those are
    # rerun alone, one per fresh single-worker pool, which pins the crash on the
    # culprit; the trials that never started are resubmitted to a fresh pool.
    pending, quiet_breaks = list(todo), 0
    jobs = min(jobs, len(todo))  # never more workers than trials
    with tempfile.TemporaryDirectory(prefix="structlearn-running-") as running:
        while pending:
            with process_pool(jobs, threads=threads) as executor:
                broken = _drain(executor, pending, plugins, threads, save_networks, record,
                                running, tick)
            suspects = [s for s in broken if os.path.exists(os.path.join(running, s.trial_id))]
            pending = [s for s in broken if s not in suspects]
            for spec in suspects:
                os.remove(os.path.join(running, spec.trial_id))
                with process_pool(1, threads=threads) as executor:
                    if _drain(executor, [spec], plugins, threads, save_networks, record,
                              running, tick):
                        record(_failed_payload(spec, cf.process.BrokenProcessPool(
                            "the worker process running this trial died (a crash or out of "
                            "memory), twice, the second time running this trial alone")))
            quiet_breaks = quiet_breaks + 1 if (broken and not suspects) else 0
            if quiet_breaks >= 2:  # workers die before any trial starts: give up cleanly
                for spec in pending:
                    record(_failed_payload(spec, cf.process.BrokenProcessPool(
                        "worker processes keep dying before starting a trial")))
                pending = []


def _completed(futures, tick):
    """``cf.as_completed``, calling ``tick()`` about every second while it waits."""
    if tick is None:
        yield from cf.as_completed(futures)
        return
    pending = set(futures)
    while pending:
        done, pending = cf.wait(pending, timeout=1.0, return_when=cf.FIRST_COMPLETED)
        yield from done
        tick()


def _drain(executor, specs, plugins, threads, save_networks, record, running, tick=None):
    """Run ``specs`` on ``executor``, recording each result; return the specs
    whose worker process died (BrokenProcessPool) instead of answering."""
    broken = []
    futures = {executor.submit(run_trial, s.to_dict(), plugins, threads, save_networks,
                               running): s for s in specs}
    try:
        for fut in _completed(futures, tick):
            spec = futures[fut]
            try:
                payload = fut.result()
            except cf.process.BrokenProcessPool:
                broken.append(spec)
                continue
            except Exception as exc:  # the executor failed, not the trial (e.g. KilledWorker)
                payload = _failed_payload(spec, exc)
            record(payload)
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    return broken


def _failed_payload(spec, exc):
    row = dict(trial_id=spec.trial_id, algorithm=spec.algorithm, label=spec.label,
               params=spec.params, dataset=spec.dataset, seed=spec.seed, status="error",
               error=_error_info(exc), wall_time=0.0, env=environment())
    row["error"]["message"] = (f"{row['error']['message']} (the executor failed, not the "
                               "trial code; run again with --resume to retry)")
    return dict(row=row, history=None, network=None)
