"""Run suites of trials and keep their results safe.

Layout of an output directory::

    DIR/results.jsonl            one JSON row per finished trial (appended)
    DIR/curves/<trial_id>.json   the trial's History (per-epoch rows and events)
    DIR/networks/<trial_id>.npz  the trial's final network, when it returned one

Guarantees:

* A row is written with a single ``write`` of one complete line, then flushed
  and ``fsync``-ed, so a run killed at any moment loses at most the trials in
  flight.  A truncated last line (the process died inside the write) is
  ignored when reading and cut off before appending.
* The curve and network files are written atomically
  (:func:`structlearn.files.atomic_write`: temporary file, then ``os.replace``)
  *before* the row, so a row never points at a missing file.
* A trial that raises becomes a row with ``status: "error"`` and the
  exception's type, message and traceback; the run goes on.  ``resume=True``
  skips trials with an ``"ok"`` row and retries the errors.
* Trials run in worker processes (``jobs > 1``, the one process pool of
  :func:`structlearn.parallel.process_pool`), in this process (``jobs == 1``),
  or on a Dask cluster (``dask="local"`` or an address); each runs with BLAS
  limited to ``threads`` threads, so the rows are the same on every path (up
  to the timing and environment columns: ``wall_time``, ``env``).
* Everything is computed on the workers and written here, by the parent, so a
  remote cluster needs no shared file system.
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field

from ..files import atomic_write
from ..history import History, plain
from ..parallel import blas_env, blas_threads, process_pool
from .suites import TrialSpec, load_plugins

__all__ = ["run_suite", "run_trial", "RunSummary", "ResultsExistError", "ExtraMissingError",
           "read_results",
           "final_rows", "environment", "RESULTS", "TIMING_COLUMNS", "comparable"]

RESULTS = "results.jsonl"
#: columns that legitimately differ between two runs of the same trial
TIMING_COLUMNS = ("wall_time", "env")
#: keys the runner writes; a trial's row may not use them
RESERVED = ("trial_id", "algorithm", "label", "params", "dataset", "seed", "status", "error",
            "wall_time", "curve", "network", "env")


class ResultsExistError(ValueError):
    """The output directory already holds results and neither resume nor overwrite was asked."""


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


def environment() -> dict:
    """What ran the trial: versions, platform, CPU count, git commit (cached per process)."""
    if not _ENV_CACHE:
        import numpy

        import structlearn

        commit, dirty = _git_commit()
        _ENV_CACHE.update(structlearn=structlearn.__version__, numpy=numpy.__version__,
                          python=platform.python_version(), platform=platform.platform(),
                          machine=platform.machine(), cpu_count=os.cpu_count(),
                          git_commit=commit, git_dirty=dirty)
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
        with blas_threads(threads):
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


# --------------------------------------------------------------- results file
def read_results(out_dir, warn=None) -> list[dict]:
    """Every complete row of ``DIR/results.jsonl`` in file order.

    A last line without its newline (a run killed while writing) is ignored;
    an unreadable line elsewhere is skipped and reported through ``warn``.
    """
    path = os.path.join(out_dir, RESULTS) if os.path.isdir(out_dir) else out_dir
    if not os.path.exists(path):
        return []
    with open(path, "rb") as fh:
        data = fh.read()
    lines = data.split(b"\n")
    complete, tail = lines[:-1], lines[-1]  # tail is b"" when the file ends with "\n"
    rows = []
    for number, line in enumerate(complete, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or "trial_id" not in row:
                raise ValueError("not a result row")
        except ValueError as exc:
            if warn:
                warn(f"{path}:{number}: skipped an unreadable line ({exc})")
            continue
        rows.append(row)
    if tail.strip() and warn:
        warn(f"{path}: ignored a truncated last line ({len(tail)} bytes; killed run?)")
    return rows


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


class _ResultsWriter:
    """Appends rows (one ``os.write`` of a whole line + fsync) and writes trial files."""

    def __init__(self, out_dir, warn):
        self.out_dir = out_dir
        for sub in ("curves", "networks"):
            os.makedirs(os.path.join(out_dir, sub), exist_ok=True)
        path = os.path.join(out_dir, RESULTS)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        size = os.fstat(self.fd).st_size
        if size:
            # cut a truncated last line so the next row starts on a line of its own
            with open(path, "rb") as fh:
                data = fh.read()
            keep = data.rfind(b"\n") + 1
            if keep < size:
                warn(f"{path}: removed a truncated last line ({size - keep} bytes)")
                os.ftruncate(self.fd, keep)

    def write(self, payload) -> dict:
        row = dict(payload["row"])
        tid = row["trial_id"]
        row["curve"] = row["network"] = None
        if payload.get("history") is not None:
            rel = f"curves/{tid}.json"
            atomic_write(os.path.join(self.out_dir, rel),
                          json.dumps(payload["history"]).encode())
            row["curve"] = rel
        if payload.get("network") is not None:
            rel = f"networks/{tid}.npz"
            atomic_write(os.path.join(self.out_dir, rel), payload["network"])
            row["network"] = rel
        line = (json.dumps(row, allow_nan=False) + "\n").encode()
        view = memoryview(line)
        while view:  # a regular file takes it in one write; loop only for safety
            n = os.write(self.fd, view)
            view = view[n:]
        os.fsync(self.fd)
        return row

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


# ---------------------------------------------------------------- progress
class _Progress:
    """A line per finished trial with the running count and ETA (tqdm when installed)."""

    def __init__(self, total, enabled, stream=None):
        self.total, self.done, self.enabled = total, 0, enabled
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.bar = None
        if enabled and total and getattr(self.stream, "isatty", lambda: False)():
            try:
                from tqdm.auto import tqdm
                self.bar = tqdm(total=total, unit="trial", file=self.stream, leave=False)
            except ImportError:
                pass

    def update(self, row):
        self.done += 1
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
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
            self.bar.update(1)
        else:
            print(line, file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _fmt_time(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


# --------------------------------------------------------------- executors
def _import_dask():
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

    Client, LocalCluster = _import_dask()
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


def _has_rows(out_dir):
    path = os.path.join(out_dir, RESULTS)
    return os.path.exists(path) and os.path.getsize(path) > 0


def run_suite(specs, out, *, jobs=1, resume=False, overwrite=False, dask=None, plugins=(),
              threads=1, save_networks=True, progress=True, warn=None) -> RunSummary:
    """Run ``specs`` and append their rows to ``out/results.jsonl``.

    Parameters
    ----------
    specs : list of TrialSpec
        From :func:`~structlearn.bench.suites.build_suite`.
    out : path
        Output directory (created if needed).
    jobs : int, default 1
        Worker processes; 1 runs the trials in this process.  With ``dask``,
        the number of workers of a local cluster.
    resume : bool
        Skip trials that already have an ``"ok"`` row in ``out``; retry errors.
    overwrite : bool
        Start ``results.jsonl`` afresh when it already has rows.
    dask : str, optional
        ``"local"`` (a ``LocalCluster`` of ``jobs`` single-threaded worker
        processes) or a scheduler address such as ``"tcp://10.0.0.5:8786"``.
    plugins : sequence of str
        Modules or ``.py`` files registering extra trials; imported in every worker.
    threads : int, default 1
        BLAS threads per trial.
    save_networks : bool, default True
        Save the final network of trials that return one.
    progress : bool
        Print a line per finished trial.
    warn : callable, optional
        Receives warnings (default: print to stderr).

    Returns
    -------
    RunSummary
    """
    warn = warn or (lambda msg: print(f"structlearn: {msg}", file=sys.stderr))
    jobs = int(jobs)
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    if resume and overwrite:
        raise ValueError("resume and overwrite exclude each other")
    specs = list(specs)
    for s in specs:
        if not isinstance(s, TrialSpec):
            raise TypeError(f"specs must be TrialSpec objects, got {type(s).__name__}")
    plugins = [os.path.abspath(p) if p.endswith(".py") and os.path.isfile(p) else p
               for p in (plugins or ())]
    load_plugins(plugins)  # fail early, here, on a bad plugin
    if dask is not None:
        _import_dask()  # and on a missing extra, before any file is created
    os.makedirs(out, exist_ok=True)
    if _has_rows(out) and not (resume or overwrite):
        raise ResultsExistError(f"{os.path.join(out, RESULTS)} already holds results: pass "
                                "--resume to continue that run, --overwrite to start afresh, "
                                "or choose another --out")
    if overwrite and os.path.exists(os.path.join(out, RESULTS)):
        os.remove(os.path.join(out, RESULTS))
    summary = RunSummary(out=os.fspath(out), total=len(specs))
    if resume:
        done = {tid for tid, r in final_rows(read_results(out, warn)).items()
                if r.get("status") == "ok"}
        todo = [s for s in specs if s.trial_id not in done]
        summary.skipped = len(specs) - len(todo)
    else:
        todo = specs
    writer = _ResultsWriter(out, warn)
    bar = _Progress(len(todo), progress)
    if progress and summary.skipped:
        print(f"resuming: {summary.skipped} of {len(specs)} trials already done", file=sys.stderr)

    def record(payload):
        row = writer.write(payload)
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
            _run_parallel(todo, jobs, dask, plugins, threads, save_networks, record)
    except KeyboardInterrupt:
        summary.interrupted = True
        warn(f"interrupted: {summary.ran} of {len(todo)} trials finished and saved; "
             "run again with --resume to continue")
    finally:
        bar.close()
        writer.close()
    return summary


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


def _run_parallel(todo, jobs, dask, plugins, threads, save_networks, record):
    """Submit every trial (the costliest data sets first); record each as it finishes."""
    todo = sorted(todo, key=_cost_hint, reverse=True)  # stable: suite order within a class
    if dask is not None:
        # Dask retries tasks of dead workers itself (then raises KilledWorker)
        with _dask_executor(dask, jobs, plugins, threads) as executor:
            _drain(executor, todo, plugins, threads, save_networks, record, None)
        return
    # A worker process that dies (segfault, out of memory) breaks the whole pool and
    # fails every pending future.  Each trial marks itself as running in a scratch
    # folder, so the parent knows which trials were in flight (the suspects): those are
    # rerun alone, one per fresh single-worker pool, which pins the crash on the
    # culprit; the trials that never started are resubmitted to a fresh pool.
    pending, quiet_breaks = list(todo), 0
    with tempfile.TemporaryDirectory(prefix="structlearn-running-") as running:
        while pending:
            with process_pool(jobs, threads=threads) as executor:
                broken = _drain(executor, pending, plugins, threads, save_networks, record,
                                running)
            suspects = [s for s in broken if os.path.exists(os.path.join(running, s.trial_id))]
            pending = [s for s in broken if s not in suspects]
            for spec in suspects:
                os.remove(os.path.join(running, spec.trial_id))
                with process_pool(1, threads=threads) as executor:
                    if _drain(executor, [spec], plugins, threads, save_networks, record,
                              running):
                        record(_failed_payload(spec, cf.process.BrokenProcessPool(
                            "the worker process running this trial died (a crash or out of "
                            "memory), twice, the second time running this trial alone")))
            quiet_breaks = quiet_breaks + 1 if (broken and not suspects) else 0
            if quiet_breaks >= 2:  # workers die before any trial starts: give up cleanly
                for spec in pending:
                    record(_failed_payload(spec, cf.process.BrokenProcessPool(
                        "worker processes keep dying before starting a trial")))
                pending = []


def _drain(executor, specs, plugins, threads, save_networks, record, running):
    """Run ``specs`` on ``executor``, recording each result; return the specs
    whose worker process died (BrokenProcessPool) instead of answering."""
    broken = []
    futures = {executor.submit(run_trial, s.to_dict(), plugins, threads, save_networks,
                               running): s for s in specs}
    try:
        for fut in cf.as_completed(futures):
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
