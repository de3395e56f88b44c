"""Benchmark trials: knowledge- and rule-based Cascade-Correlation (``kbcc``).

Shultz & Rivest (2001), *Knowledge-based cascade-correlation* (Connection Science 13);
Thivierge, Dandurand & Shultz (2004), *rule-based cascade-correlation* (IJCNN). The tasks and
conditions are those of ``benchmarks/kbcc_experiments.py`` and ``docs/kbcc.md`` (which import
them from here), generated per trial:

* ``rectangle``: the target rectangle of :data:`structlearn.shapes.FIGURES`, training on the
  15 x 15 grid over [0, 1]^2, testing on 1000 uniform points; ``cross``: the cross, the same
  way. ``sources`` names the figures whose networks go in the pool; each is grown by plain
  CC (seed :data:`SOURCE_SEED`, the same network in every trial) on its own figure and grid.
* ``rules12``: ``y = (x0 & x1 & ~x2) | (x3 & x4 & x5) | (x6 & ~x7 & x8)`` over 12 binary
  inputs; each seed draws its own 100 training patterns, the other 3996 are the test set.
  ``rules`` names a rule set of :data:`RULE_SETS` (or is a list of rules); each rule is
  compiled into its own network (:func:`~structlearn.cascor.rules.rule_source`).

No ``sources`` and no ``rules``: plain CC on the same data and seed (the comparison row).
Settings otherwise: the C-code preset, at most 30 new units, pool of 8 symmetric-sigmoid
units plus ``copies`` versions of each source
(:func:`~structlearn.cascor.knowledge.knowledge_pool`).

The row's standard columns are :func:`~structlearn.bench.registry.trial_result`'s with the
estimator's ``target_info_`` (so its accuracies are the model's ``score``); ``epochs`` is
Fahlman's count (``n_epochs_``). Own columns: ``victory``, ``stop_reason``, ``recruits`` (the
kind of each installed candidate, in order), ``first_recruit_source`` and
``source_recruited`` (None without sources), ``recruited_sources`` (source names recruited,
sorted), ``step_scales`` (per source kind), ``installed_units`` (the estimator's count, a
recruited source counting its outputs; ``hidden_units`` counts the network's hidden nodes, a
recruited source's inner units and projection included).
"""
from __future__ import annotations

from functools import lru_cache

from ..cascor import CascadeCorrelation
from ..cascor.knowledge import knowledge_pool, recruits, source_of
from ..cascor.rules import rule_source
from ..shapes import FIGURES, figure_data
from .data import KBCC_DATASETS, load_bench_data, rule_data
from .registry import register_trial, trial_result

__all__ = ["kbcc_trial", "kbcc_data", "trained_source", "rule_data", "SOURCE_SEED",
           "RECT_CONDITIONS", "CROSS_CONDITIONS", "RULE_INPUTS", "RULE_SETS", "KBCC_DATASETS"]

#: the seed every source network is grown with (one source network per figure)
SOURCE_SEED = 100
#: (label, source figures) of the rectangle and cross experiments
RECT_CONDITIONS = [("exact", ("rectangle",)), ("translated near", ("rect_near",)),
                   ("translated far", ("rect_far",)), ("scaled bigger", ("rect_big",)),
                   ("scaled smaller", ("rect_small",)), ("rotated 45", ("rect_rot",)),
                   ("irrelevant", ("checker",))]
CROSS_CONDITIONS = [("hbar + vbar", ("hbar", "vbar"))]

RULE_INPUTS = [f"x{i}" for i in range(12)]
RULE_SETS = {
    "partly correct": ["y :- x0, x1, not x2", "y :- x3, x4, x5", "y :- x9, x10, not x11"],
    "wrong": ["y :- x9, x10", "y :- not x9, x11", "y :- 2 of (x9, x10, x11)"],
}
_RULE_OPTIONS = dict(copies=1, prune=0.1)   # one identity copy per rule, pruned projections


@lru_cache(maxsize=None)
def _source(fig):
    X, y, _, _ = figure_data(fig)
    m = CascadeCorrelation(rng=SOURCE_SEED, max_hidden_units=40).fit(X, y)
    if not m.success_:
        raise RuntimeError(f"the source network for {fig!r} did not learn it")
    return m.network_


def trained_source(fig):
    """The source network of figure ``fig``: plain CC grown on its own 15 x 15 grid (seed
    :data:`SOURCE_SEED`); computed once per process, a copy returned."""
    if fig not in FIGURES:
        raise ValueError(f"sources: unknown figure {fig!r}; known: {', '.join(FIGURES)}")
    return _source(fig).copy()


def kbcc_data(dataset, seed):
    """The :class:`~structlearn.bench.data.BenchData` of a kbcc trial
    (:func:`~structlearn.bench.data.load_bench_data`)."""
    if dataset not in KBCC_DATASETS:
        raise ValueError(f"dataset: expected one of {', '.join(KBCC_DATASETS)}, got {dataset!r}")
    return load_bench_data(dataset, seed)


def _pool(dataset, X, sources, rules, copies, prune, score_factor, options):
    if dataset == "rules12":
        if sources:
            raise ValueError("sources: rules12 takes rules, not figure sources")
        rules = RULE_SETS[rules] if isinstance(rules, str) else list(rules)
        nets, maps = {}, {}
        for i, rule in enumerate(rules):
            nets[f"r{i + 1}"], maps[f"r{i + 1}"] = rule_source(rule, RULE_INPUTS)
        return knowledge_pool(nets, X=X, copies=copies, input_maps=maps, prune=prune,
                              score_factor=score_factor, **options), list(nets)
    if rules:
        raise ValueError(f"rules: only the rules12 data set takes rules, not {dataset!r}")
    nets = {f: trained_source(f) for f in sources}
    return knowledge_pool(nets, X=X, copies=copies, prune=prune, score_factor=score_factor,
                          **options), list(nets)


def _suite(seeds=20):
    plain = {"label": "plain CC"}
    rect = [(plain, "rectangle", seeds)] + [
        ({"label": label, "sources": list(figs)}, "rectangle", seeds)
        for label, figs in RECT_CONDITIONS]
    cross = [(plain, "cross", seeds)] + [
        ({"label": label, "sources": list(figs)}, "cross", seeds)
        for label, figs in CROSS_CONDITIONS]
    rules = [(plain, "rules12", seeds)] + [
        ({"label": f"rules {name}", "rules": name, **_RULE_OPTIONS}, "rules12", seeds)
        for name in RULE_SETS]
    return rect + cross + rules


@register_trial("kbcc", datasets=KBCC_DATASETS, suites={"kbcc": _suite()},
                description="Knowledge- and rule-based Cascade-Correlation (Shultz & Rivest "
                            "2001; Thivierge et al. 2004) against plain CC")
def kbcc_trial(dataset, seed, *, sources=(), rules=None, copies=4, n_units=8, identity=True,
               prune=0.0, score_factor=1.0, max_hidden_units=30, knowledge=None, **params):
    """One trial of KBCC (``sources``: figure names) or RBCC (``rules``: a name of
    :data:`RULE_SETS` or a list of rules), or plain CC with neither.

    ``copies``, ``n_units``, ``identity``, ``prune``, ``score_factor`` are
    :func:`~structlearn.cascor.knowledge.knowledge_pool`'s, ``knowledge`` a dict of more of its
    options; ``params`` are :class:`~structlearn.cascor.CascadeCorrelation` parameters.
    """
    data = kbcc_data(dataset, seed)
    names, steps = [], {}
    if sources or rules:
        (types, K), names = _pool(dataset, data.X_train, list(sources), rules, copies, prune,
                                  score_factor,
                                  dict(n_units=n_units, identity=identity, **(knowledge or {})))
        params.update(unit_type=types, pool_size=K)
        steps = {t.name: t.step_scale for t in types if hasattr(t, "step_scale")}
    model = CascadeCorrelation(max_hidden_units=max_hidden_units, rng=seed, **params)
    model.fit(data.X_train, data.y_train)
    kinds = recruits(model.history_)
    got = [source_of(k) for k in kinds]
    extra = dict(victory=model.success_, stop_reason=model.stop_reason_, recruits=kinds,
                 first_recruit_source=(bool(got) and got[0] is not None) if names else None,
                 source_recruited=any(g is not None for g in got) if names else None,
                 recruited_sources=sorted({g for g in got if g is not None}),
                 step_scales=steps, epochs=int(model.n_epochs_),
                 installed_units=int(model.hidden_units_))
    return trial_result(model.network_, model.history_, data=data, targets=model.target_info_,
                        crossings=model.crossings_, **extra)
