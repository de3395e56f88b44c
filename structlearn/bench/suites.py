"""Suites: which trials to run.

A *suite* is a list of :class:`TrialSpec` (algorithm, params, data set, seed).
Suites are not written anywhere by hand: every registered trial contributes its
share through the ``suites`` argument of
:func:`~structlearn.bench.registry.register_trial`, and :func:`build_suite`
gathers the entries of one suite name (``quick``, ``full``, or any other name a
trial module or plugin uses) and applies the command line's selection
(``--algorithms``, ``--datasets``, ``--seeds``).

Every spec has a stable :attr:`TrialSpec.trial_id`: a hash of the algorithm,
the params (sorted), the data set and the seed, so the same configuration has
the same identity in every run, on every machine (that is what ``--resume``
relies on).
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import re
import sys
from dataclasses import dataclass, field

from .data import check_dataset_name
from .registry import load_trials

__all__ = ["TrialSpec", "SelectionError", "build_suite", "suite_names", "parse_seeds",
           "parse_names", "trial_id", "load_plugins", "dataset_matches", "MAX_SEEDS", "MAX_SEED",
           "MAX_TRIALS", "SUITE_SEEDS"]


class SelectionError(ValueError):
    """A suite, algorithm, data set or seed selection that names nothing valid."""


def _canonical(value):
    """JSON text used for hashing: sorted keys, no spaces (stable across runs)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def trial_id(algorithm, params, dataset, seed) -> str:
    """Stable 16-hex-digit identity of one trial configuration."""
    try:
        text = _canonical([algorithm, params, dataset, int(seed)])
    except (TypeError, ValueError) as exc:
        raise TypeError(f"params of algorithm {algorithm!r} must be JSON-serialisable "
                        f"(numbers, strings, bools, lists, dicts): {exc}") from None
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class TrialSpec:
    """One trial to run: ``TRIALS[algorithm].fn(dataset, seed, **params)``.

    The reserved params key ``label`` names the variant in reports and is not
    passed to the trial function (see :attr:`call_params`).
    """

    algorithm: str
    params: dict = field(default_factory=dict)
    dataset: str = ""
    seed: int = 0

    @property
    def trial_id(self) -> str:
        return trial_id(self.algorithm, self.params, self.dataset, self.seed)

    @property
    def label(self) -> str:
        return str(self.params.get("label", ""))

    @property
    def call_params(self) -> dict:
        return {k: v for k, v in self.params.items() if k != "label"}

    def to_dict(self) -> dict:
        return dict(algorithm=self.algorithm, params=dict(self.params), dataset=self.dataset,
                    seed=int(self.seed))

    @classmethod
    def from_dict(cls, d) -> "TrialSpec":
        return cls(d["algorithm"], dict(d.get("params", {})), d["dataset"], int(d["seed"]))

    def __str__(self):
        label = f" [{self.label}]" if self.label else ""
        return f"{self.algorithm}{label} {self.dataset} seed={self.seed}"


# ------------------------------------------------------------------ plugins
_LOADED_PLUGINS: dict[str, object] = {}


def load_plugins(plugins=()):
    """Import user modules that register trials (``--plugin``).

    Each entry is a module name (``mypackage.my_trials``) or the path of a
    ``.py`` file.  A path that does not exist on this machine is imported by
    its module name instead (a Dask worker gets plugin files through
    ``Client.upload_file``, which puts them on its ``sys.path``).
    Each plugin is imported once per process.
    """
    if isinstance(plugins, str):
        plugins = [plugins]
    for plugin in plugins or ():
        if not isinstance(plugin, str) or not plugin:
            raise SelectionError(f"plugin: expected a module name or a .py path, got {plugin!r}")
        if plugin in _LOADED_PLUGINS:
            continue
        is_path = plugin.endswith(".py") or os.sep in plugin
        if is_path and os.path.isfile(plugin):
            name = "structlearn_plugin_" + re.sub(r"\W", "_", os.path.splitext(
                os.path.basename(plugin))[0])
            try:
                spec = importlib.util.spec_from_file_location(name, plugin)
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
            except (Exception, SystemExit) as exc:  # the plugin's own code failed
                sys.modules.pop(name, None)
                raise SelectionError(_plugin_failure(plugin, exc)) from exc
        else:
            name = os.path.splitext(os.path.basename(plugin))[0] if is_path else plugin
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name.split(".")[0] and exc.name != name:
                    raise SelectionError(_plugin_failure(plugin, exc)) from exc
                where = "file not found and no module of that name" if is_path else \
                    "no such module on sys.path"
                raise SelectionError(f"plugin {plugin!r} cannot be imported: {where}") from None
            except (Exception, SystemExit) as exc:
                raise SelectionError(_plugin_failure(plugin, exc)) from exc
        _LOADED_PLUGINS[plugin] = module
    return [_LOADED_PLUGINS[p] for p in plugins or ()]


def _plugin_failure(plugin, exc):
    """The message for a plugin whose import raised: where, what, not a traceback."""
    where = ""
    if isinstance(exc, SyntaxError) and exc.lineno:
        where = f" (line {exc.lineno})"
    else:
        import traceback

        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if os.path.abspath(f.filename) == os.path.abspath(plugin)
                  or f.filename.endswith(plugin)]
        if frames:
            where = f" (line {frames[-1].lineno})"
    what = str(exc) if not isinstance(exc, SystemExit) else f"called sys.exit({exc.code!r})"
    return (f"plugin: expected a module that imports cleanly, got {plugin!r} raising "
            f"{type(exc).__name__}{where}: {what}")


# ---------------------------------------------------------------- selection
def parse_names(text, what="names") -> list[str] | None:
    """``"a,b"`` -> ``["a", "b"]``; None or "" -> None (no filter)."""
    if text is None:
        return None
    if isinstance(text, str):
        names = [t.strip() for t in text.split(",") if t.strip()]
    else:
        names = [str(t) for t in text]
    if not names:
        raise SelectionError(f"{what}: give at least one name (comma-separated)")
    return names


#: most seeds one selection may name, and the largest seed (numpy and scikit-learn seeds fit in
#: 32 bits); checked before anything is allocated
MAX_SEEDS = 100_000
MAX_SEED = 2**32 - 1
#: most trials one suite selection may expand to (checked before the specs are built)
MAX_TRIALS = 200_000


def parse_seeds(text) -> list[int] | None:
    """Seeds from the command line.

    ``"5"`` means five seeds, 0..4; ``"0-4"`` is the same range written out;
    ``"1,3,7"`` and ``"0-2,10"`` list seeds; ``"3,"`` or ``"3-3"`` is seed 3 alone.
    An int ``n`` means ``range(n)``; a list of ints is taken as given. At most
    :data:`MAX_SEEDS` seeds, each in ``[0, MAX_SEED]``: sizes are checked before any list is
    built, so ``"0-99999999999"`` is a clear error, not a machine out of memory.
    """
    if text is None:
        return None
    if isinstance(text, bool):
        raise SelectionError(f"seeds: expected a count, a range or a list, got {text!r}")
    if isinstance(text, int):
        if not 1 <= text <= MAX_SEEDS:
            raise SelectionError(f"seeds: expected a count in [1, {MAX_SEEDS}], got {text}")
        return list(range(text))
    if isinstance(text, (list, tuple, range)):
        if len(text) > MAX_SEEDS:
            raise SelectionError(f"seeds: expected at most {MAX_SEEDS} seeds, got {len(text)}")
        seeds = []
        for x in text:
            if isinstance(x, bool) or not isinstance(x, int):
                raise SelectionError(f"seeds: expected integers, got {type(x).__name__} {x!r}")
            seeds.append(x)
    else:
        if not isinstance(text, str):
            raise SelectionError(f"seeds: expected a count, a range or a list, got "
                                 f"{type(text).__name__} {text!r}")
        s = text.strip()
        if re.fullmatch(r"\d+", s):
            return parse_seeds(int(s))
        seeds, total = [], 0
        for part in (p.strip() for p in s.split(",")):
            if not part:
                continue
            m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part)
            if m:
                lo, hi = int(m.group(1)), int(m.group(2))
                if hi < lo:
                    raise SelectionError(f"seeds: expected a range low-high, got {part!r} "
                                         "(empty)")
                if hi > MAX_SEED:
                    raise SelectionError(f"seeds: expected seeds in [0, {MAX_SEED}], got {part!r}")
                total += hi - lo + 1
                if total > MAX_SEEDS:
                    raise SelectionError(f"seeds: expected at most {MAX_SEEDS} seeds, got "
                                         f"{text!r:.80}")
                seeds.extend(range(lo, hi + 1))
            elif re.fullmatch(r"\d+", part):
                total += 1
                if total > MAX_SEEDS:
                    raise SelectionError(f"seeds: expected at most {MAX_SEEDS} seeds, got "
                                         f"{text!r:.80}")
                seeds.append(int(part))
            else:
                raise SelectionError(f"seeds: cannot read {part!r:.80}; write a count ('5' = "
                                     "0..4), a range ('0-4') or a list ('1,3,7')")
    if not seeds or any(x < 0 or x > MAX_SEED for x in seeds):
        raise SelectionError(f"seeds: expected integers in [0, {MAX_SEED}], got {text!r:.80}")
    return list(dict.fromkeys(seeds))


def dataset_matches(name, patterns) -> bool:
    """Whether data set ``name`` (``parity4``) fits one of ``patterns`` (``parityN``)."""
    for p in patterns:
        if p == name or (p.endswith("N") and re.fullmatch(re.escape(p[:-1]) + r"\d+", name)):
            return True
    return False


def suite_names(trials=None) -> list[str]:
    """Every suite name some registered trial contributes to."""
    trials = load_trials() if trials is None else trials
    return sorted({s for t in trials.values() for s in t.suites})


def _entries(trial, suite):
    """Expand one trial's share of ``suite`` into (params, dataset, seeds) triples."""
    out = []
    for entry in trial.suites.get(suite, ()):
        try:
            params, dataset, seeds = entry
        except (TypeError, ValueError):
            raise SelectionError(f"algorithm {trial.name!r}: suite {suite!r} entries must be "
                                 f"(params, dataset, seeds) triples, got {entry!r}") from None
        try:
            check_dataset_name(dataset)
        except (TypeError, ValueError) as exc:
            raise SelectionError(f"algorithm {trial.name!r}, suite {suite!r}: {exc}") from None
        if not dataset_matches(dataset, trial.datasets):
            raise SelectionError(f"algorithm {trial.name!r}, suite {suite!r}: data set "
                                 f"{dataset!r} is not among its data sets {list(trial.datasets)}")
        if not isinstance(params, dict):
            raise SelectionError(f"algorithm {trial.name!r}, suite {suite!r}: params must be a "
                                 f"dict, got {type(params).__name__}")
        try:
            _canonical(params)
        except (TypeError, ValueError) as exc:
            raise SelectionError(f"algorithm {trial.name!r}, suite {suite!r}: params must be "
                                 f"JSON-serialisable (numbers, strings, lists, dicts): {exc}") \
                from None
        out.append((params, dataset, parse_seeds(seeds)))
    return out


def _check_in_suite(names, expanded, suite, prefix):
    """Each data set of ``names`` is a valid name and part of the ``expanded`` entries."""
    present = sorted({d for _, _, d, _ in expanded})
    for d in names:
        try:
            check_dataset_name(d)
        except (TypeError, ValueError) as exc:
            raise SelectionError(f"{prefix}{exc}") from None
        if d not in present:
            raise SelectionError(f"{prefix}data set {d!r} is not in suite {suite!r} for the "
                                 f"selected algorithms; data sets there: {', '.join(present)}")


#: suites whose every entry runs the same seeds, so that rows compared side by side in the
#: report rest on the same number of runs (``--seeds`` still replaces them)
SUITE_SEEDS = {"quick": [0, 1, 2]}


def build_suite(name, algorithms=None, datasets=None, seeds=None, plugins=(),
                skip_datasets=None) -> list[TrialSpec]:
    """The trials of suite ``name`` after the selection.

    Parameters
    ----------
    name : str
        A suite name (see :func:`suite_names`).
    algorithms, datasets : str or list of str, optional
        Keep only these (comma-separated string or list).  Each name must be
        valid and part of the suite.
    seeds : str, int or list, optional
        Replace every entry's seeds (see :func:`parse_seeds`). Default: the entries' own,
        except for the suites of :data:`SUITE_SEEDS` (``quick``: seeds 0-2 for every entry).
    plugins : sequence of str
        Modules or ``.py`` files that register more trials (imported first).
    skip_datasets : str or list of str, optional
        Leave these data sets out (after ``datasets``). Each name must be valid and part of
        the suite, so a typo is an error rather than a silent no-op.

    Raises
    ------
    SelectionError
        With the list of valid names, for any name that selects nothing.
    """
    load_plugins(plugins)
    trials = load_trials()
    names = suite_names(trials)
    if name not in names:
        raise SelectionError(f"unknown suite {name!r}; valid suites: {', '.join(names) or '(none)'}")
    in_suite = {a: t for a, t in sorted(trials.items()) if name in t.suites}
    algorithms = parse_names(algorithms, "algorithms")
    datasets = parse_names(datasets, "datasets")
    skip_datasets = parse_names(skip_datasets, "skip_datasets")
    seeds = parse_seeds(seeds)
    if seeds is None and name in SUITE_SEEDS:
        seeds = list(SUITE_SEEDS[name])
    if algorithms is not None:
        for a in algorithms:
            if a not in trials:
                raise SelectionError(f"unknown algorithm {a!r}; valid algorithms: "
                                     f"{', '.join(sorted(trials))}")
            if a not in in_suite:
                raise SelectionError(f"algorithm {a!r} has no trials in suite {name!r}; "
                                     f"algorithms in {name!r}: {', '.join(in_suite)}")
    chosen = [in_suite[a] for a in (algorithms or in_suite)]
    expanded = [(t.name, p, d, s) for t in chosen for (p, d, s) in _entries(t, name)]
    if datasets is not None:
        _check_in_suite(datasets, expanded, name, "")
        expanded = [e for e in expanded if e[2] in datasets]
    if skip_datasets is not None:
        _check_in_suite(skip_datasets, expanded, name, "skip_datasets: ")
        expanded = [e for e in expanded if e[2] not in skip_datasets]
    total = sum(len(seeds if seeds is not None else e[3]) for e in expanded)
    if total > MAX_TRIALS:
        raise SelectionError(f"seeds: the selection expands to {total} trials; expected at most "
                             f"{MAX_TRIALS} (fewer seeds, algorithms or data sets)")
    specs, seen = [], set()
    for algo, params, dataset, entry_seeds in expanded:
        for seed in (seeds if seeds is not None else entry_seeds):
            spec = TrialSpec(algo, dict(params), dataset, int(seed))
            tid = spec.trial_id
            if tid not in seen:
                seen.add(tid)
                specs.append(spec)
    if not specs:
        raise SelectionError(f"the selection leaves no trials in suite {name!r}")
    return specs
