"""Exact batching: a cascade-correlation trial's result does not depend on its batch.

``fit_trials`` runs many trials as one batched computation (and ``n_jobs`` deals them out to
worker processes). A trial's result must be a function of its seed alone: the same bits
whichever trials share its batch, in whatever order, on however many workers, in float64 and
float32, and equal to ``fit`` with that seed. Before the products were cut into fixed blocks
(:func:`structlearn.cascor.steps.fan_product`), 5 of seeds 0-7 grew different networks on
two-spirals next to seed 1 than alone, because a BLAS reduction's rounding depends on its
length and a batch padded every trial's fan-in to its largest.
"""
import numpy as np
import pytest

from structlearn import datasets as ds
from structlearn.cascor import CascadeCorrelation
from structlearn.cascor.steps import FAN_BLOCK, fan_product, fan_slopes

SEEDS = list(range(20))


def _fingerprint(r):
    """Everything a trial produced: weights (bit for bit), structure, counters, events."""
    net = r.network
    return (net.params.tobytes(), [(b.sources, b.activation, b.W.shape) for b in net.blocks],
            r.epochs, r.crossings, r.stop_reason, r.history.to_dict()["events"])


def _by_seed(est, X, y, batches, n_jobs=1):
    """Run each batch of seeds with fit_trials; the fingerprints by seed."""
    out = {}
    for batch in batches:
        for seed, r in zip(batch, est.fit_trials(X, y, batch, n_jobs=n_jobs)):
            out.setdefault(seed, _fingerprint(r))
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_two_spirals_trials_do_not_depend_on_their_batch(dtype):
    X, y = ds.two_spirals()
    est = CascadeCorrelation(dtype=dtype, history="phase")
    # 1. all 20 seeds in one batch, one process
    together = _by_seed(est, X, y, [SEEDS])
    # 2. reversed and mixed with 4 other seeds, dealt out to two worker processes
    mixed = SEEDS[::-1][:10] + [100, 101, 102, 103] + SEEDS[::-1][10:]
    workers = _by_seed(est, X, y, [mixed], n_jobs=2)
    # 3. small batches: each seed next to a different companion (pairs and triples)
    small = [[s, 40 + s] if s % 2 else [60 + s, s, 80 + s] for s in SEEDS]
    paired = _by_seed(est, X, y, small)
    for seed in SEEDS:
        assert workers[seed] == together[seed], f"seed {seed}: two workers differ"
        assert paired[seed] == together[seed], f"seed {seed}: a small batch differs"
    # the batch equals fit (a few seeds: fit is the batch of one)
    for seed in (0, 7, 13):
        m = CascadeCorrelation(dtype=dtype, history="phase", rng=seed).fit(X, y)
        r = together[seed]
        assert m.network_.params.tobytes() == r[0] and m.n_epochs_ == r[2]
        assert m.history_.to_dict()["events"] == r[5]
    # the trials really are different and grew different sizes (the test has teeth)
    assert len({together[s][0] for s in SEEDS}) == len(SEEDS)
    assert len({len(together[s][1]) for s in SEEDS}) > 2


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("pool_type", ["cascade", "sibling_descendant"])
def test_parity_trials_do_not_depend_on_their_batch(dtype, pool_type):
    X, y = ds.parity(5)
    est = CascadeCorrelation(dtype=dtype, history="phase", pool_type=pool_type,
                             max_hidden_units=12)
    seeds = list(range(8))
    together = _by_seed(est, X, y, [seeds])
    alone = _by_seed(est, X, y, [[s] for s in seeds])
    two = _by_seed(est, X, y, [seeds[::-1]], n_jobs=2)
    for seed in seeds:
        assert alone[seed] == together[seed] == two[seed], f"seed {seed}"
        m = CascadeCorrelation(dtype=dtype, history="phase", pool_type=pool_type,
                               max_hidden_units=12, rng=seed).fit(X, y)
        assert m.network_.params.tobytes() == together[seed][0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_blocked_products_equal_plain_ones_and_ignore_zero_blocks(dtype):
    """fan_product / fan_slopes are W @ V and D @ V^T, and appending zero blocks to the
    fan-in (a bigger batch-mate) changes no bit of a trial's numbers."""
    rng = np.random.default_rng(0)
    B, R, P, head, fan = 3, 8, 194, 3, 3 + 13
    V = np.zeros((B, head + 6 * FAN_BLOCK, P), dtype)
    W = np.zeros((B, R, V.shape[1]), dtype)
    V[:, :fan] = rng.standard_normal((B, fan, P))
    W[:, :, :fan] = rng.standard_normal((B, R, fan))
    D = rng.standard_normal((B, R, P)).astype(dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-4
    first = None
    for n in (2, 3, 6):
        F = head + n * FAN_BLOCK
        Z = fan_product(W[:, :, :F], V[:, :F], head)
        S = fan_slopes(D, V[:, :F], head)
        np.testing.assert_allclose(Z, W[:, :, :F] @ V[:, :F], rtol=tol, atol=tol)
        np.testing.assert_allclose(S, D @ np.swapaxes(V[:, :F], 1, 2), rtol=tol, atol=tol)
        assert np.all(S[:, :, fan:] == 0)
        if first is None:
            first = Z, S[:, :, :fan]
        np.testing.assert_array_equal(Z, first[0])
        np.testing.assert_array_equal(S[:, :, :fan], first[1])
    # one trial alone gives the bits it has in the batch
    F = head + 2 * FAN_BLOCK
    np.testing.assert_array_equal(fan_product(W[1:2, :, :F], V[1:2, :F], head)[0], first[0][1])
    np.testing.assert_array_equal(fan_slopes(D[1:2], V[1:2, :F], head)[0, :, :fan],
                                  first[1][1])
