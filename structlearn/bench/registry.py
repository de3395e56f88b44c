"""Registry of benchmark trials.

A *trial* is a pure function ``fn(dataset, seed, **params) -> (row, history)``:
configuration in, one result row (a flat dict of JSON-serialisable metrics)
and the run's :class:`~structlearn.history.History` out.  It must depend on
nothing but its arguments, so the same (algorithm, params, dataset, seed) gives
the same row on any worker.

Standard row keys (fill those that apply; the runner adds configuration,
seed, wall time and environment):

``success`` (bool: solved, every training pattern right), ``criterion_met`` (the
algorithm's own criterion, where it has one), ``train_accuracy``, ``test_accuracy``,
``accuracy_kind``, ``targets``, ``train_loss``, ``test_loss``, ``hidden_units``, ``depth``, ``weights``,
``active_weights``, ``epochs``, ``crossings``. Accuracies are
:func:`structlearn.evaluate`'s (see :func:`trial_result`, which fills them).

Each algorithm registers its trial, and its share of the ``quick`` and
``full`` suites, in a module ``structlearn/bench/<name>_trials.py`` listed in
:data:`TRIAL_MODULES`.

A trial may also return ``(row, history, network)``; the runner then saves the
final network as ``networks/<trial_id>.npz`` (the report draws decision
boundaries from it).  :func:`trial_result` returns a pair that carries the
network along (attribute ``network``), so trials built on it get that for free.

In a suite entry's params the key ``label`` is reserved: it names the variant in
reports and is not passed to the trial function.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Trial", "TRIALS", "TRIAL_MODULES", "register_trial", "get_trial", "load_trials",
           "trial_result", "TrialOutput",
           "CONTRACT_KEYS", "targets_to_json", "targets_from_json"]

#: modules that register trials when imported (missing ones are skipped)
TRIAL_MODULES = ["mlp_trials", "cascor_trials", "dnc_trials", "obd_trials", "net2net_trials",
                 "rcc_trials", "kbcc_trials"]


@dataclass
class Trial:
    """A registered benchmark trial.

    Attributes
    ----------
    name : str
        Algorithm name used on the command line (``--algorithms``).
    fn : callable
        ``fn(dataset, seed, **params) -> (row, history)``.
    datasets : tuple of str
        Data sets the trial accepts.
    suites : dict
        ``{suite name: [(params, dataset, seeds), ...]}``: this algorithm's
        share of each suite; ``seeds`` is an int (``range(seeds)``) or a list.
    description : str
    """

    name: str
    fn: Callable
    datasets: tuple
    suites: dict = field(default_factory=dict)
    description: str = ""


TRIALS: dict[str, Trial] = {}


def register_trial(name, *, datasets, suites=None, description=""):
    """Decorator registering ``fn(dataset, seed, **params) -> (row, history)``."""
    def decorate(fn):
        TRIALS[name] = Trial(name, fn, tuple(datasets), dict(suites or {}),
                             description or (fn.__doc__ or "").strip().split("\n")[0])
        return fn
    return decorate


def load_trials() -> dict[str, Trial]:
    """Import every trial module that exists; return the registry."""
    for mod in TRIAL_MODULES:
        try:
            importlib.import_module(f"structlearn.bench.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name != f"structlearn.bench.{mod}":
                raise
    return TRIALS


def get_trial(name) -> Trial:
    """The trial registered as ``name``; a ValueError lists valid names otherwise."""
    load_trials()
    if name not in TRIALS:
        raise ValueError(f"unknown algorithm {name!r}; valid algorithms: {sorted(TRIALS)}")
    return TRIALS[name]


#: row keys only :func:`trial_result` fills: a trial's extras may not replace them
CONTRACT_KEYS = ("success", "train_accuracy", "test_accuracy", "accuracy_kind", "targets")


def targets_to_json(info):
    """A :class:`~structlearn.targets.TargetInfo` as a JSON-serialisable dict (None stays None)."""
    if info is None:
        return None
    classes = None if info.classes is None else [
        c.item() if hasattr(c, "item") else c for c in info.classes]
    return dict(kind=info.kind, output_activation=info.output_activation,
                n_outputs=int(info.n_outputs), classes=classes, y_ndim=int(info.y_ndim))


def targets_from_json(d):
    """The inverse of :func:`targets_to_json`."""
    if d is None:
        return None
    import numpy as np

    from ..targets import TargetInfo

    classes = None if d.get("classes") is None else np.asarray(d["classes"])
    return TargetInfo(d["kind"], d["output_activation"], int(d["n_outputs"]), classes,
                      int(d.get("y_ndim", 1)))


def trial_result(network, history, *, data, loss=None, success=None, crossings=None,
                 targets=None, **extra):
    """The standard result row for a trained ``network`` on ``data``.

    Every accuracy in the row is :func:`structlearn.evaluate`'s (the contract's one scorer):
    class labels are scored by the decoded class (the arg-max of several outputs, the side
    of the midpoint of one; a 10-output sigmoid network is right when its largest output is
    the label's), multi-label 0/1 targets by whole patterns (every output right). The row's
    ``accuracy_kind`` says which (``"class"`` or ``"pattern"``), and ``targets`` records the
    target encoding used (None: the bare-network convention). So a row, ``evaluate`` and
    an estimator's ``score`` agree on the saved network and the same data (a test checks it
    for every trial of the ``quick`` suite).

    ``success`` ("solved") has one meaning in every row: every training pattern right
    (train accuracy 1). An algorithm's own stopping criterion (cascade-correlation's
    victory, DNC's C_a/C_m criterion, Net2Net's saving S >= 2) is a column of its own:
    pass it as ``success=`` (it becomes ``criterion_met``) or under its own name.

    Parameters
    ----------
    network : Network
    history : History
    data : BenchData
        The data set the trial used (train and test splits).
    loss : str, optional
        Loss for the train/test loss columns (default: the network's).
    success : bool, optional
        The algorithm's own criterion, recorded as ``criterion_met`` (not "solved").
    crossings : int, optional
        Connection crossings, for algorithms that count them.
    targets : TargetInfo, optional
        How the labels map to outputs: a fitted estimator's ``target_info_`` (then the
        row is that estimator's ``score``). Default: the bare-network convention (labels are
        output indices; see :func:`structlearn.targets.for_network`).
    **extra
        More columns. ``train_accuracy``/``test_accuracy`` given here must equal the
        contract's (a ValueError otherwise: no second scorer in a row); ``success`` here is
        taken as the criterion too.

    Returns
    -------
    TrialOutput
        The pair ``(row, history)``; its attribute ``network`` is ``network``
        (the runner saves it for the report's decision-boundary plots).
    """
    from ..train import evaluate

    train = evaluate(network, data.X_train, data.y_train, loss, targets=targets)
    test = evaluate(network, data.X_test, data.y_test, loss, targets=targets)
    train_acc, test_acc = train.get("accuracy"), test.get("accuracy")
    for key, value in (("train_accuracy", train_acc), ("test_accuracy", test_acc)):
        given = extra.pop(key, None)
        if given is not None and value is not None and abs(float(given) - value) > 1e-12:
            raise ValueError(f"trial_result: {key}={given!r} given by the trial differs from "
                             f"the contract's {value!r} (structlearn.evaluate"
                             f"{'' if targets is None else ' with targets'}); pass "
                             "targets=estimator.target_info_ instead of a score of its own")
    if "success" in extra:
        criterion = extra.pop("success")
        success = criterion if success is None else success
    for key in ("accuracy_kind", "targets"):
        extra.pop(key, None)
    solved = None if train_acc is None else bool(train_acc == 1.0)
    row = dict(success=solved,
               train_accuracy=train_acc, test_accuracy=test_acc,
               accuracy_kind=train.get("accuracy_kind"), targets=targets_to_json(targets),
               train_loss=train["loss"], test_loss=test["loss"],
               hidden_units=network.n_hidden_units, depth=network.depth,
               weights=network.n_weights, active_weights=network.n_active_weights,
               epochs=history.epochs, crossings=crossings)
    if success is not None:
        row["criterion_met"] = bool(success)
    if "r2" in train:  # regression targets
        row.update(train_r2=train["r2"], test_r2=test["r2"])
    row.update(extra)
    info = getattr(data, "info", None) or {}
    for key in ("dataset_source", "dataset_split", "dataset_path"):
        if key in info and key not in row:
            row[key] = info[key]
    return TrialOutput(row, history, network)


class TrialOutput(tuple):
    """A ``(row, history)`` pair that also carries the trained ``network``.

    It unpacks like a pair (``row, history = trial_result(...)``) and lets the
    runner save the final network without every trial returning it.
    """

    def __new__(cls, row, history, network=None):
        self = super().__new__(cls, (row, history))
        self.network = network
        return self
