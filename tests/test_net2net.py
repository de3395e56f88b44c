"""Net2Net: exactness of wider/deeper, masks, noise, errors, and the search."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from structlearn import Network, train
from structlearn.activations import ACTIVATIONS
from structlearn.net2net import NotFunctionPreservingError, deeper, widen_to, wider
from helpers import random_cascade

HIDDEN = sorted(name for name, act in ACTIVATIONS.items() if act.elementwise)
TOL = 1e-10


def max_diff(a, b, X):
    return float(np.max(np.abs(a.forward(X) - b.forward(X))))


def snapshot(net):
    """Everything a caller could observe of a network."""
    return dict(params=net.params.copy(), W=[b.W.copy() for b in net.blocks],
                b=[b.b.copy() for b in net.blocks],
                masks=[None if b.mask is None else b.mask.copy() for b in net.blocks],
                sources=[b.sources for b in net.blocks], acts=[b.activation for b in net.blocks],
                trainable=[b.trainable for b in net.blocks],
                ids=[u.copy() for u in net.unit_ids], dtype=net.dtype)


def assert_same(before, net):
    after = snapshot(net)
    assert np.array_equal(before["params"], after["params"])
    for key in ("W", "b", "ids"):
        assert len(before[key]) == len(after[key])
        for x, y in zip(before[key], after[key]):
            assert np.array_equal(x, y)
    for x, y in zip(before["masks"], after["masks"]):
        assert (x is None and y is None) or np.array_equal(x, y)
    for key in ("sources", "acts", "trainable", "dtype"):
        assert before[key] == after[key]


@pytest.fixture
def X():
    return np.random.default_rng(0).normal(size=(64, 4)) * 2.0


# ------------------------------------------------------------------ wider
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output", ["softmax", "linear", "sigmoid"])
def test_wider_is_exact_for_every_activation(hidden, output, X):
    net = Network.mlp([4, 5, 3, 3], hidden=hidden, output=output, rng=1)
    net.blocks[0].b[:] = np.random.default_rng(2).normal(size=5)  # non-trivial biases
    for block, new_width in [(0, 11), (1, 8)]:
        student = wider(net, block, new_width, rng=3)
        assert student.blocks[block].width == new_width
        assert max_diff(net, student, X) < TOL


def test_chained_and_repeated_widenings_stay_exact(X):
    net = Network.mlp([4, 3, 4, 2], hidden="tanh", output="linear", rng=0)
    student = net
    for block, w in [(0, 5), (0, 9), (1, 6), (0, 17), (1, 13), (1, 14)]:
        student = wider(student, block, w, rng=w)
        assert max_diff(net, student, X) < TOL
    assert [b.width for b in student.blocks] == [17, 14, 2]


def test_widen_to_widens_several_blocks(X):
    net = Network.mlp([4, 6, 5, 4, 3], hidden="relu", output="softmax", rng=0)
    student = widen_to(net, {0: 9, 1: 10, 2: 4}, rng=1)
    assert [b.width for b in student.blocks] == [9, 10, 4, 3]
    assert max_diff(net, student, X) < TOL


def test_wider_on_cascade_blocks_with_several_consumers(X):
    rng = np.random.default_rng(4)
    net = random_cascade(rng, n_in=4, n_out=2, n_hidden=5, hidden="symmetric_sigmoid",
                         output="symmetric_sigmoid")
    assert any(len(net.consumers(k + 1)) > 1 for k in range(len(net.blocks) - 1))
    student = net
    for k in range(len(net.blocks) - 1):
        student = wider(student, k, student.blocks[k].width + 3, rng=k)
        assert max_diff(net, student, X) < TOL
    assert student.n_hidden_units == net.n_hidden_units + 3 * (len(net.blocks) - 1)


def test_replicas_copy_incoming_and_outgoing_rows_sum_back():
    rng = np.random.default_rng(5)
    net = random_cascade(rng, n_in=3, n_out=2, n_hidden=4, hidden="tanh")
    k = 0
    student, (origin, share) = wider(net, k, net.blocks[k].width + 7, rng=6, return_mapping=True)
    width = net.blocks[k].width
    assert np.array_equal(origin[:width], np.arange(width))  # every old unit kept
    assert np.allclose(np.bincount(origin, weights=share), 1.0)
    old, new = net.blocks[k], student.blocks[k]
    assert np.array_equal(new.W[:, :width], old.W) and np.array_equal(new.b[:width], old.b)
    assert np.array_equal(new.W, old.W[:, origin]) and np.array_equal(new.b, old.b[origin])
    consumers = net.consumers(k + 1)
    assert len(consumers) > 1
    for j in consumers:
        rows_old = dict(net.source_rows(j))[k + 1]
        rows_new = dict(student.source_rows(j))[k + 1]
        R_old = net.blocks[j].W[rows_old]
        R_new = student.blocks[j].W[rows_new]
        summed = np.zeros_like(R_old)
        np.add.at(summed, origin, R_new)
        assert np.max(np.abs(summed - R_old)) < 1e-14
        # replicas of one origin carry equal shares (paper eq. 2)
        assert np.allclose(R_new, R_old[origin] / np.bincount(origin)[origin][:, None])
        # rows of the other sources untouched
        others = [r for s, r in net.source_rows(j) if s != k + 1]
        others_new = [r for s, r in student.source_rows(j) if s != k + 1]
        for a, b in zip(others, others_new):
            assert np.array_equal(net.blocks[j].W[a], student.blocks[j].W[b])


def test_random_mapping_is_uniform_over_old_units():
    net = Network.mlp([2, 4, 1], hidden="tanh", output="linear", rng=0)
    _, (origin, _) = wider(net, 0, 4004, rng=7, return_mapping=True)
    counts = np.bincount(origin[4:], minlength=4)
    assert counts.sum() == 4000 and np.all(np.abs(counts - 1000) < 150)  # sd ~ 27


def test_largest_mode_reproduces_danielslater_choice(X):
    net = Network.mlp([4, 5, 3, 2], hidden="relu", output="softmax", rng=2)
    blk = net.blocks[0]
    best = int(np.argmax(blk.W.sum(axis=0) + blk.b))
    student, (origin, share) = wider(net, 0, 9, mode="largest", return_mapping=True)
    assert np.all(origin[5:] == best)  # the same unit split again and again
    assert np.allclose(share[5:], [0.5, 0.25, 0.125, 0.0625])
    assert share[best] == 0.0625 and np.isclose(share[origin == best].sum(), 1.0)
    assert max_diff(net, student, X) < TOL


def test_same_seed_same_result():
    net = Network.mlp([4, 5, 2], hidden="tanh", output="linear", rng=0)
    a = wider(net, 0, 12, noise=0.1, rng=9)
    b = wider(net, 0, 12, noise=0.1, rng=9)
    c = wider(net, 0, 12, noise=0.1, rng=10)
    assert np.array_equal(a.params, b.params) and not np.array_equal(a.params, c.params)


def test_float32_network_stays_float32(X):
    net = Network.mlp([4, 6, 3], hidden="relu", output="softmax", rng=0, dtype=np.float32)
    student = wider(net, 0, 10, rng=1)
    assert student.dtype == np.float32 and student.params.dtype == np.float32
    assert max_diff(net, student, X.astype(np.float32)) < 1e-5


# ------------------------------------------------------------------ noise
@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid"])
def test_noise_changes_outputs_in_proportion(hidden, X):
    net = Network.mlp([4, 6, 5, 2], hidden=hidden, output="linear", rng=0)
    changes = [max_diff(net, wider(net, 0, 14, noise=s, rng=11), X) for s in (1e-4, 1e-3, 1e-2)]
    assert max_diff(net, wider(net, 0, 14, noise=0.0, rng=11), X) < TOL
    assert changes[0] > 0
    for small, big in zip(changes, changes[1:]):
        assert 7 < big / small < 13  # linear in the requested noise for small noise


def test_noise_is_relative_to_the_copied_weights():
    rng = np.random.default_rng(0)
    W1 = rng.normal(size=(50, 2)) * np.array([1.0, 100.0])
    net = Network(50, [dict(W=W1, b=np.zeros(2), activation="tanh", sources=(0,)),
                       dict(W=rng.normal(size=(2, 1)), b=np.zeros(1), activation="linear",
                            sources=(1,))])
    student, (origin, _) = wider(net, 0, 2002, noise=0.05, rng=1, return_mapping=True)
    W = student.blocks[0].W
    for unit in (0, 1):
        cols = np.flatnonzero(origin[2:] == unit) + 2
        deviation = (W[:, cols] - W1[:, [unit]]).std()
        rms = np.sqrt(np.mean(W1[:, unit] ** 2))
        assert abs(deviation / (0.05 * rms) - 1) < 0.05
    assert np.array_equal(W[:, :2], W1)  # original units untouched
    # absolute noise ignores the weights' scale
    absolute, (origin, _) = wider(net, 0, 2002, noise=0.05, noise_scale="absolute", rng=1,
                                  return_mapping=True)
    cols = np.flatnonzero(origin[2:] == 1) + 2
    assert abs((absolute.blocks[0].W[:, cols] - W1[:, [1]]).std() / 0.05 - 1) < 0.05


# --------------------------------------------------------- inputs and masks
@pytest.mark.parametrize("call", [
    lambda n: wider(n, 0, 9, rng=0),
    lambda n: wider(n, 1, 7, noise=0.1, rng=0),
    lambda n: wider(n, 0, 9, mode="largest", noise=0.1, rng=0),
    lambda n: widen_to(n, {0: 8, 1: 8}, rng=0),
    lambda n: deeper(n, 0),
    lambda n: deeper(n, 1, method="shortcut"),
    lambda n: deeper(n, 0, method="linear"),
])
def test_inputs_are_never_mutated(call, X):
    net = Network.mlp([4, 5, 4, 2], hidden="relu", output="softmax", rng=0)
    mask = np.ones_like(net.blocks[1].W, bool)
    mask[0, :2] = False
    net.set_mask(1, mask)
    net.freeze(0)
    before = snapshot(net)
    out_before = net.forward(X)
    student = call(net)
    assert student is not net
    assert_same(before, net)
    assert np.array_equal(net.forward(X), out_before)
    # and the student shares no buffer with the teacher
    student.params[:] = 0.0
    assert_same(before, net)


def test_masks_follow_the_replicas(X):
    net = Network.mlp([4, 5, 4, 2], hidden="tanh", output="linear", rng=0)
    rng = np.random.default_rng(3)
    m0 = rng.random(net.blocks[0].W.shape) > 0.3
    m1 = rng.random(net.blocks[1].W.shape) > 0.3
    net.set_mask(0, m0)
    net.set_mask(1, m1)
    student, (origin, _) = wider(net, 0, 12, noise=0.1, rng=4, return_mapping=True)
    assert np.array_equal(student.blocks[0].mask, m0[:, origin])
    assert np.array_equal(student.blocks[1].mask, m1[origin])
    for blk in student.blocks[:2]:
        assert np.all(blk.W[~blk.mask] == 0.0)
    exact = wider(net, 0, 12, rng=4)
    assert max_diff(net, exact, X) < TOL
    assert student.n_active_weights - net.n_active_weights == \
        (m0[:, origin[5:]].sum() + 7) + m1[origin[5:]].sum()
    # training keeps the copies of pruned weights at zero
    train(student, X, X[:, :2], loss="mse", optimizer="adam", epochs=3, rng=0)
    for blk in student.blocks[:2]:
        assert np.all(blk.W[~blk.mask] == 0.0)


def test_wider_keeps_frozen_blocks_frozen(X):
    net = Network.mlp([4, 5, 2], hidden="tanh", output="linear", rng=0)
    net.freeze(0)
    student = wider(net, 0, 8, rng=0)
    assert not student.blocks[0].trainable and student.blocks[1].trainable
    assert max_diff(net, student, X) < TOL


def test_same_width_gives_an_unchanged_copy(X):
    net = Network.mlp([4, 5, 2], rng=0)
    student = wider(net, 0, 5)
    assert student is not net and np.array_equal(student.params, net.params)


# --------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs, error, text", [
    (dict(block=2, new_width=9), ValueError, "output block"),
    (dict(block=-1, new_width=9), ValueError, "output block"),
    (dict(block=5, new_width=9), ValueError, "hidden block index"),
    (dict(block=0.0, new_width=9), TypeError, "block"),
    (dict(block=True, new_width=9), TypeError, "block"),
    (dict(block=0, new_width=4), ValueError, "new_width: expected at least"),
    (dict(block=0, new_width=9.5), TypeError, "new_width"),
    (dict(block=0, new_width=9, noise=-0.1), ValueError, "noise"),
    (dict(block=0, new_width=9, noise=float("nan")), ValueError, "noise"),
    (dict(block=0, new_width=9, noise="lots"), TypeError, "noise"),
    (dict(block=0, new_width=9, mode="biggest"), ValueError, "mode"),
    (dict(block=0, new_width=9, noise_scale="huge"), ValueError, "noise_scale"),
    (dict(block=0, new_width=9, rng="seed"), TypeError, "rng"),
])
def test_wider_bad_arguments(kwargs, error, text):
    net = Network.mlp([4, 5, 4, 2], rng=0)
    with pytest.raises(error, match=text):
        wider(net, **kwargs)


def test_bad_network_argument():
    with pytest.raises(TypeError, match="network must be a structlearn Network"):
        wider([np.eye(2)], 0, 3)
    with pytest.raises(TypeError, match="network must be a structlearn Network"):
        deeper("net", 0)
    with pytest.raises(ValueError, match="no hidden block"):
        wider(Network.mlp([3, 2], rng=0), 0, 4)


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(after=2), ValueError, "output block"),
    (dict(after=0, method="magic"), ValueError, "method"),
    (dict(after=0, X=np.zeros((3, 5))), ValueError, "X"),
])
def test_deeper_bad_arguments(kwargs, error, text):
    net = Network.mlp([4, 5, 4, 2], rng=0)
    with pytest.raises(error, match=text):
        deeper(net, **kwargs)


# ---------------------------------------------------------------- deeper
@pytest.mark.parametrize("hidden", ["relu", "linear"])
def test_deeper_identity_is_exact_for_idempotent_activations(hidden, X):
    net = Network.mlp([4, 5, 4, 2], hidden=hidden, output="softmax", rng=0)
    for after in (0, 1):
        student, info = deeper(net, after, return_info=True, X=X)
        assert info["block"] == after + 1 and info["exact"] is True
        assert info["max_abs_output_change"] < TOL
        assert len(student.blocks) == 4 and student.depth == net.depth + 1
        assert student.blocks[after + 1].activation == hidden
        assert np.array_equal(student.blocks[after + 1].W, np.eye(net.blocks[after].width))
        assert max_diff(net, student, X) < TOL


def test_deeper_then_wider_chains_exactly(X):
    net = Network.mlp([4, 5, 2], hidden="relu", output="softmax", rng=0)
    student = deeper(net, 0)
    student = wider(student, 1, 9, rng=1)
    student = deeper(student, 1)
    student = wider(student, 0, 7, rng=2)
    assert [b.width for b in student.blocks] == [7, 9, 9, 2]
    assert max_diff(net, student, X) < TOL


@pytest.mark.parametrize("hidden", [h for h in HIDDEN if not ACTIVATIONS[h].idempotent])
def test_deeper_identity_refuses_non_idempotent_activations(hidden, X):
    net = Network.mlp([4, 5, 2], hidden=hidden, output="linear", rng=0)
    with pytest.raises(NotFunctionPreservingError, match="shortcut"):
        deeper(net, 0)
    with pytest.warns(UserWarning, match="max \\|output change\\|"):
        student, info = deeper(net, 0, approximate=True, X=X, return_info=True)
    assert not info["exact"]
    assert info["max_abs_output_change"] == pytest.approx(max_diff(net, student, X))
    assert info["max_abs_output_change"] > 1e-6  # it really is off


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("method", ["linear", "shortcut"])
def test_deeper_alternatives_are_exact_for_every_activation(hidden, method, X):
    net = Network.mlp([4, 5, 4, 2], hidden=hidden, output="softmax", rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        student, info = deeper(net, 0, method=method, X=X, return_info=True)
    assert info["exact"] and info["max_abs_output_change"] < TOL
    assert student.depth == net.depth + 1
    assert max_diff(net, student, X) < TOL


def test_deeper_shortcut_adds_trainable_capacity(X):
    net = Network.mlp([4, 5, 2], hidden="tanh", output="linear", rng=0)
    student = deeper(net, 0, method="shortcut")
    new = student.blocks[1]
    assert new.activation == "tanh" and student.blocks[2].sources == (1, 2)
    T = np.sin(X[:, :2])
    student.gradient(X, T, "mse")
    out_rows = dict(student.source_rows(2))[2]
    assert np.any(student.blocks[2].dW[out_rows] != 0)  # the zero weights get gradient


def test_deeper_on_a_cascade_network(X):
    rng = np.random.default_rng(8)
    net = random_cascade(rng, n_in=4, n_out=2, n_hidden=4, hidden="relu")
    for after in range(len(net.blocks) - 1):
        for method in ("identity", "shortcut"):
            student = deeper(net, after, method=method)
            assert max_diff(net, student, X) < TOL


# -------------------------------------------------- property-based tests
@st.composite
def architectures(draw):
    n_in = draw(st.integers(1, 4))
    n_hidden = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 5), min_size=n_hidden, max_size=n_hidden))
    acts = draw(st.lists(st.sampled_from(HIDDEN), min_size=n_hidden, max_size=n_hidden))
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.default_rng(seed)
    sizes = [n_in]
    blocks = []
    for k in range(n_hidden + 1):
        # any non-empty set of earlier nodes, always including the previous one
        # (so every block has a consumer): MLPs, cascades and everything between
        extra = [s for s in range(k) if draw(st.booleans())]
        sources = tuple(sorted(set(extra) | {k}))
        width = widths[k] if k < n_hidden else draw(st.integers(1, 3))
        act = acts[k] if k < n_hidden else draw(st.sampled_from(["linear", "softmax", "tanh"]))
        fan_in = sum(sizes[s] for s in sources)
        blocks.append(dict(W=rng.normal(size=(fan_in, width)), b=rng.normal(size=width),
                           activation=act, sources=sources))
        sizes.append(width)
    net = Network(n_in, blocks)
    if draw(st.booleans()):  # prune some weights
        k = draw(st.integers(0, n_hidden))
        net.set_mask(k, rng.random(net.blocks[k].W.shape) > 0.3)
    return net, seed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures(), st.data())
def test_property_wider_is_exact_on_random_architectures(arch, data):
    net, seed = arch
    X = np.random.default_rng(seed + 1).normal(size=(20, net.n_inputs)) * 2
    before = snapshot(net)
    student = net
    for _ in range(data.draw(st.integers(1, 3))):
        k = data.draw(st.integers(0, len(net.blocks) - 2))
        extra = data.draw(st.integers(0, 6))
        mode = data.draw(st.sampled_from(["random", "largest"]))
        student = wider(student, k, student.blocks[k].width + extra, rng=seed, mode=mode)
    assert max_diff(net, student, X) < TOL
    for blk in student.blocks:
        if blk.mask is not None:
            assert np.all(blk.W[~blk.mask] == 0.0)
    assert_same(before, net)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures(), st.data())
def test_property_deeper_alternatives_are_exact(arch, data):
    net, seed = arch
    X = np.random.default_rng(seed + 1).normal(size=(20, net.n_inputs)) * 2
    k = data.draw(st.integers(0, len(net.blocks) - 2))
    method = data.draw(st.sampled_from(["linear", "shortcut"] +
                                       (["identity"] if ACTIVATIONS[net.blocks[k].activation]
                                        .idempotent else [])))
    student = deeper(net, k, method=method)
    assert max_diff(net, student, X) < TOL


# ------------------------------------------------------------------ search
from structlearn.net2net import Net2NetSearch, grow, summarise  # noqa: E402


def test_grow_net2net_is_exact_and_padding_keeps_old_weights(X):
    teacher = Network.mlp([4, 3, 4, 2], hidden="relu", output="softmax", rng=0)
    student = grow(teacher, (6, 5, 7, 9), rng=1)
    assert [b.width for b in student.blocks] == [6, 5, 7, 9, 2]
    assert max_diff(teacher, student, X) < TOL
    padded = grow(teacher, (6, 5, 7), how="random_padding", rng=1)
    assert [b.width for b in padded.blocks] == [6, 5, 7, 2]
    assert np.array_equal(padded.blocks[0].W[:, :3], teacher.blocks[0].W)
    assert max_diff(teacher, padded, X) > 1e-3  # random padding changes the function


def test_zero_padding_is_exact_with_new_units_that_are_not_copies(X):
    """how="zero_padding": random incoming weights, zero outgoing ones; the function is kept
    (float64, to rounding; a new layer is Net2DeeperNet's identity) and no new unit copies
    an old one; its incoming draws are random_padding's."""
    teacher = Network.mlp([4, 3, 4, 2], hidden="relu", output="softmax", rng=0)
    zero = grow(teacher, (6, 5, 7), how="zero_padding", rng=1)
    padded = grow(teacher, (6, 5, 7), how="random_padding", rng=1)
    assert [b.width for b in zero.blocks] == [6, 5, 7, 2]
    assert max_diff(teacher, zero, X) < TOL
    W, Wt = zero.blocks[0].W, teacher.blocks[0].W
    assert np.array_equal(W[:, :3], Wt) and np.array_equal(W, padded.blocks[0].W)
    for j in range(3, 6):
        assert not any(np.allclose(W[:, j], Wt[:, i]) for i in range(3))
    rows = dict(zero.source_rows(1))[1]
    # the new units' outgoing weights into the next layer's old units (into its new unit they
    # are random: that unit's own outgoing weights are zero)
    assert not zero.blocks[1].W[rows][3:, :4].any() and zero.blocks[1].W[rows][3:, 4].any()


@pytest.mark.parametrize("sizes, text", [((2, 4), "fewer than the teacher"),
                                         ((3,), "fewer hidden layers"),
                                         ((3, 5, 4), "can only widen")])
def test_grow_refuses_to_shrink(sizes, text):
    teacher = Network.mlp([4, 3, 4, 2], rng=0)
    with pytest.raises(ValueError, match=text):
        grow(teacher, sizes)


def test_summarise_computes_the_cost_saving():
    rows = [dict(method="scratch", arch="a", weights=20, epochs=4,
                 val_curve=[0.5, 0.7, 0.8, 0.8]),
            dict(method="net2net", arch="a", weights=20, epochs=2, val_curve=[0.79, 0.8]),
            dict(method="scratch", arch="b", weights=30, epochs=3, val_curve=[0.6, 0.9, 0.85]),
            dict(method="net2net", arch="b", weights=30, epochs=2, val_curve=[0.8, 0.86])]
    s = summarise(rows, 10, 5, tolerance=0.001, targets=(0.8,))
    # a: target 0.799, scratch 3 epochs, warm 2; b: target 0.849, scratch 2, warm 2
    assert s["per_arch"]["a"]["epochs_scratch"] == 3 and s["per_arch"]["a"]["epochs_warm"] == 2
    assert s["per_arch"]["b"]["epochs_scratch"] == 2 and s["per_arch"]["b"]["epochs_warm"] == 2
    assert s["S"] == pytest.approx((20 * 3 + 30 * 2) / (10 * 5 + 20 * 2 + 30 * 2))
    assert not s["S_is_upper_bound"] and s["pick_scratch"] == "b" and s["pick_net2net"] == "b"
    assert rows[1]["epochs_to_target"] == {"0.8000": 2}
    assert rows[1]["cost_to_target"] == {"0.8000": 40}
    # a student that never gets there is charged its whole budget: S is an upper bound
    rows[3]["val_curve"] = [0.8, 0.81]
    s = summarise(rows, 10, 5)
    assert s["unreached"] == ["b"] and s["S_is_upper_bound"]
    assert s["S"] == pytest.approx((20 * 3 + 30 * 2) / (10 * 5 + 20 * 2 + 30 * 2))
    # the mean of the last epochs as "final accuracy"
    s3 = summarise(rows, 10, 5, final_window=2)
    assert s3["per_arch"]["b"]["target"] == pytest.approx(0.875 - 0.001)


def _blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(3, 5)) * 2
    y = rng.integers(0, 3, n)
    return centers[y] + rng.normal(size=(n, 5)), y


def test_search_runs_every_method_and_is_reproducible():
    X, y = _blobs()
    params = dict(teacher_sizes=(3,), candidates=[(5,), (5, 6)], lr=0.01, teacher_epochs=3,
                  epochs=4, batch_size=32, targets=(0.5,), dtype=np.float64, rng=3)
    a = Net2NetSearch(**params).fit(X, y, test=(X[:50], y[:50]))
    methods = sorted((r["method"], r["arch"]) for r in a.results_)
    assert methods == [("net2net", "5"), ("net2net", "5-6"), ("random_padding", "5"),
                       ("random_padding", "5-6"), ("scratch", "5"), ("scratch", "5-6"),
                       ("teacher", "3"), ("teacher_student_lr", "3")]
    for r in a.results_:
        assert r["epochs"] == {"scratch": 7}.get(r["method"], 4) == len(r["val_curve"])
        assert r["final_val_accuracy"] == r["val_curve"][-1]
        assert 0 <= r["test_accuracy"] <= 1
    assert set(a.summary_) >= {"S", "pick_net2net", "pick_scratch", "same_pick", "equal_budget"}
    assert a.network_ is a.networks_[("net2net", a.summary_["pick_net2net"])]
    phases = {r["phase"] for r in a.history_.rows}
    assert {"teacher", "net2net 5", "scratch 5-6", "random_padding 5", "teacher 3"} <= phases
    # students start where the teacher stopped: their first epochs are numbered T+1...
    assert min(r["epoch"] for r in a.history_.rows if r["phase"] == "net2net 5") == 4
    b = Net2NetSearch(**params).fit(X, y, test=(X[:50], y[:50]))
    assert [r["val_curve"] for r in a.results_] == [r["val_curve"] for r in b.results_]
    assert "cost saving S" in a.report()


def test_search_students_start_from_the_teacher_function():
    X, y = _blobs()
    s = Net2NetSearch(teacher_sizes=(4,), candidates=[(8,)], lr=0.01, teacher_epochs=5,
                      epochs=1, batch_size=32, noise=None, baselines=(), dtype=np.float64,
                      rng=0).fit(X, y)
    student = grow(s.teacher_, (8,), noise=None, rng=0)
    assert max_diff(s.teacher_, student, X) < TOL
    assert s.summary_.get("S") is None  # no scratch baseline, no saving to report


@pytest.mark.parametrize("params, error, text", [
    (dict(teacher_sizes=()), ValueError, "teacher_sizes"),
    (dict(candidates=[(2,)]), ValueError, "fewer than the teacher"),
    (dict(candidates=[]), ValueError, "candidates"),
    (dict(student_lr_factor=0), ValueError, "student_lr_factor"),
    (dict(baselines=("magic",)), ValueError, "baselines"),
    (dict(targets=(1.5,)), ValueError, "targets"),
    (dict(epochs=0), ValueError, "epochs"),
])
def test_search_bad_parameters_fail_in_fit(params, error, text):
    X, y = _blobs(60)
    search = Net2NetSearch(teacher_sizes=params.pop("teacher_sizes", (3,)), **params)
    with pytest.raises(error, match=text):
        search.fit(X, y)


def test_search_bad_data():
    X, y = _blobs(60)
    # the estimator contract's message (structlearn.estimator) for a y of the wrong length
    with pytest.raises(ValueError, match="y must have 60 rows"):
        Net2NetSearch(teacher_sizes=(3,)).fit(X, y[:10])
    # real-valued y is regression (structlearn.targets), which the search refuses
    with pytest.raises(ValueError, match="needs class labels"):
        Net2NetSearch(teacher_sizes=(3,)).fit(X, y + 0.5)
    with pytest.raises(TypeError, match="test"):
        Net2NetSearch(teacher_sizes=(3,)).fit(X, y, test=X)
    with pytest.raises(ValueError, match="labels not among the classes"):
        Net2NetSearch(teacher_sizes=(3,), teacher_epochs=1, epochs=1, baselines=()).fit(
            X, y, test=(X, y + 5))


def test_quick_trial_is_registered_and_runs():
    from structlearn.bench.registry import get_trial
    trial = get_trial("net2net")
    assert trial.suites["quick"][0][1] == "xor"
    row, history = trial.fn("xor", 1)
    assert row["train_accuracy"] == 1.0 and row["S"] > 0 and isinstance(row["same_pick"], bool)
    assert len(history) > 0


def test_noise_is_needed_to_break_the_symmetry_of_replicas():
    # Paper, section 2.2: without noise (or dropout) the replicas of a unit get
    # identical gradients and stay copies of each other.
    X, y = _blobs(120)
    teacher = Network.mlp([5, 3, 3], hidden="tanh", output="softmax", rng=0)
    for noise, stays_copied in ((None, True), (0.05, False)):
        student, (origin, _) = wider(teacher, 0, 6, noise=noise, rng=1, return_mapping=True)
        train(student, X, y, optimizer="adam", epochs=20, batch_size=30, rng=0)
        W = student.blocks[0].W
        same = [np.allclose(W[:, j], W[:, origin[j]], rtol=0, atol=1e-12) for j in range(3, 6)]
        assert all(same) == stays_copied


# ------------------------------------------------------- the estimator contract
def _small_search(**kw):
    params = dict(teacher_sizes=(4,), candidates=[(6,)], lr=0.02, teacher_epochs=10, epochs=10,
                  batch_size=32, baselines=("scratch",), dtype=np.float64, rng=0)
    params.update(kw)
    return Net2NetSearch(**params)


@pytest.mark.parametrize("labels", [("ant", "bee", "cow"), (3, 7), (10**12, 2)])
def test_search_predicts_labels_with_the_chosen_network(labels):
    X, y = _blobs()
    y = np.asarray(labels)[y % len(labels)]
    s = _small_search().fit(X, y)
    assert list(s.classes_) == sorted(set(labels))
    # by default one sigmoid output for two classes, a softmax unit per class for more
    assert s.network_.n_outputs == (1 if len(labels) == 2 else 3) == s.n_outputs_
    assert s.network_.blocks[-1].activation == ("sigmoid" if len(labels) == 2 else "softmax")
    assert set(s.predict(X)) <= set(labels)
    assert s.score(X, y) == np.mean(s.predict(X) == y)
    assert s.n_epochs_ == 20 and s.stop_reason_ == "search_complete"
    assert s.history_.stop_reason == "search_complete"
    assert s.network_ is s.networks_[("net2net", "6")]


def test_given_network_is_the_teacher():
    X, y = _blobs()
    start = Network.mlp([5, 3, 2, 3], hidden="tanh", output="softmax", rng=1)
    before = start.params.copy()
    s = _small_search(teacher_sizes=(50, 50), candidates=[(4, 4)], teacher_epochs=0,
                      baselines=("scratch", "teacher")).fit(X, y, network=start)
    np.testing.assert_array_equal(start.params, before)  # copied, never changed
    # teacher_epochs=0: the given network is the teacher as it is
    np.testing.assert_array_equal(s.teacher_.params, start.params)
    assert s.history_.meta["teacher"] == "3-2" and s.n_epochs_ == 10
    assert not [r for r in s.history_.rows if r["phase"] == "teacher"]
    # the scratch baseline has the teacher's activations, not the `hidden` parameter
    assert [b.activation for b in s.networks_[("scratch", "4-4")].blocks] == \
        ["tanh", "tanh", "softmax"]
    # a given network trains teacher_epochs more
    t = _small_search(candidates=[(5,)], teacher_epochs=3).fit(
        X, y, network=Network.mlp([5, 4, 3], hidden="tanh", rng=2))
    assert len([r for r in t.history_.rows if r["phase"] == "teacher"]) == 3


def test_given_network_errors_name_the_problem():
    X, y = _blobs(60)
    cascade = random_cascade(np.random.default_rng(0), n_in=5, n_out=3, n_hidden=2)
    with pytest.raises(ValueError, match="network: Net2NetSearch grows layer-by-layer MLPs"):
        _small_search().fit(X, y, network=cascade)
    with pytest.raises(ValueError, match="network: .* has 2 outputs but y has 3 classes"):
        _small_search().fit(X, y, network=Network.mlp([5, 4, 2], rng=0))
    with pytest.raises(ValueError, match="at least one hidden layer"):
        _small_search().fit(X, y, network=Network.mlp([5, 3], rng=0))
    with pytest.raises(ValueError, match="fewer than the teacher.*given network"):
        _small_search(candidates=[(3,)]).fit(X, y, network=Network.mlp([5, 4, 3], rng=0))
    with pytest.raises(ValueError, match="teacher_epochs: 0 needs"):
        _small_search(teacher_epochs=0).fit(X, y)
    # default candidates add a layer: 'identity' cannot deepen tanh units exactly
    tanh = Network.mlp([5, 4, 3], hidden="tanh", rng=0)
    with pytest.raises(ValueError, match="deeper_method: 'identity'.*'tanh'"):
        _small_search(candidates=None).fit(X, y, network=tanh)
    with pytest.raises(ValueError, match="deeper_method"):
        _small_search(candidates=None, hidden="sigmoid").fit(X, y)
    s = _small_search(candidates=None, deeper_method="shortcut", baselines=(),
                      epochs=1).fit(X, y, network=tanh)
    assert sorted(r["arch"] for r in s.results_) == ["6", "6-6", "8", "8-8"]


def test_optimizer_state_carried_across_the_widening():
    X, y = _blobs()
    fresh = _small_search(baselines=("teacher_student_lr",)).fit(X, y)  # the default
    carry = _small_search(baselines=("teacher_student_lr",), optimizer_state="carry").fit(X, y)
    assert Net2NetSearch().get_params()["optimizer_state"] == "fresh"
    # the same teacher, then students whose Adam starts from the teacher's moments
    np.testing.assert_array_equal(fresh.teacher_.params, carry.teacher_.params)
    for key in (("net2net", "6"), ("teacher_student_lr", "4")):
        assert not np.array_equal(fresh.networks_[key].params, carry.networks_[key].params)
    # a given teacher used as trained has no optimizer state: "carry" is "fresh"
    t = fresh.teacher_
    a = _small_search(teacher_epochs=0, optimizer_state="fresh").fit(X, y, network=t)
    b = _small_search(teacher_epochs=0, optimizer_state="carry").fit(X, y, network=t)
    np.testing.assert_array_equal(a.network_.params, b.network_.params)
    with pytest.raises(ValueError, match="optimizer_state"):
        _small_search(optimizer_state="warm").fit(X, y)


def test_teacher_early_stopping_grows_from_the_best_teacher():
    X, y = _blobs()
    s = _small_search(teacher_epochs=60, epochs=3, lr=0.05, teacher_early_stopping=2,
                      baselines=("scratch",)).fit(X, y)
    t_rows = [r for r in s.history_.rows if r["phase"] == "teacher"]
    assert s.teacher_epochs_ == len(t_rows) < 60  # it stopped early
    # the students start where the teacher stopped, and S charges those epochs
    first = next(r for r in s.history_.rows if r["phase"].startswith("net2net"))
    assert first["epoch"] == s.teacher_epochs_ + 1
    assert s.summary_["teacher_epochs"] == s.teacher_epochs_
    assert s.n_epochs_ == s.teacher_epochs_ + 3
    # the scratch budget is unchanged: teacher_epochs + epochs
    assert s.results_[-1]["epochs"] == 63
    assert _small_search().teacher_early_stopping is None
    with pytest.raises(ValueError, match="teacher_early_stopping"):
        _small_search(teacher_early_stopping=0).fit(X, y)
