"""Recurrent Cascade-Correlation's candidate kind and recurrent networks (Fahlman 1991).

The slopes are checked against finite differences (the self-weight's included, several
sequences of different lengths), and the reverse recursion the kind uses against the paper's
forward recursion (RTRL for one unit). State reset, and w_s = 0 = the feed-forward cascade.
"""
import numpy as np
import pytest

from structlearn.activations import get_activation
from structlearn.cascor.kinds import CandidatePool, UnitKind
from structlearn.cascor.recurrent import RecurrentKind, candidate_values
from structlearn.cascor.steps import candidate_terms, error_stats
from structlearn.network import Network
from structlearn.sequences import Sequences, SequenceLayout

LENGTHS = [5, 2, 7, 1, 4]     # sequences of different lengths, one of length 1


def _problem(seed=0, kinds=("recurrent",), n_in=3, O=2, K=4):
    rng = np.random.default_rng(seed)
    lay = SequenceLayout(LENGTHS)
    P = lay.n_steps
    F = 1 + n_in
    V = np.empty((1, F, P))
    V[0, 0] = 1.0
    V[0, 1:] = rng.normal(size=(n_in, P))
    pool = CandidatePool(K, list(kinds))
    W = rng.uniform(-1, 1, (1, pool.n_rows, F))
    extra = rng.uniform(-1.5, 1.5, (1, pool.n_extra))
    E = rng.normal(size=(1, O, P))
    e_aug, e_cen, e_mean, sse = error_stats(E)
    return V, W, extra, pool, (e_aug, e_cen, e_mean, sse), lay


def _terms(V, W, extra, pool, stats, lay, prev_cor):
    return candidate_terms(V, W, pool, *stats, prev_cor, score="covariance",
                           extra=extra if pool.n_extra else None, layout=lay)


def _score(V, W, extra, pool, stats, lay):
    prev = np.zeros((1, pool.n_values, stats[2].shape[1]))
    return _terms(V, W, extra, pool, stats, lay, prev)[1][0]


@pytest.mark.parametrize("kinds", [("recurrent",), ("recurrent_tanh",),
                                   ("recurrent", "symmetric_sigmoid")])
def test_slopes_match_finite_differences(kinds):
    """-dS/dw and -dS/dw_s of every candidate, rel. error < 1e-6 (covariance score)."""
    V, W, extra, pool, stats, lay = _problem(kinds=kinds)
    cor = _terms(V, W, extra, pool, stats, lay, np.zeros((1, pool.n_values, 2)))[0]
    out = _terms(V, W, extra, pool, stats, lay, cor)     # this epoch's signs
    slopes = out[2][0].copy()
    x_slopes = out[3][0].copy() if pool.n_extra else np.zeros(0)
    h = 1e-6
    num = np.zeros_like(slopes)
    for r in range(W.shape[1]):
        k = next(i for i, s in enumerate(pool.row_of) if s.start <= r < s.stop)
        for f in range(W.shape[2]):
            Wp, Wm = W.copy(), W.copy()
            Wp[0, r, f] += h
            Wm[0, r, f] -= h
            num[r, f] = -(_score(V, Wp, extra, pool, stats, lay)[k]
                          - _score(V, Wm, extra, pool, stats, lay)[k]) / (2 * h)
    num_x = np.zeros_like(x_slopes)
    for e in range(len(x_slopes)):
        k = next(i for i, s in enumerate(pool.extra_of) if s.start <= e < s.stop)
        xp, xm = extra.copy(), extra.copy()
        xp[0, e] += h
        xm[0, e] -= h
        num_x[e] = -(_score(V, W, xp, pool, stats, lay)[k]
                     - _score(V, W, xm, pool, stats, lay)[k]) / (2 * h)
    both, nboth = np.r_[slopes.ravel(), x_slopes], np.r_[num.ravel(), num_x]
    rel = np.max(np.abs(both - nboth)) / np.max(np.abs(nboth))
    assert rel < 1e-6
    if pool.n_extra:       # the self-weight's slope on its own
        assert np.max(np.abs(x_slopes - num_x)) / np.max(np.abs(num_x)) < 1e-6


def _rtrl_slopes(Vseq, w, w_s, G_seq, act):
    """The paper's forward recursion, one sequence at a time, for one unit:
    dV(t)/dw_i = f'(t)(I_i(t) + w_s dV(t-1)/dw_i), dV(t)/dw_s = f'(t)(V(t-1) + w_s dV(t-1)/dw_s),
    every stored derivative zeroed at a sequence's start; slope = sum_t G(t) dV(t)/dw."""
    s_w, s_ws = np.zeros_like(w), 0.0
    for I, G in zip(Vseq, G_seq):
        v_prev, dw, dws = 0.0, np.zeros_like(w), 0.0        # the reset
        for t in range(I.shape[1]):
            a = np.array([w @ I[:, t] + w_s * v_prev])
            v = act.f(a.copy())
            fp = float(act.df(a, v)[0])
            v = float(v[0])
            dw = fp * (I[:, t] + w_s * dw)
            dws = fp * (v_prev + w_s * dws)
            s_w += G[t] * dw
            s_ws += G[t] * dws
            v_prev = v
    return s_w, s_ws


def test_reverse_recursion_equals_forward_recursion():
    """The kind's reverse-time slope equals the paper's forward recursion (RTRL)."""
    rng = np.random.default_rng(3)
    seqs = Sequences([rng.normal(size=(T, 2)) for T in LENGTHS])
    lay = seqs.layout
    Xt = lay.to_time_major(seqs.X)
    I = np.c_[np.ones(len(Xt)), Xt].T                         # (F, P), time-major
    kind = RecurrentKind("tanh")
    K = 3
    w = rng.uniform(-1, 1, (K, I.shape[0]))
    w_s = rng.uniform(-2, 2, K)
    G = rng.normal(size=(1, K, lay.n_steps))
    Z = (w @ I)[None]
    Y = np.empty_like(Z)
    D = np.empty_like(Z)
    cache = kind.values(Z, Y, D, extra=w_s.reshape(1, K, 1), layout=lay)
    dZ, dws = kind.backward(cache, G.copy(), extra=w_s.reshape(1, K, 1))
    rev_w = dZ[0] @ I.T
    # the same in sequence order for the reference
    I_seq = seqs.split(lay.to_sequence_major(I.T))
    for k in range(K):
        G_seq = seqs.split(lay.to_sequence_major(G[0, k]))
        ref_w, ref_ws = _rtrl_slopes([i.T for i in I_seq], w[k], w_s[k], G_seq, kind.act)
        np.testing.assert_allclose(rev_w[k], ref_w, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dws[0, k, 0], ref_ws, rtol=1e-10, atol=1e-12)


def test_state_is_zeroed_at_each_sequence_start():
    """A sequence's values do not depend on the sequences before it (candidates and network)."""
    rng = np.random.default_rng(4)
    parts = [rng.normal(size=(T, 2)) for T in (6, 3, 4)]
    act = get_activation("symmetric_sigmoid")
    w = rng.uniform(-1, 1, 3)
    alone = []
    for p in parts:
        lay = SequenceLayout([len(p)])
        Z = (np.c_[np.ones(len(p)), p] @ w)[None]
        alone.append(candidate_values(Z, 1.7, lay, act)[1][0])
    seqs = Sequences(parts)
    lay = seqs.layout
    Z = (np.c_[np.ones(seqs.n_steps), lay.to_time_major(seqs.X)] @ w)[None]
    together = lay.to_sequence_major(candidate_values(Z, 1.7, lay, act)[1][0])
    np.testing.assert_array_equal(np.concatenate(alone), together)
    net = _recurrent_net(rng, r=(1.5, -2.0))
    joint = net.forward(parts)
    np.testing.assert_array_equal(joint, np.concatenate([net.forward([p]) for p in parts]))


def _recurrent_net(rng, r=(1.5, -2.0), n_in=2, O=3):
    net = Network.cascade(n_in, O, rng=rng)
    net.add_block(1, (0,), "symmetric_sigmoid", consumers=[0], trainable=False,
                  recurrent=[r[0]], rng=rng)
    net.add_block(1, (0, 1), "tanh", consumers=[1], trainable=False, recurrent=[r[1]], rng=rng)
    return net


def test_zero_self_weights_equal_the_feed_forward_cascade():
    """w_s = 0: the recurrent network equals the feed-forward cascade on every time step,
    and a recurrent candidate equals a plain unit."""
    rng = np.random.default_rng(5)
    net = _recurrent_net(rng, r=(0.0, 0.0))
    ff = net.copy()
    for blk in ff.blocks:
        blk.recurrent = None
    assert net.is_recurrent and not ff.is_recurrent
    parts = [rng.normal(size=(T, 2)) for T in LENGTHS]
    np.testing.assert_array_equal(net.forward(parts), ff.forward(np.concatenate(parts)))
    V, W, extra, pool, stats, lay = _problem(kinds=("recurrent",), K=3)
    plain = CandidatePool(3, [UnitKind("symmetric_sigmoid")])
    prev = np.zeros((1, 3, 2))
    rec = _terms(V, W, np.zeros_like(extra), pool, stats, lay, prev)
    ffw = candidate_terms(V, W, plain, *stats, prev, score="covariance")
    np.testing.assert_allclose(rec[1], ffw[1], rtol=1e-12)
    np.testing.assert_allclose(rec[2], ffw[2], rtol=1e-12, atol=1e-15)


def test_network_save_load_and_refusals(tmp_path):
    rng = np.random.default_rng(6)
    net = _recurrent_net(rng)
    parts = [rng.normal(size=(T, 2)) for T in (4, 2)]
    path = net.save(tmp_path / "rcc.npz")
    back = Network.load(path)
    assert back.is_recurrent
    np.testing.assert_array_equal(back.blocks[0].recurrent, net.blocks[0].recurrent)
    np.testing.assert_array_equal(back.forward(parts), net.forward(parts))
    # the same data as an array with lengths, and padded
    flat = np.concatenate(parts)
    np.testing.assert_array_equal(net.forward(flat, lengths=[4, 2]), net.forward(parts))
    padded = np.zeros((2, 4, 2))
    padded[0], padded[1, :2] = parts
    np.testing.assert_array_equal(net.forward(padded, lengths=[4, 2]), net.forward(parts))
    with pytest.raises(ValueError, match="recurrent blocks.*sequences"):
        net.forward(flat)
    with pytest.raises(ValueError, match="recurrent blocks"):
        net.loss_and_grad(flat, np.zeros((6, 3)), "mse")
    with pytest.raises(ValueError, match="recurrent and stays frozen"):
        net.freeze(0, frozen=False)
    with pytest.raises(ValueError, match="output block cannot be recurrent"):
        Network(2, [dict(W=np.zeros((2, 1)), b=np.zeros(1), activation="tanh", sources=(0,),
                         trainable=False, recurrent=[1.0])])


def test_network_edits_keep_self_weights():
    rng = np.random.default_rng(7)
    net = _recurrent_net(rng)
    parts = [rng.normal(size=(T, 2)) for T in (3, 5)]
    before = net.forward(parts)
    net.add_units(0, 1, outgoing=0.0, rng=rng)            # a feed-forward sibling: w_s = 0
    np.testing.assert_array_equal(net.blocks[0].recurrent, [1.5, 0.0])
    np.testing.assert_allclose(net.forward(parts), before, atol=1e-15)
    net.add_units(0, 1, outgoing=0.0, self_weight=[-0.5], rng=rng)
    np.testing.assert_array_equal(net.blocks[0].recurrent, [1.5, 0.0, -0.5])
    net.remove_units(0, [1])
    np.testing.assert_array_equal(net.blocks[0].recurrent, [1.5, -0.5])
    copy = net.astype(np.float32)
    assert copy.blocks[0].recurrent is not None
    with pytest.raises(ValueError, match="must be finite|finite"):
        net.add_units(0, 1, self_weight=[np.nan], rng=rng)
    np.testing.assert_array_equal(net.blocks[0].recurrent, [1.5, -0.5])   # all-or-nothing
