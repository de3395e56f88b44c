"""The one process pool: how structlearn runs work in other processes.

Used by the benchmark harness (``--jobs``) and by ``CascadeCorrelation.fit_trials(n_jobs=...)``.
One rule decides how workers start, one context limits their BLAS threads, so a trial gives the
same numbers whichever path ran it.
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import sys
import threading
import time

__all__ = ["start_method", "process_pool", "blas_threads", "blas_env", "die_with_parent"]

_BLAS_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def start_method() -> str:
    """``"fork"`` where it is safe, else ``"spawn"``.

    A forked worker starts at once, with numpy, structlearn and the caller's modules already
    imported (a spawned one spends about a second importing them). Fork is used only on Linux
    (macOS system libraries are not fork-safe), when this process runs no other Python thread
    (forking a threaded process can deadlock the child: a notebook, a Dask client) and when
    threadpoolctl is there to limit the BLAS threads the worker inherits (the environment
    variables act only when numpy is first imported).
    """
    import multiprocessing
    import threading

    if (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1):
        try:
            import threadpoolctl  # noqa: F401
            return "fork"
        except ImportError:
            pass
    return "spawn"


@contextlib.contextmanager
def blas_threads(n):
    """Limit BLAS/OpenMP threads to ``n`` in this process while the block runs."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        yield
        return
    with threadpool_limits(limits=n):
        yield


@contextlib.contextmanager
def blas_env(n):
    """Set the BLAS thread variables for child processes started inside the block."""
    old = {k: os.environ.get(k) for k in _BLAS_VARS}
    os.environ.update({k: str(n) for k in _BLAS_VARS})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


#: prctl option: the signal the kernel sends this process when its parent dies (Linux)
_PR_SET_PDEATHSIG = 1


def _watch_parent(parent):
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def die_with_parent(parent=None):
    """Make this (worker) process die when its parent does.

    On Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the moment the
    parent dies, whatever the worker is doing (computing, blocked on a pipe). Elsewhere a
    daemon thread polls the parent's pid. Either way, a parent that died before this call
    ends the worker at once.

    Parameters
    ----------
    parent : int, optional
        The pid of the parent that must stay alive (default: the current parent).
    """
    parent = os.getppid() if parent is None else int(parent)
    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                         name="structlearn-watch-parent").start()


def _default_worker_init(parent, extra=None):
    # A forked worker inherits the parent's SIGTERM handler (the CLI installs one); the pool
    # stops its workers with SIGTERM, which must end them at once.
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)  # a killed parent (kill -9) leaves no orphaned workers
    if extra is not None:
        extra()


@contextlib.contextmanager
def process_pool(max_workers, *, threads=1, initializer=None):
    """A :class:`concurrent.futures.ProcessPoolExecutor` with the project's start rule.

    Parameters
    ----------
    max_workers : int
        Worker processes.
    threads : int, default 1
        BLAS threads per worker (set in the environment for spawned workers, and limited with
        threadpoolctl in forked ones by :func:`blas_threads` inside the task).
    initializer : callable, optional
        Run once in each worker after the default one (which restores SIGTERM's default and
        makes the worker die with this process: :func:`die_with_parent`);
        a module-level function, so that spawned workers can unpickle it.

    Yields
    ------
    concurrent.futures.ProcessPoolExecutor
        Shut down on exit, pending futures cancelled.
    """
    import functools
    import multiprocessing

    # The pool starts workers on demand at submit time, so the BLAS variables stay set for the
    # executor's whole life (a spawned worker reads them when numpy loads).
    with blas_env(threads):
        executor = cf.ProcessPoolExecutor(
            max_workers=max_workers, mp_context=multiprocessing.get_context(start_method()),
            initializer=functools.partial(_default_worker_init, os.getpid(), initializer))
        try:
            yield executor
        except BaseException:
            # Ctrl-C, SIGTERM (the CLI turns it into KeyboardInterrupt) or an error: the
            # trials in flight are lost anyway, so stop their workers now rather than
            # wait (minutes) for them in shutdown
            _stop_workers(executor)
            raise
        finally:
            executor.shutdown(wait=True, cancel_futures=True)


def _stop_workers(executor):
    """Terminate the worker processes of a ``ProcessPoolExecutor`` (SIGTERM: their default
    action, restored in every worker by the pool's initializer). ``_processes`` is the
    executor's own table of its workers; Python 3.14 adds ``terminate_workers()`` for this."""
    for proc in list((getattr(executor, "_processes", None) or {}).values()):
        try:
            proc.terminate()
        except (OSError, ValueError):  # already gone, or closed
            pass
