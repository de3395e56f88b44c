"""The targets module, evaluate, the stepped training loop and the small shared helpers."""
import os

import numpy as np
import pytest

import structlearn as sl
from structlearn import targets
from structlearn.activations import ACTIVATIONS
from structlearn.datasets import parity, xor
from structlearn.files import atomic_write
from structlearn.initializers import get_initializer, glorot_bound, uniform
from structlearn.optim import SGD
from structlearn.train import Trainer
from structlearn.validation import Interval, Options, validate_params


# ------------------------------------------------------------------ kinds and encoding
@pytest.mark.parametrize("y, task, kind", [
    ([0, 1, 1], "auto", "binary"), (["a", "b", "c"], "auto", "multiclass"),
    ([True, False], "auto", "binary"), ([0.5, 1.5], "auto", "regression"),
    ([1.0, 2.0, 3.0], "classification", "multiclass"), ([[0, 1], [1, 1]], "auto", "multilabel"),
    ([[0.2, 1], [1, 1]], "auto", "regression"), ([3, 7, 3], "regression", "regression"),
])
def test_target_kind(y, task, kind):
    assert targets.target_kind(np.array(y), task) == kind


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_every_activation_knows_its_label_values(act):
    a = ACTIVATIONS[act]
    off, on = a.label_values
    assert a.range[0] <= off < on <= a.range[1]
    assert off < a.midpoint < on


@pytest.mark.parametrize("act", ["sigmoid", "symmetric_sigmoid", "tanh", "softmax", "linear",
                                 "gaussian"])
@pytest.mark.parametrize("labels", [("x", "y"), (3, 7), (10**12, -5), ("a", "b", "c", "d")])
def test_encode_decode_round_trip(act, labels):
    y = np.array(labels * 3)
    T, info = targets.encode(y, act)
    off, on = ACTIVATIONS[act].label_values
    assert set(np.unique(T)) <= {off, on}
    assert T.shape == (len(y), 1 if len(labels) == 2 and act != "softmax" else
                       max(len(labels), 2 if act == "softmax" else 0) or 1)
    np.testing.assert_array_equal(info.decode(T), y)
    assert info.score(T, y) == 1.0
    np.testing.assert_array_equal(info.encode(T), T)  # idempotent
    P = info.proba(T)
    assert np.allclose(P.sum(axis=1), 1.0)


def test_multilabel_and_regression():
    Y = np.array([[0, 1, 1], [1, 0, 0]])
    T, info = targets.encode(Y, "symmetric_sigmoid")
    np.testing.assert_array_equal(T, Y - 0.5)
    np.testing.assert_array_equal(info.decode(T), Y)
    out = T.copy()
    out[0, 0] = 0.3  # one bit wrong: the pattern is wrong
    assert info.score(out, Y) == 0.5 and info.accuracy_kind == "pattern"
    y = np.array([0.5, 1.5, 2.0])
    T, info = targets.encode(y, "linear")
    assert info.kind == "regression" and info.decode(T).shape == (3,)
    assert info.score(T, y) == 1.0
    with pytest.raises(ValueError, match="not probabilities"):
        info.proba(T)


def test_clear_errors():
    with pytest.raises(ValueError, match="at least 2 classes"):
        targets.encode(np.array([1, 1]), "sigmoid")
    with pytest.raises(ValueError, match="softmax output needs class labels"):
        targets.encode(np.array([0.5, 1.5]), "softmax")
    _, info = targets.encode(np.array(["a", "b"]), "sigmoid")
    with pytest.raises(ValueError, match="labels not among the classes"):
        info.encode(np.array(["a", "c"]))
    with pytest.raises(ValueError, match="y: expected finite"):
        targets.encode(np.array([0.5, np.nan]), "linear")
    with pytest.raises(ValueError, match="task"):
        targets.target_kind([0, 1], task="clustering")


def test_bare_network_convention_never_allocates_by_label():
    net = sl.Network.mlp([2, 3, 3], rng=0)
    with pytest.raises(ValueError, match=r"output indices in \[0, 2\]"):
        sl.train(net, np.zeros((2, 2)), np.array([0, 10**12]), epochs=1)


# ------------------------------------------------------------------ evaluate
def test_evaluate_scores_class_labels_by_the_decoded_class():
    """A multi-output sigmoid network given class labels: the decoded (arg-max) class, not
    "every output right" (the bug that reported cascor's digits at 74.6% for 86.1%)."""
    rng = np.random.default_rng(0)
    net = sl.Network.mlp([4, 5, 3], hidden="tanh", output="sigmoid", rng=0)
    X = rng.normal(size=(200, 4))
    out = net.forward(X)
    y = out.argmax(axis=1)  # the network is right on every pattern by its decoded class
    m = sl.evaluate(net, X, y)
    assert m["accuracy"] == 1.0 and m["accuracy_kind"] == "class"
    assert np.mean(np.all((out > 0.5) == np.eye(3)[y].astype(bool), axis=1)) < 1.0
    np.testing.assert_array_equal(net.predict_classes(X), y)


def test_evaluate_gaussian_output_agrees_with_predict_classes():
    rng = np.random.default_rng(1)
    net = sl.Network.mlp([2, 4, 1], hidden="tanh", output="gaussian", rng=2)
    X = rng.normal(size=(100, 2))
    y = rng.integers(0, 2, 100)
    acc = sl.evaluate(net, X, y)["accuracy"]
    assert acc == pytest.approx(np.mean(net.predict_classes(X) == y))


def test_evaluate_multilabel_and_regression():
    X, Y = parity(3)
    net = sl.Network.mlp([3, 4, 1], hidden="tanh", output="sigmoid", rng=0)
    m = sl.evaluate(net, X, Y.reshape(-1, 1).astype(float))
    assert m["accuracy_kind"] == "pattern"
    lin = sl.Network.mlp([3, 4, 1], hidden="tanh", output="linear", rng=0)
    m = sl.evaluate(lin, X, np.linspace(0, 1, len(X)))
    assert "accuracy" not in m and m["score"] == m["r2"]


# ------------------------------------------------------------------ the stepped loop
def test_trainer_steps_and_lets_the_caller_edit_between_epochs():
    X, y = xor()
    net = sl.Network.mlp([2, 2, 1], hidden="tanh", output="sigmoid", rng=0)
    opt = SGD(lr=0.5, momentum=0.9)
    trainer = Trainer(net, X, y, optimizer=opt, rng=0)
    seen = []
    for result in trainer.epochs(30):
        seen.append(result.epoch)
        np.testing.assert_array_equal(result.outputs(), result.full_batch_outputs)
        if result.epoch == 10:
            before = net.forward(X)
            net.add_units(0, 1, outgoing=0.0, rng=0)  # function-preserving edit, in place
            np.testing.assert_allclose(net.forward(X), before, atol=1e-12)
    history = trainer.finish("max_epochs")
    assert seen == list(range(1, 31))
    assert net.n_hidden_units == 3
    assert [e["reason"] for e in history.events_of("stop")] == ["max_epochs"]
    assert history.rows[-1]["units"] == 3


def test_train_with_a_stop_criterion_and_a_callback_that_edits():
    X, y = xor()

    class After:
        name = "enough"

        def __call__(self, result):
            return result.epoch >= 7

    net = sl.Network.mlp([2, 2, 1], hidden="tanh", output="sigmoid", rng=0)
    h = sl.train(net, X, y, epochs=50, stop_when=[After()], early_stopping=3)
    assert h.stop_reason == "enough" and h.epochs == 7

    def grow(epoch, network, history):
        if epoch == 3:
            network.add_units(0, 1, outgoing=0.0, rng=0)
        return False

    net = sl.Network.mlp([2, 2, 1], hidden="tanh", output="sigmoid", rng=0)
    h = sl.train(net, X, y, epochs=10, callbacks=[grow], early_stopping=20)
    assert net.n_hidden_units == 3 and h.stop_reason == "max_epochs"


def test_last_pass_is_public_and_fails_clearly_when_stale():
    net = sl.Network.mlp([2, 3, 1], rng=0)
    with pytest.raises(RuntimeError, match="no forward pass"):
        net.last_pass
    X = np.ones((4, 2))
    net.loss_and_grad(X, np.zeros((4, 1)), "mse")
    cache = net.last_pass
    assert cache.has_deltas and cache.outputs.shape == (4, 1)
    net.add_units(0, 1, rng=0)
    with pytest.raises(RuntimeError):
        net.last_pass


# ------------------------------------------------------------------ shared helpers
def test_validate_params_messages_name_the_parameter():
    cons = {"lr": [Interval(float, 0, None, closed="neither")], "kind": [Options("a", "b")],
            "n": [Interval(int, 1), None]}
    validate_params({"lr": 0.1, "kind": "a", "n": None}, cons)
    with pytest.raises(ValueError, match=r"lr: expected a finite number in \(0, inf\), got 0"):
        validate_params({"lr": 0}, cons)
    with pytest.raises(TypeError, match="lr: expected .* got str 'x'"):
        validate_params({"lr": "x"}, cons)
    with pytest.raises(ValueError, match="kind: expected one of 'a', 'b', got 'c'"):
        validate_params({"kind": "c"}, cons)
    with pytest.raises(TypeError, match="n: expected an integer"):
        validate_params({"n": 2.0}, cons)


def test_atomic_write_leaves_nothing_half_written(tmp_path):
    path = tmp_path / "f.bin"
    atomic_write(path, b"old")

    def broken(fh):
        fh.write(b"partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, writer=broken)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_initializers_registry():
    rng = np.random.default_rng(0)
    w = get_initializer("ash")(rng, 3, 4, "sigmoid", (1000,))
    assert np.abs(w).max() <= 0.1666 and np.abs(w).max() > 0.16
    assert np.abs(uniform(1.0)(rng, 3, 4, "tanh", (1000,))).max() > 0.99
    assert glorot_bound(4, 4, "relu") == pytest.approx(np.sqrt(6 / 4))
    net = sl.Network.mlp([2, 3, 1], init="ash", rng=0)
    assert np.all(np.abs(net.params) <= 0.1666) and np.all(net.blocks[0].b != 0)
    with pytest.raises(ValueError, match="init: expected one of"):
        get_initializer("zeros")


@pytest.mark.parametrize("page", ["docs/contract.md", "README.md"])
def test_the_python_examples_of_the_docs_run(page, monkeypatch, tmp_path):
    """The Python blocks of these pages run as written (a claim in the docs is a test)."""
    import pathlib
    import re

    monkeypatch.chdir(tmp_path)
    page = pathlib.Path(__file__).parent.parent / page
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, str(page), "exec"), {})
