"""Exact curvature: Hessian-vector products (R-operator), the exact diagonal, the full Hessian.

Every product is checked against central finite differences of the analytic gradient
(``Network.loss_and_grad``), which is independent of the R-operator code: relative error < 1e-6.
"""
import numpy as np
import pytest

from helpers import numeric_jacobian, random_cascade
from structlearn import Network
from structlearn.activations import get_activation
from structlearn.curvature import (MAX_WEIGHTS, active_indices, exact_hessian_diagonal,
                                   full_hessian, hessian_vector_product)
from structlearn.hessian import hessian_diagonal
from structlearn.losses import get_loss

RTOL = 1e-6


# ----------------------------------------------------------------- references
def _trainable_copy(net):
    """Frozen blocks get no gradient from loss_and_grad; the reference differentiates a copy
    with every block trainable (the same function, so the same Hessian)."""
    ref = net.copy()
    for k in range(len(ref.blocks)):
        ref.freeze(k, frozen=False)
    return ref


def fd_hvp(net, X, T, loss, v, eps=1e-5):
    ref = _trainable_copy(net)
    p, old = ref.params, ref.params.copy()
    p[:] = old + eps * v
    ref.loss_and_grad(X, T, loss)
    up = ref.grads.copy()
    p[:] = old - eps * v
    ref.loss_and_grad(X, T, loss)
    down = ref.grads.copy()
    p[:] = old
    return (up - down) / (2 * eps)


def fd_hessian(net, X, T, loss, idx):
    H = np.empty((len(idx), len(idx)))
    for j, i in enumerate(idx):
        e = np.zeros(net.params.size)
        e[i] = 1.0
        H[:, j] = fd_hvp(net, X, T, loss, e)[idx]
    return H


def fd_gauss_newton(net, X, T, loss, idx, eps=1e-6):
    """sum_n J_n^T H_n J_n from per-pattern finite-difference Jacobians of the output
    pre-activations and the loss's Gauss-Newton matrix in z (dense for the softmax)."""
    loss = get_loss(loss)
    act = get_activation(net.blocks[-1].activation)

    def z_of():
        net._forward(X)
        return net.last_pass.pre_activations[-1].copy()

    z0 = z_of()
    y0 = act.f(z0.copy())
    p = net.params
    J = numeric_jacobian(z_of, p, idx, eps)
    G = np.zeros((len(idx), len(idx)))
    for n in range(len(X)):
        if loss.name == "softmax_cross_entropy":
            Hz = (np.diag(y0[n]) - np.outer(y0[n], y0[n])) / len(X)
        else:
            Hz = np.diag(loss.hess_diag(z0[n:n + 1], y0[n:n + 1], T[n:n + 1], act,
                                        exact=False)[0]) / len(X)
        G += J[n].T @ Hz @ J[n]
    return G


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# ------------------------------------------------------------------- networks
LOSSES = [("linear", "mse"), ("sigmoid", "mse"), ("symmetric_sigmoid", "mse"),
          ("sigmoid", "sigmoid_cross_entropy"), ("softmax", "softmax_cross_entropy")]


def _targets(rng, n, n_out, output, loss):
    if loss == "softmax_cross_entropy":
        return np.eye(n_out)[rng.integers(0, n_out, n)]
    if loss == "sigmoid_cross_entropy":
        return (rng.uniform(size=(n, n_out)) > 0.5).astype(float)
    lo, hi = get_activation(output).label_values if output != "linear" else (-1.0, 1.0)
    return rng.uniform(lo, hi, (n, n_out))


def _problem(kind, depth, hidden, output, loss, seed=0, n=13):
    rng = np.random.default_rng(seed)
    n_out = 3 if output == "softmax" else 2
    if kind == "mlp":
        sizes = [3] + [4, 5, 3][:depth] + [n_out]
        net = Network.mlp(sizes, hidden=hidden, output=output, rng=rng)
        for blk in net.blocks:  # non-zero biases: no accidental symmetry
            blk.b[:] = rng.uniform(-0.5, 0.5, blk.width)
    else:
        net = random_cascade(rng, n_out=n_out, n_hidden=depth + 2, hidden=hidden, output=output)
    X = rng.normal(size=(n, 3))
    return net, X, _targets(rng, n, n_out, output, loss), rng


# ----------------------------------------------------------------- products
@pytest.mark.parametrize("output,loss", LOSSES)
@pytest.mark.parametrize("kind,depth", [("mlp", 1), ("mlp", 2), ("mlp", 3), ("cascade", 1),
                                        ("cascade", 3)])
@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "softplus"])
def test_hessian_vector_product_matches_finite_differences(kind, depth, hidden, output, loss):
    net, X, T, rng = _problem(kind, depth, hidden, output, loss)
    V = rng.normal(size=(3, net.params.size))
    HV = hessian_vector_product(net, X, T, V, loss=loss)
    for v, hv in zip(V, HV):
        assert rel(hv, fd_hvp(net, X, T, loss, v)) < RTOL
    # one direction gives the same as a batch of one
    np.testing.assert_allclose(hessian_vector_product(net, X, T, V[1], loss=loss), HV[1],
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("hidden", ["gaussian", "symmetric_sigmoid", "relu"])
def test_other_hidden_activations_and_the_cascade_unit_kinds(hidden):
    net, X, T, rng = _problem("cascade", 3, hidden, "symmetric_sigmoid", "mse", seed=2)
    v = rng.normal(size=net.params.size)
    assert rel(hessian_vector_product(net, X, T, v, loss="mse"), fd_hvp(net, X, T, "mse", v)) < RTOL


@pytest.mark.parametrize("kind", ["mlp", "cascade"])
def test_masks_and_frozen_blocks(kind):
    net, X, T, rng = _problem(kind, 2, "tanh", "sigmoid", "mse", seed=4)
    for k, blk in enumerate(net.blocks):
        net.set_mask(k, rng.uniform(size=blk.W.shape) > 0.3)
    net.freeze(0)
    v = rng.normal(size=net.params.size)
    hv = hessian_vector_product(net, X, T, v, loss="mse")
    idx = active_indices(net)
    masked = np.setdiff1d(np.arange(net.params.size), idx)
    assert masked.size > 0
    assert np.all(hv[masked] == 0.0)
    vm = np.zeros_like(v)
    vm[idx] = v[idx]
    # masked weights are not variables: their entries of v are ignored
    assert rel(hv, fd_hvp(net, X, T, "mse", vm)) < RTOL
    # the frozen block is still part of the Hessian (its rows are not zero)
    lo, hi = net.block_slice(0).start, net.block_slice(0).stop
    assert np.abs(hv[lo:hi]).max() > 0


# ------------------------------------------------------- diagonal and matrix
@pytest.mark.parametrize("output,loss", LOSSES)
@pytest.mark.parametrize("kind,depth", [("mlp", 1), ("mlp", 3), ("cascade", 2)])
def test_exact_diagonal_and_full_hessian(kind, depth, output, loss):
    net, X, T, rng = _problem(kind, depth, "tanh", output, loss, seed=5)
    net.set_mask(0, rng.uniform(size=net.blocks[0].W.shape) > 0.2)
    idx = active_indices(net)
    ref = fd_hessian(net, X, T, loss, idx)
    H = full_hessian(net, X, T, loss=loss)
    assert H.shape == (len(idx), len(idx))
    assert rel(H, ref) < RTOL
    np.testing.assert_array_equal(H, H.T)
    d = exact_hessian_diagonal(net, X, T, loss=loss)
    assert rel(d[idx], np.diag(ref)) < RTOL
    assert np.all(np.abs(np.delete(d, idx)) == 0.0)
    # the same thing through hessian_diagonal's mode="exact"
    np.testing.assert_allclose(hessian_diagonal(net, X, T, mode="exact", loss=loss), d,
                               rtol=1e-12, atol=1e-15)
    # and a sub-matrix of chosen variables
    sub = idx[::3]
    H_sub = full_hessian(net, X, T, loss=loss, indices=sub)
    np.testing.assert_allclose(H_sub, H[np.ix_(np.arange(0, len(idx), 3),
                                               np.arange(0, len(idx), 3))], rtol=1e-10,
                               atol=1e-14)


@pytest.mark.parametrize("output,loss", LOSSES)
@pytest.mark.parametrize("kind", ["mlp", "cascade"])
def test_gauss_newton_matrix(kind, output, loss):
    net, X, T, rng = _problem(kind, 2, "sigmoid", output, loss, seed=6)
    idx = active_indices(net)
    G = full_hessian(net, X, T, loss=loss, mode="gn")
    assert rel(G, fd_gauss_newton(net, X, T, loss, idx)) < 1e-6
    assert np.linalg.eigvalsh(G).min() > -1e-12 * np.abs(G).max()  # never indefinite


def test_exact_agrees_with_the_recursions_where_they_are_exact():
    """One hidden layer, mse: the Becker-LeCun 'full' recursion is the exact diagonal."""
    net, X, T, _ = _problem("mlp", 1, "tanh", "linear", "mse", seed=7)
    np.testing.assert_allclose(hessian_diagonal(net, X, T, "exact", "mse"),
                               hessian_diagonal(net, X, T, "full", "mse"), rtol=1e-9, atol=1e-14)


def test_pattern_chunks_give_the_same_result_and_the_gradient_from_hessian_diagonal():
    net, X, T, rng = _problem("cascade", 2, "tanh", "symmetric_sigmoid", "mse", seed=8, n=31)
    V = rng.normal(size=(4, net.params.size))
    whole = hessian_vector_product(net, X, T, V, loss="mse")
    np.testing.assert_allclose(hessian_vector_product(net, X, T, V, loss="mse", batch_size=7),
                               whole, rtol=1e-10, atol=1e-14)
    H, value, grad = hessian_diagonal(net, X, T, "exact", "mse", batch_size=9,
                                      return_gradient=True)
    ref_value, ref_grad = net.gradient(X, T, "mse")
    assert value == pytest.approx(ref_value, rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(H, hessian_diagonal(net, X, T, "exact", "mse"), rtol=1e-10,
                               atol=1e-14)


def test_float32_network():
    net, X, T, rng = _problem("mlp", 2, "tanh", "sigmoid", "sigmoid_cross_entropy", seed=9)
    net32 = net.astype(np.float32)
    v = rng.normal(size=net.params.size)
    hv32 = hessian_vector_product(net32, X, T, v, loss="sigmoid_cross_entropy")
    assert hv32.dtype == np.float32
    hv = hessian_vector_product(net, X, T, v, loss="sigmoid_cross_entropy")
    assert rel(hv32, hv) < 1e-4


# -------------------------------------------------------------------- errors
def test_size_limit_and_bad_arguments():
    rng = np.random.default_rng(0)
    big = Network.mlp([60, 70, 2], hidden="tanh", output="linear", rng=rng)
    assert big.n_weights > MAX_WEIGHTS
    X, T = rng.normal(size=(4, 60)), rng.normal(size=(4, 2))
    with pytest.raises(ValueError, match="max_weights"):
        full_hessian(big, X, T)
    with pytest.raises(ValueError, match="max_weights"):
        hessian_diagonal(big, X, T, mode="exact")
    hessian_vector_product(big, X, T, np.ones(big.n_weights))  # products have no size limit
    net, X, T, _ = _problem("mlp", 1, "tanh", "linear", "mse")
    with pytest.raises(ValueError, match="v: expected shape"):
        hessian_vector_product(net, X, T, np.ones(3))
    with pytest.raises(ValueError, match="mode"):
        hessian_vector_product(net, X, T, np.ones(net.n_weights), mode="lm")
    with pytest.raises(TypeError, match="network"):
        full_hessian("net", X, T)
    with pytest.raises(ValueError, match="indices"):
        full_hessian(net, X, T, indices=[0, 0])
    with pytest.raises(ValueError, match="indices"):
        full_hessian(net, X, T, indices=[net.n_weights])
    with pytest.raises(ValueError, match="max_weights"):
        full_hessian(net, X, T, max_weights=3)
