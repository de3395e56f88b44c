"""Trials for the reliability tests (loaded as ``--plugin tests/reliability_trials.py``).

``hold`` records that it started (a file named after its pid in the folder ``HOLD_MARKS``,
and its seed as a line of the file ``HOLD_CALLS``) and then waits, without using the CPU,
until the file ``HOLD_RELEASE`` exists (at most ``HOLD_LIMIT`` seconds, default 120). The
tests use it to keep a run, or a worker process, alive while they race another run against it
or kill its parent. The settings come from the environment (which worker processes inherit)
so that the trials' identities, and ``--resume``, do not depend on them.
"""
import os
import time

from structlearn import History
from structlearn.bench.registry import register_trial


@register_trial("hold", datasets=["xor"], suites={"hold": [({}, "xor", 4)]},
                description="waits for a release file (reliability tests)")
def hold_trial(dataset, seed):
    calls, marks = os.environ.get("HOLD_CALLS"), os.environ.get("HOLD_MARKS")
    release = os.environ.get("HOLD_RELEASE")
    if calls:
        with open(calls, "a") as fh:
            fh.write(f"{seed}\n")
    if marks:
        with open(os.path.join(marks, str(os.getpid())), "w") as fh:
            fh.write(str(seed))
    stop = time.monotonic() + float(os.environ.get("HOLD_LIMIT", "120"))
    while release and not os.path.exists(release) and time.monotonic() < stop:
        time.sleep(0.05)
    history = History()
    history.log(epoch=1, phase="train", loss=1.0, units=1, weights=3, seconds=0.0)
    return dict(success=True, train_accuracy=1.0, test_accuracy=1.0), history
