"""Fake benchmark trials for tests/test_bench.py, loaded as a plugin
(``--plugin tests/bench_fake_trials.py``) so worker processes can import them.

``fake`` is deterministic in (dataset, seed, params) and cheap.  Its params
steer it: ``fail_if_exists`` (a path: raise while that file exists),
``calls_log`` (a path: append the seed on every call, to count calls),
``bad_return`` (return something that is not a result), ``crash`` (kill the
worker process), ``grow`` (log a
history whose unit count grows), ``network`` (return a small fixed network).
"""
import os


from structlearn import History, Network
from structlearn.bench.registry import register_trial


@register_trial("fake", datasets=["xor", "two_spirals", "parityN"],
                suites={"fake": [({"grow": True}, "xor", 3), ({"label": "small"}, "parity3", 2)],
                        "fake_only_spirals": [({}, "two_spirals", [0])]},
                description="fake trial for the harness tests")
def fake_trial(dataset, seed, *, fail_if_exists=None, calls_log=None, bad_return=False,
               grow=False, network=False, value=0.0, crash=False):
    if calls_log:
        with open(calls_log, "a") as fh:
            fh.write(f"{dataset} {seed}\n")
    if crash:
        os._exit(3)  # a dying worker process (segfault, out of memory)
    if fail_if_exists and os.path.exists(fail_if_exists):
        raise RuntimeError(f"planned failure for seed {seed}")
    if bad_return:
        return "not a result"
    history = History()
    for epoch in range(1, 6):
        units = (epoch if grow else 2)
        history.log(epoch=epoch, phase="train", loss=1.0 / (epoch + seed), units=units,
                    weights=10 * units, seconds=0.0, accuracy=min(1.0, 0.5 + 0.1 * epoch))
        if grow:
            history.event("unit_added", epoch=epoch)
    row = dict(success=seed % 2 == 0, train_accuracy=1.0, test_accuracy=0.5 + 0.1 * seed + value,
               train_loss=0.1, test_loss=0.2, hidden_units=seed + 1, depth=1, weights=17,
               active_weights=17, epochs=5, crossings=None)
    if network:
        net = Network.mlp([2, 3, 1], hidden="tanh", output="sigmoid", rng=seed)
        return row, history, net
    return row, history
