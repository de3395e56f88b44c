"""The ``structlearn`` command: run benchmark suites and write their reports.

::

    structlearn bench quick --out results           # run the quick suite, then the report
    structlearn bench full --algorithms cascor,mlp --datasets two_spirals --seeds 0-9 --jobs 2
    structlearn bench full --out results --resume   # continue a killed run
    structlearn bench quick --dask local --jobs 4   # on a local Dask cluster
    structlearn bench quick --dask tcp://scheduler:8786
    structlearn bench full --datasets mnist_small --data-dir mnist=/data/mnist
    structlearn report results                      # (re)write results/report.md
    structlearn list quick                          # what a suite would run

Exit codes: 0 success, 1 some trials failed (their errors are in the report),
2 bad command line or input (the message lists the valid names; a broken --plugin; an output
directory another run is writing, named in the message), 130 interrupted.

``bench`` locks its output directory for the whole command (``DIR/run.lock``, see
:class:`structlearn.bench.runner.ResultsStore`): a second ``bench`` on the same DIR is refused
at once, with the holder's pid, host and command line, rather than waiting.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time

__all__ = ["main", "build_parser"]


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _add_selection(p):
    p.add_argument("--algorithms", metavar="A,B", help="only these algorithms (comma-separated)")
    p.add_argument("--datasets", metavar="X,Y", help="only these data sets (comma-separated)")
    p.add_argument("--skip-datasets", metavar="X,Y",
                   help="leave out these data sets (comma-separated), e.g. the digit sets "
                        "whose files this machine does not have")
    p.add_argument("--seeds", metavar="SEEDS",
                   help="replace the suite's seeds: '5' = seeds 0..4, '0-9', '1,3,7'")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="import a module (name or .py file) that registers more trials; "
                        "repeatable")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="structlearn",
        description="Benchmarks of neural-network structure-learning algorithms.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"structlearn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    b = sub.add_parser("bench", help="run a benchmark suite",
                       description="Run the trials of a suite, append their rows to "
                                   "DIR/results.jsonl and write the report.")
    b.add_argument("suite", help="suite name, e.g. quick or full ('structlearn list' shows them)")
    _add_selection(b)
    b.add_argument("--out", default="results", metavar="DIR",
                   help="output directory (default: results)")
    b.add_argument("--jobs", type=int, default=None, metavar="N",
                   help=f"worker processes (default: the CPUs available, here {_cpu_count()}); "
                        "1 runs in this process")
    b.add_argument("--resume", action="store_true",
                   help="skip trials already finished in DIR; retry the failed ones")
    b.add_argument("--overwrite", action="store_true",
                   help="start DIR afresh (rows, curves, networks) when it already has rows; "
                        "never while another run holds DIR")
    b.add_argument("--dask", metavar="ADDRESS",
                   help="run on a Dask cluster: a scheduler address, or 'local' to start one "
                        "with --jobs workers (needs the 'dask' extra)")
    b.add_argument("--data-dir", action="append", default=[], metavar="NAME=PATH",
                   help="read data set NAME (mnist, fashion_mnist; their _small forms too) from "
                        "the directory PATH of its four IDX files; repeatable")
    b.add_argument("--threads", type=int, default=1, metavar="N",
                   help="BLAS threads per trial (default 1)")
    b.add_argument("--no-networks", action="store_true",
                   help="do not save the trials' final networks")
    b.add_argument("--no-report", action="store_true", help="skip the report")
    b.add_argument("--quiet", "-q", action="store_true", help="no progress lines")

    r = sub.add_parser("report", help="write the report of a results directory",
                       description="Write DIR/report.md, DIR/summary.csv and DIR/figures/.")
    r.add_argument("out", metavar="DIR", help="a directory written by 'structlearn bench'")
    r.add_argument("--no-figures", action="store_true", help="tables only")
    r.add_argument("--quiet", "-q", action="store_true")

    ls = sub.add_parser("list", help="list suites, algorithms and the trials of a suite")
    ls.add_argument("suite", nargs="?", help="show the trials of this suite")
    _add_selection(ls)
    return parser


def _error(msg):
    print(f"structlearn: error: {msg}", file=sys.stderr)
    return 2


def _cmd_list(args):
    from .bench.registry import load_trials
    from .bench.suites import build_suite, load_plugins, suite_names

    load_plugins(args.plugin)
    trials = load_trials()
    if args.suite is None:
        print("suites:", ", ".join(suite_names(trials)) or "(none)")
        print("algorithms:")
        for name, t in sorted(trials.items()):
            counts = ", ".join(f"{s}: {sum(len(_seeds(e[2])) for e in t.suites[s])}"
                               for s in sorted(t.suites))
            print(f"  {name:<16} {t.description}  [{counts}]")
        from .bench.data import DATASET_PATTERNS
        print("data sets:", ", ".join(DATASET_PATTERNS), "(N a number, e.g. parity4)")
        return 0
    specs = build_suite(args.suite, args.algorithms, args.datasets, args.seeds,
                        skip_datasets=args.skip_datasets)
    for s in specs:
        print(f"{s.trial_id}  {s}  {s.call_params or ''}")
    print(f"{len(specs)} trials")
    return 0


def _seeds(seeds):
    from .bench.suites import parse_seeds
    return parse_seeds(seeds)


def _cmd_report(args):
    from .bench.report import write_report

    path = write_report(args.out, figures=not args.no_figures)
    if not args.quiet:
        print(f"report written: {path}")
    return 0


@contextlib.contextmanager
def _sigterm_as_interrupt():
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _cmd_bench(args):
    from .bench.report import write_report
    from .bench.runner import MAX_JOBS, ResultsStore, import_dask, run_suite
    from .bench.suites import build_suite

    jobs = args.jobs if args.jobs is not None else min(_cpu_count(), MAX_JOBS)
    for option, value in (("--jobs", jobs), ("--threads", args.threads)):
        if not 1 <= value <= MAX_JOBS:
            return _error(f"{option}: expected an integer in [1, {MAX_JOBS}], got {value}")
    if args.resume and args.overwrite:
        return _error("--resume and --overwrite exclude each other")
    from .bench.data import set_data_dirs
    try:  # environment variables: worker processes (and a local Dask cluster) inherit them
        set_data_dirs(args.data_dir)
    except ValueError as exc:
        return _error(str(exc))
    specs = build_suite(args.suite, args.algorithms, args.datasets, args.seeds, args.plugin,
                        skip_datasets=args.skip_datasets)
    if args.dask:
        import_dask()  # a missing extra is an error before DIR is created
    where = (f"Dask ({args.dask})" if args.dask else
             "this process" if jobs == 1 else f"{jobs} worker processes")
    command = " ".join(["structlearn"] + list(args.argv))
    start = time.perf_counter()
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    # The store locks DIR for the whole command (trials, run log, report): a second bench on
    # the same DIR is refused, naming this one, and --overwrite never clears a live run's rows.
    with _sigterm_as_interrupt(), ResultsStore(args.out, command=command) as store:
        if not args.quiet:  # a batch scheduler's SIGTERM stops as cleanly as Ctrl-C
            print(f"suite {args.suite!r}: {len(specs)} trials on {where}, results in {args.out}",
                  file=sys.stderr)
        summary = run_suite(specs, store, jobs=jobs, resume=args.resume,
                            overwrite=args.overwrite, dask=args.dask, plugins=args.plugin,
                            threads=args.threads, save_networks=not args.no_networks,
                            progress=not args.quiet)
        elapsed = time.perf_counter() - start
        store.log_run(dict(command=command, started=started, seconds=round(elapsed, 1),
                           trials=summary.total, ran=summary.ran, ok=summary.ok,
                           errors=summary.errors, skipped=summary.skipped,
                           interrupted=summary.interrupted))
        if not args.quiet:
            print(f"{summary.ran} trials run in {elapsed:.1f} s ({summary.ok} ok, "
                  f"{summary.errors} failed, {summary.skipped} already done)", file=sys.stderr)
        if summary.interrupted:
            return 130
        if not args.no_report:
            path = write_report(store.out)
            if not args.quiet:
                print(f"report written: {path}", file=sys.stderr)
    if summary.errors:
        print(f"structlearn: {summary.errors} trial(s) failed; see the report's 'Failed trials'",
              file=sys.stderr)
        return 1
    return 0


def main(argv=None) -> int:
    """Run the command line; return the exit code (``sys.exit(main())`` in scripts)."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    args.argv = argv
    if args.command is None:
        parser.print_help()
        return 2
    from .bench.runner import ExtraMissingError, ResultsExistError, ResultsStoreError
    from .bench.suites import SelectionError

    try:
        return {"bench": _cmd_bench, "report": _cmd_report, "list": _cmd_list}[args.command](args)
    except (SelectionError, ResultsExistError, ResultsStoreError, ExtraMissingError) as exc:
        return _error(str(exc))
    except OSError as exc:  # a missing results directory, an unreachable Dask scheduler...
        return _error(f"{type(exc).__name__}: {exc}")
    except KeyboardInterrupt:
        print("structlearn: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
