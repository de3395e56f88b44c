"""The shared network: gradients, edits, masks, freezing, save/load, bad input."""
import json
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from helpers import numeric_gradient, random_cascade, relative_error
from structlearn import ACTIVATIONS, Network, train
from structlearn.train import encode_targets

HIDDEN = [a for a in ACTIVATIONS if a != "softmax"]
OUTPUT_LOSS = [("linear", "mse"), ("tanh", "mse"), ("symmetric_sigmoid", "mse"),
               ("sigmoid", "sigmoid_cross_entropy"), ("softmax", "softmax_cross_entropy")]


def _targets(net, loss, n, rng):
    if loss == "softmax_cross_entropy":
        return encode_targets(rng.integers(0, net.n_outputs, n), net, loss)
    if loss == "sigmoid_cross_entropy":
        return rng.uniform(size=(n, net.n_outputs))
    return rng.normal(size=(n, net.n_outputs))


def _check_gradient(net, loss, rng, n=6):
    X = rng.normal(size=(n, net.n_inputs))
    T = _targets(net, loss, n, rng)
    net.loss_and_grad(X, T, loss)
    analytic = net.grads.copy()
    numeric = numeric_gradient(lambda: net.loss_and_grad(X, T, loss), net.params)
    assert relative_error(analytic, numeric) < 1e-6


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
def test_gradient_mlp_every_activation_and_loss(hidden, output, loss):
    rng = np.random.default_rng(1)
    net = Network.mlp([3, 4, 3, 2], hidden=hidden, output=output, rng=rng)
    # ReLU's kink: keep pre-activations away from 0 so central differences are valid.
    _check_gradient(net, loss, rng)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
def test_gradient_cascade_every_activation_and_loss(hidden, output, loss):
    rng = np.random.default_rng(2)
    net = random_cascade(rng, n_hidden=4, hidden=hidden, output=output)
    assert net.depth >= 2 and any(b.width > 1 for b in net.blocks[:-1])
    _check_gradient(net, loss, rng)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cascade=st.booleans(), n_hidden=st.integers(0, 4),
       hidden=st.sampled_from(["tanh", "sigmoid", "softplus", "gaussian", "symmetric_sigmoid"]),
       out=st.sampled_from(OUTPUT_LOSS))
def test_gradient_random_architectures(seed, cascade, n_hidden, hidden, out):
    rng = np.random.default_rng(seed)
    output, loss = out
    n_in, n_out = int(rng.integers(1, 4)), int(rng.integers(2, 4))
    if cascade:
        net = random_cascade(rng, n_in, n_out, n_hidden, hidden=hidden, output=output)
    else:
        sizes = [n_in] + list(rng.integers(1, 5, n_hidden)) + [n_out]
        net = Network.mlp(sizes, hidden=hidden, output=output, rng=rng)
    _check_gradient(net, loss, rng)


def test_frozen_blocks_get_no_gradient_and_rest_is_exact():
    rng = np.random.default_rng(3)
    net = random_cascade(rng, n_hidden=3)
    for k in range(net.output_block):
        net.freeze(k)
    X, T = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    net.loss_and_grad(X, T, "mse")
    out = net.block_slice(net.output_block)
    assert np.all(net.grads[:out.start] == 0)
    numeric = numeric_gradient(lambda: net.loss_and_grad(X, T, "mse"), net.params)
    assert relative_error(net.grads[out], numeric[out]) < 1e-6


def test_mlp_and_cascade_structure():
    net = Network.mlp([4, 5, 3, 2], rng=0)
    assert net.node_sizes == [4, 5, 3, 2] and net.depth == 2 and net.n_hidden_units == 8
    assert [b.sources for b in net.blocks] == [(0,), (1,), (2,)]
    assert net.n_weights == 4 * 5 + 5 + 5 * 3 + 3 + 3 * 2 + 2
    cas = Network.cascade(2, 1, rng=0)
    assert cas.depth == 0 and cas.blocks[-1].sources == (0,)
    cas.add_block(1, [0], "tanh", consumers=[0], rng=0)
    cas.add_block(1, [0, 1], "tanh", consumers=[1], rng=0)
    assert cas.blocks[-1].sources == (0, 1, 2) and cas.depth == 2
    assert cas.blocks[1].sources == (0, 1)


def test_add_units_with_zero_outgoing_preserves_function():
    rng = np.random.default_rng(4)
    for net in (Network.mlp([3, 4, 4, 2], hidden="tanh", output="linear", rng=rng),
                random_cascade(rng, n_hidden=3)):
        X = rng.normal(size=(10, 3))
        before = net.forward(X)
        new = net.add_units(0, 2, outgoing=0.0, rng=rng)
        assert list(new) == [net.blocks[0].width - 2, net.blocks[0].width - 1]
        np.testing.assert_array_equal(net.forward(X), before)


def test_add_units_given_weights_exact_effect():
    net = Network.mlp([2, 1, 1], hidden="linear", output="linear", rng=0)
    X = np.array([[1.0, 2.0]])
    before = net.forward(X)
    net.add_units(0, 1, incoming=[[1.0], [1.0]], bias=[0.5], outgoing=[[2.0]])
    np.testing.assert_allclose(net.forward(X), before + 2.0 * 3.5, rtol=0, atol=1e-12)


def test_add_block_replace_inserts_between():
    net = Network.mlp([2, 3, 1], hidden="relu", output="linear", rng=0)
    X = np.random.default_rng(0).normal(size=(8, 2))
    before = net.forward(X)
    k = net.add_block(3, [1], "relu", position=1, replace=1, W=np.eye(3), b=0.0)
    assert k == 1 and [b.sources for b in net.blocks] == [(0,), (1,), (2,)]
    np.testing.assert_allclose(net.forward(X), before, rtol=0, atol=1e-12)


def test_remove_units_and_empty_block():
    rng = np.random.default_rng(5)
    net = Network.mlp([3, 4, 2], hidden="tanh", output="linear", rng=rng)
    X = rng.normal(size=(6, 3))
    net.blocks[1].W[[1, 3]] = 0.0  # units 1 and 3 do nothing downstream
    before = net.forward(X)
    net.remove_units(0, [1, 3])
    assert net.blocks[0].width == 2
    np.testing.assert_allclose(net.forward(X), before, rtol=0, atol=1e-12)
    cas = random_cascade(rng, n_hidden=3, sibling_every=None)  # three one-unit blocks
    cas.remove_units(1, [0])
    assert len(cas.blocks) == 3 and cas.blocks[-1].sources == (0, 1, 2)
    with pytest.raises(ValueError, match="units"):
        cas.remove_units(0, [5])


def test_param_keys_stable_across_edits():
    rng = np.random.default_rng(6)
    net = Network.mlp([2, 3, 2], rng=rng)
    keys, values = net.param_keys().copy(), net.params.copy()
    net.add_units(0, 2, rng=rng)
    from structlearn.network import carry_over
    moved = carry_over(keys, values, net.param_keys())
    kept = np.isin(net.param_keys(), keys)
    np.testing.assert_array_equal(moved[kept], net.params[kept])
    assert kept.sum() == values.size and np.all(moved[~kept] == 0)


def test_masks_hold_and_summary_counts():
    net = Network.mlp([3, 4, 2], rng=0)
    mask = np.ones((3, 4), bool)
    mask[0, :2] = False
    net.set_mask(0, mask)
    assert np.all(net.blocks[0].W[~mask] == 0)
    assert net.n_active_weights == net.n_weights - 2
    text = net.summary()
    assert "active" in text and str(net.n_active_weights) in text
    with pytest.raises(ValueError, match="mask must have shape"):
        net.set_mask(0, np.ones((2, 2), bool))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_save_load_round_trip_exact(tmp_path, dtype):
    rng = np.random.default_rng(7)
    net = random_cascade(rng, n_hidden=3).astype(dtype)
    mask = rng.random(net.blocks[-1].W.shape) > 0.3
    net.set_mask(net.output_block, mask)
    net.freeze(0)
    path = net.save(tmp_path / "net")
    back = Network.load(path)
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back.params, net.params)
    np.testing.assert_array_equal(back.param_keys(), net.param_keys())
    assert [b.sources for b in back.blocks] == [b.sources for b in net.blocks]
    assert [b.trainable for b in back.blocks] == [b.trainable for b in net.blocks]
    np.testing.assert_array_equal(back.blocks[-1].mask, mask)
    X = rng.normal(size=(4, 3))
    np.testing.assert_array_equal(back.forward(X), net.forward(X))


def test_load_rejects_damaged_and_hostile_files(tmp_path):
    net = Network.mlp([2, 2, 1], rng=0)
    path = net.save(tmp_path / "net.npz")
    data = open(path, "rb").read()
    (tmp_path / "trunc.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a valid structlearn network"):
        Network.load(tmp_path / "trunc.npz")
    # An object array (would need pickle to load): refused, never unpickled.
    np.savez(tmp_path / "pickled.npz", meta=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(ValueError, match="not a valid structlearn network"):
        Network.load(tmp_path / "pickled.npz")
    # Metadata lying about shapes.
    with np.load(path) as z:
        files = {k: z[k] for k in z.files}
    meta = json.loads(str(files["meta"][()]))
    meta["blocks"][1]["sources"] = [0]
    files["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "lying.npz", **files)
    with pytest.raises(ValueError, match="not a valid structlearn network"):
        Network.load(tmp_path / "lying.npz")
    files["W0"] = np.full((2, 2), np.nan)
    np.savez(tmp_path / "nan.npz", **files)
    with pytest.raises(ValueError, match="not a valid structlearn network"):
        Network.load(tmp_path / "nan.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not a valid structlearn network"):
        Network.load(tmp_path / "text.npz")
    assert zipfile.is_zipfile(path)


@pytest.mark.parametrize("X,match", [
    (np.array([[np.nan, 1.0]]), "X: expected finite"),
    (np.array([[np.inf, 1.0]]), "X: expected finite"),
    (np.zeros((3, 5)), "X must have 2 columns"),
    (np.zeros(2), "X: expected a 2-D"),
    (np.zeros((0, 2)), "X: expected a non-empty"),
])
def test_bad_inputs_named(X, match):
    net = Network.mlp([2, 3, 1], output="sigmoid", rng=0)
    with pytest.raises(ValueError, match=match):
        net.forward(X)


def test_bad_labels_and_targets():
    net = Network.mlp([2, 3, 3], rng=0)
    X = np.zeros((4, 2))
    with pytest.raises(TypeError, match="bare network takes class indices"):
        train(net, X, np.array(["a", "b", "c", "d"]), epochs=1)
    with pytest.raises(ValueError, match="class labels must be output indices in"):
        train(net, X, np.array([0, 1, 2, 3]), epochs=1)
    with pytest.raises(ValueError, match="y must have 4 rows"):
        train(net, X, np.array([0, 1]), epochs=1)
    with pytest.raises(ValueError, match="columns but the network has 3 outputs"):
        train(net, X, np.zeros((4, 2)), epochs=1)
    with pytest.raises(ValueError, match="loss 'mse' needs an element-wise"):
        train(net, X, np.array([0, 1, 2, 0]), loss="mse", epochs=1)


def test_bad_constructor_and_edit_arguments():
    with pytest.raises(ValueError, match="sizes must be"):
        Network.mlp([3])
    with pytest.raises(ValueError, match="activation: expected one of"):
        Network.mlp([2, 2, 1], hidden="swish")
    net = Network.mlp([2, 2, 1], rng=0)
    with pytest.raises(ValueError, match="block must be a hidden block"):
        net.add_units(1, 1)
    with pytest.raises(TypeError, match="block must be an int"):
        net.add_units("0", 1)
    with pytest.raises(ValueError, match="incoming must have shape"):
        net.add_units(0, 1, incoming=np.zeros((3, 1)))
    with pytest.raises(ValueError, match="dtype: expected float32 or float64"):
        Network.mlp([2, 2, 1], dtype=np.int32)


def test_pickle_round_trip_keeps_blocks_as_views_of_the_buffer():
    import pickle

    net = Network.mlp([2, 3, 1], hidden="tanh", output="sigmoid", rng=0)
    back = pickle.loads(pickle.dumps(net))
    X = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_array_equal(back.forward(X), net.forward(X))
    back.params[:] = 0.0  # an optimizer writes the flat buffer: forward must see it
    assert np.all(back.blocks[0].W == 0) and np.all(back.forward(X) == 0.5)


@pytest.mark.parametrize("build", ["mlp_frozen", "cascade"])
def test_vjp_matches_finite_differences_through_frozen_blocks(build):
    """``vjp`` (the network's one backward pass, taken down to the inputs) is J(x)^T dy for
    every row, frozen blocks included (relative error < 1e-6)."""
    rng = np.random.default_rng(3)
    if build == "mlp_frozen":
        net = Network.mlp([3, 5, 4, 2], hidden="tanh", output="sigmoid", rng=rng)
        net.freeze(0)
    else:
        net = random_cascade(rng, n_in=3, n_out=2, n_hidden=4, output="sigmoid")
    X = rng.standard_normal((6, 3))
    dY = rng.standard_normal((6, 2))
    flat = X.ravel()  # a view: numeric_gradient perturbs X in place

    def loss():
        return float((net.forward(X) * dY).sum())

    numeric = numeric_gradient(loss, flat).reshape(X.shape)
    assert relative_error(net.vjp(X, dY), numeric) < 1e-6
    params = net.params.copy()
    net.vjp(X, dY)
    assert np.array_equal(net.params, params)
