"""Issue 16, item 11: every message names the argument, what was expected and what was given.

One parametrised test over the issue's list (``"<name>: expected <what>, got <value>"``, a
``ValueError`` or ``TypeError``, never a raw Python error), and the command line's broken
``--plugin`` files: a clear error and exit code 2, no traceback.
"""
import re
import sys

import numpy as np
import pytest

from structlearn import Network, datasets, train
from structlearn.activations import get_activation
from structlearn.cli import main
from structlearn.losses import get_loss

X = np.random.default_rng(0).normal(size=(20, 3))
y = (X[:, 0] > 0).astype(int)


def _net2net(**params):
    from structlearn.net2net import Net2NetSearch
    small = dict(teacher_sizes=(4,), candidates=[(6,)], teacher_epochs=2, epochs=2,
                 batch_size=8)
    return Net2NetSearch(**{**small, **params})


def _deeper_before_training(monkeypatch):
    """deeper_method is refused before the teacher trains (not after minutes of it)."""
    import structlearn.net2net.search as search

    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking deeper_method")

    monkeypatch.setattr(search, "train", no_training)
    _net2net(deeper_method="bogus", candidates=[(4, 4)]).fit(X, y)


def _grow(**kw):
    from structlearn.net2net import grow
    return grow(Network.mlp([3, 4, 1], hidden="relu", rng=0), **kw)


def _summarise(**kw):
    from structlearn.net2net import summarise
    return summarise([], 10, 5, **kw)


def _cascor(**params):
    from structlearn.cascor import CascadeCorrelation
    return CascadeCorrelation(max_hidden_units=1, **params).fit(X, y)


def _obd(X_, y_):
    from structlearn.obd import OptimalBrainDamage
    return OptimalBrainDamage(epochs=2).fit(X_, y_)


#: (id, call, argument named, expected type of error)
CASES = [
    ("activation-name", lambda mp: get_activation("swish"), "activation", ValueError),
    ("activation-type", lambda mp: get_activation(5), "activation", TypeError),
    ("mlp-activation", lambda mp: Network.mlp([2, 2, 1], hidden="swish"), "activation",
     ValueError),
    ("dnc-activation", lambda mp: __import__("structlearn.dnc").dnc.DynamicNodeCreation(
        hidden="swish").fit(X, y), "hidden", ValueError),
    ("loss-name", lambda mp: get_loss("nope"), "loss", ValueError),
    ("dtype-load_mnist", lambda mp: datasets.load_mnist(dtype="nope"), "dtype", TypeError),
    ("dtype-load_idx_dir", lambda mp: datasets.load_idx_dir(".", dtype=np.int32), "dtype",
     TypeError),
    ("dtype-net2net", lambda mp: _net2net(dtype="nope").fit(X, y), "dtype", TypeError),
    ("net2net-tolerance", lambda mp: _net2net(tolerance="a").fit(X, y), "tolerance", TypeError),
    ("summarise-tolerance", lambda mp: _summarise(tolerance="a"), "tolerance", TypeError),
    ("teacher_sizes-int", lambda mp: _net2net(teacher_sizes=5).fit(X, y), "teacher_sizes",
     TypeError),
    ("deeper_method-before-training", _deeper_before_training, "deeper_method", ValueError),
    ("grow-deeper_method", lambda mp: _grow(sizes=(4, 4), deeper_method="bogus"),
     "deeper_method", ValueError),
    ("grow-sizes-int", lambda mp: _grow(sizes=5), "sizes", TypeError),
    ("grow-how", lambda mp: _grow(sizes=(5,), how="x"), "how", ValueError),
    ("cascor-history", lambda mp: _cascor(history="abc"), "history", ValueError),
    ("obd-0-features", lambda mp: _obd(np.zeros((5, 0)), [0, 1, 0, 1, 0]), "X", ValueError),
    # these two come from the shared validation and targets modules, in their own words
    ("obd-ragged-X", lambda mp: _obd([[1.0, 2.0], [3.0]], [0, 1]), "X", ValueError,
     r"^X: could not be converted to an array \(.*inhomogeneous"),
    ("net2net-one-sample", lambda mp: _net2net().fit(X[:1], y[:1]), "y", ValueError,
     r"^y: classification needs at least 2 classes, got 1 "),
    ("train-callbacks", lambda mp: train(Network.mlp([3, 2, 1]), X, y, callbacks=5),
     "callbacks", TypeError),
    ("train-min_delta-nan", lambda mp: train(Network.mlp([3, 2, 1]), X, y,
                                             min_delta=float("nan")), "min_delta", ValueError),
    ("add_units-n-float", lambda mp: Network.mlp([3, 2, 1]).add_units(0, n=2.7), "n",
     TypeError),
    ("download-timeout-inf", lambda mp: datasets.load_mnist(timeout=float("inf")), "timeout",
     ValueError),
    ("download-retries", lambda mp: datasets.load_mnist(retries=10**9), "retries", ValueError),
    ("download-mirrors", lambda mp: datasets.load_mnist(mirrors=[5]), "mirrors[0]", TypeError),
    ("saliencies-hessian", lambda mp: __import__("structlearn.obd").obd.saliencies(
        Network.mlp([2, 2, 1], rng=0), None, None, hessian=np.ones(3)), "hessian", ValueError),
    ("remove_dead_units", lambda mp: __import__("structlearn.obd").obd.remove_dead_units(5),
     "network", TypeError),
    ("run_suite-jobs", lambda mp: __import__("structlearn.bench.runner").bench.runner.run_suite(
        [], "unused", jobs=10**9), "jobs", ValueError),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_message_names_argument_expected_and_given(case, monkeypatch, tmp_path):
    _, call, name, error, *pattern = case
    monkeypatch.chdir(tmp_path)  # nothing may be written or downloaded, but just in case
    monkeypatch.setenv("STRUCTLEARN_DATA", str(tmp_path / "data"))
    with pytest.raises(error) as info:
        call(monkeypatch)
    message = str(info.value)
    pattern = pattern[0] if pattern else rf"(^|: ){re.escape(name)}: expected .+, got "
    assert re.search(pattern, message), message


# --------------------------------------------------------------- --plugin
BROKEN_PLUGINS = {
    "syntax": ("def broken(:\n", "SyntaxError (line 1)"),
    "raises": ("x = 1\nraise RuntimeError('plugin exploded')\n",
               "RuntimeError (line 2): plugin exploded"),
    "exits": ("import sys\nsys.exit(3)\n", "SystemExit (line 2): called sys.exit(3)"),
    "missing-dependency": ("import no_such_dependency_xyz\n", "ModuleNotFoundError (line 1): "
                           "No module named 'no_such_dependency_xyz'"),
}


@pytest.mark.parametrize("command", ["bench", "list"])
@pytest.mark.parametrize("kind", sorted(BROKEN_PLUGINS))
def test_a_broken_plugin_is_a_clear_error_with_exit_code_2(kind, command, tmp_path, capsys):
    source, expected = BROKEN_PLUGINS[kind]
    plugin = tmp_path / f"broken_{kind.replace('-', '_')}.py"
    plugin.write_text(source)
    out = tmp_path / "out"
    args = (["bench", "quick", "--out", str(out)] if command == "bench" else ["list", "quick"])
    assert main(args + ["--plugin", str(plugin)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"plugin: expected a module that imports cleanly, got {str(plugin)!r} raising " \
           f"{expected}" in err, err
    assert not out.exists()  # refused before the output folder is created
    assert not any(name.startswith("structlearn_plugin_broken") for name in sys.modules)


def test_a_broken_plugin_module_name_is_a_clear_error(tmp_path, capsys, monkeypatch):
    (tmp_path / "broken_mod_xyz.py").write_text("raise ValueError('bad module')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["list", "quick", "--plugin", "broken_mod_xyz"]) == 2
    err = capsys.readouterr().err
    assert "'broken_mod_xyz' raising ValueError" in err and "bad module" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args, message", [
    (["--jobs", "99999999999"], "--jobs: expected an integer in [1, 1024], got 99999999999"),
    (["--threads", "0"], "--threads: expected an integer in [1, 1024], got 0"),
    (["--seeds", "99999999999"], "seeds: expected a count in [1, 100000], got 99999999999"),
])
def test_cli_sizes_are_clear_errors(args, message, tmp_path, capsys):
    assert main(["bench", "quick", "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
