"""Dynamic Node Creation (Ash 1989): the trigger, growth, criterion, where to grow, split growth,
growing a given network, and the estimator contract."""
import numpy as np
import pytest

import structlearn as sl
from structlearn import Network, train
from structlearn.datasets import binary_addition, parity, xor
from structlearn.dnc import (AshCriterion, DynamicNodeCreation, growth_scores, should_add_unit,
                             squared_error_stats, train_to_criterion, trigger_epochs)
from structlearn.net2net import wider
from structlearn.obd import OptimalBrainDamage
from structlearn.optim import SGD, Adam
from structlearn.train import Trainer, encode_targets


# ------------------------------------------------------------------ trigger
def _plateau_curve():
    # falls by 0.001 per epoch for 400 epochs, then stays at 0.6
    t = np.arange(1200)
    return np.where(t <= 400, 1.0 - 0.001 * t, 0.6)


def test_trigger_fires_exactly_where_the_rule_says():
    errors = _plateau_curve()
    # w = 100, Delta_T = 0.0455: the drop over the window is 0.1 on the slope;
    # after the bend at 400 it is 0.001 (500 - t), relative to a_0 = 1 below
    # 0.0455 from t = 455 on.  Then t0 = 455 and the flat curve fires every w.
    assert trigger_epochs(errors, window=100, trigger=0.0455) == [455, 555, 655, 755, 855, 955,
                                                                  1055, 1155]


def test_trigger_never_fires_inside_the_window():
    rng = np.random.default_rng(0)
    errors = np.abs(rng.normal(size=3000)) + 0.01  # noisy, often rising: fires whenever allowed
    for w in (1, 7, 100):
        fired = trigger_epochs(errors, window=w, trigger=0.05)
        assert fired and fired[0] >= w
        assert np.all(np.diff(fired) >= w)
    # inside the window the answer is False whatever the errors do
    assert not should_add_unit([1.0, 5.0, 9.0], t=2, t0=0, window=3, trigger=0.05)
    assert should_add_unit([1.0, 5.0, 9.0, 9.0], t=3, t0=0, window=3, trigger=0.05)


def test_trigger_is_relative_to_the_error_at_the_last_addition():
    errors = [1.0] + [0.1] * 10
    # drop over the window 0 -> 0 < 0.05 * anything: fires
    assert should_add_unit(errors, t=5, t0=2, window=3, trigger=0.05)
    errors = [10.0, 9.0, 8.0, 7.6]
    # drop 1.4 over 2 epochs: relative to a_0 = 10 it is 0.14 (no), with trigger 0.2 (yes)
    assert not should_add_unit(errors, t=3, t0=0, window=3, trigger=0.05)
    assert not should_add_unit(errors, t=3, t0=1, window=2, trigger=0.15)
    assert should_add_unit(errors, t=3, t0=1, window=2, trigger=0.2)
    assert not should_add_unit([0.0, 0.0, 0.0], t=2, t0=0, window=1, trigger=0.5)


# ---------------------------------------------------------------- the loop
@pytest.fixture(scope="module")
def xor_run():
    X, y = xor()
    return DynamicNodeCreation(rng=0).fit(X, y), X, y


def test_xor_reaches_ash_criterion_with_defaults(xor_run):
    dnc, X, y = xor_run
    assert dnc.stop_reason_ == "criterion"
    a, m = squared_error_stats(dnc.network_.forward(X), y.reshape(-1, 1).astype(float))
    assert a <= 0.001 and m <= 0.01
    assert 2 <= dnc.network_.n_hidden_units <= 5  # the minimum is 2 (Ash: within 3)


def test_additions_follow_the_trigger_in_a_real_run(xor_run):
    dnc, _, _ = xor_run
    errors = dnc.errors_
    assert len(errors) == dnc.n_epochs_ + 1
    np.testing.assert_allclose(errors[1:], dnc.history_.column("loss"))
    t0 = 0
    for ev in dnc.history_.events_of("unit_added"):
        t = ev["epoch"]
        assert should_add_unit(errors, t, t0, dnc.window, dnc.trigger)
        assert not any(should_add_unit(errors, s, t0, dnc.window, dnc.trigger)
                       for s in range(t0 + 1, t))
        t0 = t
    assert dnc.history_.events_of("unit_added"), "XOR needs a second unit"


def test_additions_are_history_events(xor_run):
    dnc, _, _ = xor_run
    h = dnc.history_
    added = h.events_of("unit_added")
    assert len(added) == dnc.network_.n_hidden_units - 1
    units = h.column("units")
    epochs = h.column("epoch")
    for k, ev in enumerate(added):
        assert ev["units"] == k + 2 and ev["block"] == 0 and ev["init"] == "random"
        assert ev["loss_before"] > 0 and ev["loss_after"] > 0 and ev["error"] > 0
        # the row after the addition has one more unit
        i = int(np.searchsorted(epochs, ev["epoch"]))
        assert units[i] == k + 1 and units[i + 1] == k + 2
    stops = h.events_of("stop")
    assert len(stops) == 1 and stops[0]["reason"] == "criterion"
    assert dnc.cost_ == int(h.column("weights").sum())


def test_parity3_reaches_the_criterion():
    X, y = parity(3)
    dnc = DynamicNodeCreation(rng=1).fit(X, y)
    assert dnc.stop_reason_ == "criterion"
    assert dnc.network_.n_hidden_units <= 3 + 3
    assert np.all(dnc.network_.predict_classes(X) == y)


def test_same_seed_same_run_and_the_input_network_is_untouched():
    X, y = xor()
    start = Network.mlp([2, 1, 1], hidden="sigmoid", output="sigmoid", rng=3)
    before = start.params.copy()
    kw = dict(window=60, trigger=0.05, max_epochs=400, rng=5)
    a = DynamicNodeCreation(**kw).fit(X, y, network=start)
    b = DynamicNodeCreation(**kw).fit(X, y, network=start)
    assert np.array_equal(a.network_.params, b.network_.params)
    assert a.history_.column("loss").tolist() == b.history_.column("loss").tolist()
    assert a.history_.events == b.history_.events
    c = DynamicNodeCreation(**dict(kw, rng=6)).fit(X, y, network=start)
    assert not np.array_equal(a.history_.column("loss"), c.history_.column("loss"))
    assert np.array_equal(start.params, before) and start.n_hidden_units == 1


def test_full_batch_criterion_is_not_fooled_by_a_same_size_validation_set():
    # train() evaluates the validation set after each epoch; with as many rows
    # as the training set it shares the workspace DNC reads the outputs from.
    X, y = xor()
    net = Network.mlp([2, 4, 1], hidden="sigmoid", output="sigmoid", rng=0)
    order = [1, 0, 2, 3]  # same size, rows (and targets) in another order
    dnc = DynamicNodeCreation(batch_size=None, learning_rate=0.5, window=5000,
                              max_epochs=20_000, rng=0).fit(X, y, network=net,
                                                            validation=(X[order], y[order]))
    assert dnc.stop_reason_ == "criterion"
    a, m = squared_error_stats(dnc.network_.forward(X), y.reshape(-1, 1).astype(float))
    assert a <= 0.001 and m <= 0.01


def test_max_units_stops_growth():
    X, y = xor()
    dnc = DynamicNodeCreation(window=50, max_units=1, rng=0).fit(X, y)
    assert dnc.stop_reason_ == "max_units"
    assert dnc.network_.n_hidden_units == 1 and dnc.n_epochs_ >= 50


def test_validation_patience_stops_and_returns_the_best_network():
    rng = np.random.default_rng(0)
    X, Xv = rng.normal(size=(40, 3)), rng.normal(size=(40, 3))
    y, yv = rng.integers(0, 2, 40), rng.integers(0, 2, 40)  # nothing to learn
    dnc = DynamicNodeCreation(window=15, c_a=None, patience=2, optimizer=Adam(lr=0.05),
                              batch_size=None, max_epochs=5000, rng=0)
    dnc.fit(X, y, validation=(Xv, yv))
    assert dnc.stop_reason_ == "validation"
    val = dnc.history_.column("val_loss")
    best_epoch = dnc.history_.events_of("stop")[0]["best_val_epoch"]
    assert val[best_epoch - 1] == val.min()
    best_units = dnc.history_.column("units")[best_epoch - 1]
    assert dnc.network_.n_hidden_units == best_units
    # the returned network is the snapshot taken after that epoch's update
    assert dnc.n_epochs_ > best_epoch
    assert dnc.history_.events_of("stop")[0]["finish_epochs"] == 0
    assert len(dnc.history_.events_of("stop")) == 1


def test_finish_phase_trains_the_best_network_on():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    Xv = rng.normal(size=(60, 2))
    yv = (Xv[:, 0] * Xv[:, 1] > 0).astype(int)
    dnc = DynamicNodeCreation(window=10, c_a=None, patience=2, finish_patience=15,
                              optimizer=Adam(lr=0.05), batch_size=None, max_units=4,
                              max_epochs=3000, rng=0).fit(X, y, validation=(Xv, yv))
    stop = dnc.history_.events_of("stop")[0]
    phases = [r["phase"] for r in dnc.history_.rows]
    assert len(dnc.history_.events_of("stop")) == 1 and stop["reason"] == "validation"
    assert stop["finish_epochs"] >= 15 and phases.count("finish") == stop["finish_epochs"]
    assert phases[-1] == "finish" and "finish" not in phases[:-stop["finish_epochs"]]
    finish_val = dnc.history_.column("val_loss", phase="finish")
    # the kept weights are the best of the growth and finish phases
    loss_now = dnc.network_.gradient(Xv, yv, "mse")[0]
    assert loss_now == pytest.approx(min(dnc.history_.column("val_loss").min(), finish_val.min()))


# ------------------------------------------------------- optimizer state
@pytest.mark.parametrize("split", [False, True])
def test_optimizer_state_survives_a_unit_addition(split):
    X, y = parity(3)
    net = Network.mlp([3, 2, 1], hidden="sigmoid", output="sigmoid", rng=0)
    opt = SGD(lr=0.5, momentum=0.9)
    train(net, X, y, loss="mse", optimizer=opt, epochs=5, rng=0)
    old_keys, old_vel = net.param_keys().copy(), opt.state["velocity"].copy()
    assert np.any(old_vel != 0)
    if split:
        new = wider(net, 0, 3, noise=0.01, rng=1)  # a new object, unit ids kept by copy()
        assert new is not net
    else:
        new = net
        net.add_units(0, 1, init_range=0.1666, rng=1)
    T = encode_targets(y, new, "mse")
    new.loss_and_grad(X, T, "mse")
    new.grads[:] = 0.0  # so the step only decays the carried velocity
    opt.step(new)
    keys = new.param_keys()
    pos = {k: i for i, k in enumerate(keys)}
    vel = opt.state["velocity"]
    for k, v in zip(old_keys, old_vel):
        assert vel[pos[k]] == pytest.approx(0.9 * v, abs=1e-15)
    fresh = np.setdiff1d(keys, old_keys)
    assert fresh.size == 3 + 1 + 1  # incoming, bias, outgoing of the new unit
    assert np.all(vel[[pos[k] for k in fresh]] == 0.0)


# ------------------------------------------------------------ split growth
def test_split_growth_keeps_the_function_and_runs():
    X, y = xor()
    dnc = DynamicNodeCreation(init="split", split_noise=0.0, rng=0)
    net = Network.mlp([2, 3, 1], hidden="sigmoid", output="sigmoid", rng=2)
    grown = dnc._add_unit(net, 0, np.random.default_rng(0))
    assert grown.n_hidden_units == 4 and net.n_hidden_units == 3
    np.testing.assert_allclose(grown.forward(X), net.forward(X), rtol=0, atol=1e-14)
    zero = DynamicNodeCreation(init="zero_out", rng=0)
    grown = zero._add_unit(net.copy(), 0, np.random.default_rng(0))
    assert grown.n_hidden_units == 4 and np.all(grown.blocks[0].W[:, -1] != 0)
    np.testing.assert_array_equal(grown.forward(X), net.forward(X))
    run = DynamicNodeCreation(init="split", split_noise=0.1, window=200, max_epochs=3000,
                              rng=0).fit(X, y)
    assert run.network_.n_hidden_units >= 2
    assert all(e["init"] == "split" for e in run.history_.events_of("unit_added"))
    # zero outgoing weights: an addition leaves the training loss exactly as it was
    zero_run = DynamicNodeCreation(init="zero_out", window=200, max_epochs=3000, rng=0).fit(X, y)
    events = zero_run.history_.events_of("unit_added")
    assert events and all(e["loss_after"] == pytest.approx(e["loss_before"], rel=1e-12, abs=0)
                          for e in events)


# ----------------------------------------------------------- where to grow
def test_growth_scores_match_the_mixed_second_derivative():
    rng = np.random.default_rng(0)
    n = 12
    X = rng.normal(size=(n, 3))
    net = Network.mlp([3, 3, 2, 2], hidden="tanh", output="sigmoid", rng=1)
    T = rng.uniform(size=(n, 2))
    scores = growth_scores(net, X, T, "mse")
    assert scores.shape == (2,)
    for k in range(2):
        grown = net.copy()
        grown.add_units(k, 1, incoming=np.zeros((grown.blocks[k].fan_in, 1)), bias=np.zeros(1),
                        outgoing=0.0)
        blk = grown.blocks[k]
        consumer = k + 1
        out_row = dict(grown.source_rows(consumer))[k + 1].stop - 1
        n_in = blk.fan_in + 1
        B = np.zeros((grown.blocks[consumer].width, n_in))
        eps = 1e-5
        for i in range(n_in):
            view = blk.W[:, -1] if i < blk.fan_in else blk.b[-1:]
            idx = i if i < blk.fan_in else 0
            g = []
            for sgn in (1, -1):
                view[idx] += sgn * eps
                grown.loss_and_grad(X, T, "mse")
                g.append(grown.blocks[consumer].dW[out_row].copy())
                view[idx] -= sgn * eps
            B[:, i] = (g[0] - g[1]) / (2 * eps)
        A = np.concatenate([X if k == 0 else net.forward(X, return_nodes=True)[1],
                            np.ones((n, 1))], axis=1)
        _, R = np.linalg.qr(A)
        expected = np.sqrt(n) * np.linalg.norm(B @ np.linalg.inv(R), 2)
        assert scores[k] == pytest.approx(expected, rel=1e-6)


def test_scores_do_not_depend_on_the_input_scale():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    net = Network.mlp([4, 3, 1], hidden="sigmoid", output="sigmoid", rng=0)
    T = rng.uniform(size=(30, 1))
    s1 = growth_scores(net, X, T, "mse")
    scaled = net.copy()
    scaled.blocks[0].W[:] /= 10.0  # same function on 10x inputs
    s2 = growth_scores(scaled, 10.0 * X, T, "mse")
    assert s2[0] == pytest.approx(s1[0], rel=1e-8)


@pytest.mark.parametrize("where", ["round_robin", 1, "loss_estimate"])
def test_grow_where_in_two_hidden_layers(where):
    X, y = parity(3)
    dnc = DynamicNodeCreation(hidden_layers=2, grow_where=where, window=40, max_units=6,
                              c_a=None, max_epochs=2000, rng=0).fit(X, y)
    added = dnc.history_.events_of("unit_added")
    assert len(added) == 4 and dnc.stop_reason_ == "max_units"
    blocks = [e["block"] for e in added]
    if where == "round_robin":
        assert blocks == [0, 1, 0, 1]
    elif where == 1:
        assert blocks == [1, 1, 1, 1]
    else:
        for e in added:
            assert len(e["scores"]) == 2 and e["block"] == int(np.argmax(e["scores"]))
    widths = [b.width for b in dnc.network_.blocks[:-1]]
    assert widths == [1 + blocks.count(0), 1 + blocks.count(1)]


def test_train_to_criterion_on_a_fixed_network():
    X, y = xor()
    net = Network.mlp([2, 4, 1], hidden="sigmoid", output="sigmoid", rng=0)
    hist = train_to_criterion(net, X, y, max_epochs=20_000, rng=0)
    assert hist.stop_reason == "criterion" and net.n_hidden_units == 4
    assert not hist.events_of("unit_added")


# ------------------------------------------------------------- bad input
@pytest.mark.parametrize("params, err, match", [
    (dict(trigger=0.0), ValueError, "trigger"),
    (dict(trigger=-0.1), ValueError, "trigger"),
    (dict(trigger="x"), TypeError, "trigger"),
    (dict(window=0), ValueError, "window"),
    (dict(window=2.5), TypeError, "window"),
    (dict(c_a=-1.0), ValueError, "c_a"),
    (dict(c_m=float("nan")), ValueError, "c_m"),
    (dict(max_units=0), ValueError, "max_units"),
    (dict(grow_where="middle"), ValueError, "grow_where"),
    (dict(grow_where=1.5), TypeError, "grow_where"),
    (dict(grow_where=3), ValueError, "grow_where"),
    (dict(init="copy"), ValueError, "init"),
    (dict(monitor="val_acc"), ValueError, "monitor"),
    (dict(init_range=0.0), ValueError, "init_range"),
    (dict(batch_size="big"), ValueError, "batch_size"),
    (dict(learning_rate=-1.0), ValueError, "learning_rate"),
    (dict(optimizer="rmsprop"), ValueError, "optimizer"),
    (dict(optimizer="lbfgs"), ValueError, "optimizer"),
    (dict(patience=2), ValueError, "validation"),
    (dict(hidden="softmax"), ValueError, "hidden"),
    (dict(c_m=None), ValueError, "c_m"),
    (dict(dtype="big"), TypeError, "dtype"),
    (dict(task="ranking"), ValueError, "task"),
])
def test_bad_parameters_give_clear_errors(params, err, match):
    X, y = xor()
    with pytest.raises(err, match=match):
        DynamicNodeCreation(**params).fit(X, y)


@pytest.mark.parametrize("network, params, err, match", [
    ("net", {}, TypeError, "network"),
    (Network.mlp([2, 3, 1], hidden="sigmoid", output="sigmoid", rng=0), dict(max_units=2),
     ValueError, "max_units"),
    (Network.mlp([2, 3, 1], hidden="sigmoid", output="sigmoid", rng=0), dict(grow_where=1),
     ValueError, "grow_where"),
    (Network.mlp([2, 3, 1], hidden="sigmoid", output="sigmoid", rng=0),
     dict(loss="softmax_cross_entropy"), ValueError, "network: its sigmoid output"),
])
def test_bad_starting_networks_give_clear_errors(network, params, err, match):
    X, y = xor()
    with pytest.raises(err, match=match):
        DynamicNodeCreation(**params).fit(X, y, network=network)


def test_bad_data_give_clear_errors():
    X, y = xor()
    with pytest.raises(ValueError, match="X"):
        DynamicNodeCreation().fit(X[:, :1].ravel(), y)
    with pytest.raises(ValueError, match="rows"):
        DynamicNodeCreation().fit(X, y[:3])
    with pytest.raises(ValueError, match="finite"):
        DynamicNodeCreation().fit(np.where(X == 1, np.nan, X), y)
    with pytest.raises(TypeError, match="validation"):
        DynamicNodeCreation().fit(X, y, validation=X)


# ------------------------------------------------- Ash's criterion, on its own
@pytest.mark.parametrize("batch_size", [None, 1])
def test_ash_criterion_stops_plain_training(batch_size):
    X, y = xor()
    net = Network.mlp([2, 4, 1], hidden="sigmoid", output="sigmoid", init="ash", rng=0)
    crit = AshCriterion()
    hist = train(net, X, y, loss="mse", optimizer=SGD(lr=0.5, momentum=0.9), epochs=20_000,
                 batch_size=batch_size, stop_when=[crit], rng=0, progress=False)
    assert [e["reason"] for e in hist.events_of("stop")] == ["criterion"]
    assert crit.a <= 0.001 and crit.m <= 0.01
    T = y.reshape(-1, 1).astype(float)
    if batch_size is None:
        # the outputs of the last epoch's own pass (before its update): a = 2 * loss
        assert crit.a == pytest.approx(2 * hist.rows[-1]["loss"], rel=1e-12)
    else:
        # a pass over the whole set with the weights after the epoch
        assert (crit.a, crit.m) == squared_error_stats(net.forward(X), T)


def test_ash_criterion_skips_the_full_pass_while_the_minibatch_loss_is_high():
    X, y = xor()
    net = Network.mlp([2, 2, 1], hidden="sigmoid", output="sigmoid", init="ash", rng=0)
    trainer = Trainer(net, X, y, loss="mse", optimizer=SGD(lr=0.1), batch_size=2, rng=0)
    crit = AshCriterion()
    for result in trainer.epochs(3):
        assert 2 * result.loss > crit.c_a
        assert not crit(result) and crit.a is None
    with pytest.raises(ValueError, match="c_a"):
        AshCriterion(c_a=-1.0)
    with pytest.raises(TypeError, match="c_m"):
        AshCriterion(c_m="small")


@pytest.mark.parametrize("batch_size", [None, "auto"])
def test_train_to_criterion_is_train_with_ash_criterion(batch_size):
    X, y = xor()
    a = Network.mlp([2, 3, 1], hidden="sigmoid", output="sigmoid", init="ash", rng=1)
    b = a.copy()
    h1 = train_to_criterion(a, X, y, batch_size=batch_size, max_epochs=20_000, rng=4)
    batch = 4 if batch_size is None else 1
    shuffle = np.random.default_rng(np.random.default_rng(4).integers(2**63))
    h2 = train(b, X, y, loss="mse", optimizer=SGD(lr=0.2 * batch, momentum=0.9),
               epochs=20_000, batch_size=batch, stop_when=[AshCriterion(0.001, 0.01)],
               rng=shuffle, progress=False)
    assert h1.stop_reason == h2.stop_reason == "criterion" and h1.epochs == h2.epochs
    np.testing.assert_array_equal(a.params, b.params)


# ------------------------------------------------------------- the contract
def test_any_labels_give_the_same_run_and_come_back_as_labels():
    X, y = xor()
    kw = dict(window=200, max_epochs=4000, rng=0)
    ref = DynamicNodeCreation(**kw).fit(X, y)
    for labels in ([3, 7], ["no", "yes"], [0, 10**12]):
        yl = np.asarray(labels)[y]
        dnc = DynamicNodeCreation(**kw).fit(X, yl)
        assert dnc.network_.n_outputs == 1 and dnc.network_.blocks[-1].activation == "sigmoid"
        assert list(dnc.classes_) == labels
        np.testing.assert_array_equal(dnc.network_.params, ref.network_.params)
        np.testing.assert_array_equal(dnc.predict(X), yl)
        assert dnc.score(X, yl) == 1.0
    np.testing.assert_array_equal(ref.decision_function(X), ref.network_.forward(X))


def test_multi_label_targets_grow_and_score_whole_patterns():
    X, Y = binary_addition(2)
    dnc = DynamicNodeCreation(window=300, max_epochs=20_000, rng=0).fit(X, Y)
    assert dnc.stop_reason_ == "criterion" and not hasattr(dnc, "classes_")
    assert dnc.network_.n_outputs == Y.shape[1]
    np.testing.assert_array_equal(dnc.predict(X), Y)
    assert dnc.score(X, Y) == 1.0


def test_a_softmax_output_trains_with_cross_entropy():
    rng = np.random.default_rng(0)
    k = rng.integers(0, 3, 90)
    X = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])[k] + 0.4 * rng.normal(size=(90, 2))
    net = Network.mlp([2, 2, 3], hidden="sigmoid", output="softmax", init="ash", rng=0)
    dnc = DynamicNodeCreation(window=20, c_a=None, max_units=4, max_epochs=150,
                              optimizer=Adam(lr=0.05), rng=0).fit(X, k, network=net)
    start = sl.evaluate(net, X, k, "softmax_cross_entropy", targets=dnc.target_info_)["loss"]
    assert dnc.errors_[0] == pytest.approx(start, rel=1e-12)
    assert dnc.network_.n_hidden_units > 2 and dnc.score(X, k) > 0.9
    new = DynamicNodeCreation(output="softmax", window=20, c_a=None, max_units=4, max_epochs=50,
                              rng=0).fit(X, k)
    assert new.network_.n_outputs == 3
    with pytest.raises(ValueError, match="network: its softmax output"):
        DynamicNodeCreation(loss="mse").fit(X, k, network=net)


# ------------------------------------------------------- growing a given network
def test_growth_from_an_obd_pruned_network_keeps_its_pruned_weights_at_zero():
    X, y = parity(3)
    start = OptimalBrainDamage(hidden_layer_sizes=(4,), activation="sigmoid", epochs=300,
                               retrain_epochs=5, target_fraction=0.6, rng=0).fit(X, y).network_
    before = start.copy()
    masks = [np.ones(b.W.shape, bool) if b.mask is None else b.mask.copy() for b in start.blocks]
    assert not masks[0].all()
    dnc = DynamicNodeCreation(window=40, c_a=None, max_units=start.n_hidden_units + 2,
                              max_epochs=300, rng=0).fit(X, y, network=start)
    grown, w = dnc.network_, start.blocks[0].width
    assert grown.n_hidden_units == start.n_hidden_units + 2
    np.testing.assert_array_equal(start.params, before.params)  # the given one is untouched
    hidden, out = grown.blocks
    assert hidden.mask is not None  # (the output block's may be None: nothing pruned there)
    out_mask = np.ones(out.W.shape, bool) if out.mask is None else out.mask
    # the old units keep their masks: pruned weights are still exactly 0
    np.testing.assert_array_equal(hidden.mask[:, :w], masks[0])
    assert np.all(hidden.W[:, :w][~masks[0]] == 0.0)
    np.testing.assert_array_equal(out_mask[:w], masks[1])
    assert np.all(out.W[:w][~masks[1]] == 0.0)
    # the new units' weights are not masked, and they trained
    assert hidden.mask[:, w:].all() and out_mask[w:].all()
    assert np.all(hidden.W[:, w:] != 0.0) and np.all(out.W[w:] != 0.0)


@pytest.mark.parametrize("where", ["round_robin", "loss_estimate"])
def test_growth_goes_to_trainable_hidden_blocks_only(where):
    X, y = parity(3)
    net = Network.mlp([3, 2, 2, 2, 1], hidden="sigmoid", output="sigmoid", init="ash", rng=0)
    net.freeze(0)
    dnc = DynamicNodeCreation(window=30, c_a=None, max_units=9, max_epochs=600, grow_where=where,
                              rng=0).fit(X, y, network=net)
    added = dnc.history_.events_of("unit_added")
    blocks = [e["block"] for e in added]
    assert len(added) == 3 and set(blocks) <= {1, 2}
    if where == "round_robin":
        assert blocks == [1, 2, 1]
    else:  # a frozen block has no score (NaN, written as None)
        for e in added:
            assert e["scores"][0] is None and e["block"] == 1 + int(np.argmax(e["scores"][1:]))
    grown = dnc.network_
    assert grown.blocks[0].width == 2 and not grown.blocks[0].trainable
    assert [b.width for b in grown.blocks[1:-1]] == [2 + blocks.count(1), 2 + blocks.count(2)]
    np.testing.assert_array_equal(grown.blocks[0].W, net.blocks[0].W)
    np.testing.assert_array_equal(grown.blocks[0].b, net.blocks[0].b)


def test_a_network_without_a_trainable_hidden_block_is_refused():
    X, y = parity(3)
    net = Network.mlp([3, 2, 2, 1], hidden="sigmoid", output="sigmoid", init="ash", rng=0)
    net.freeze(0)
    with pytest.raises(ValueError, match="grow_where: hidden block 0 of the network is frozen"):
        DynamicNodeCreation(grow_where=0).fit(X, y, network=net)
    net.freeze(1)
    with pytest.raises(ValueError, match="network: it has no trainable hidden block") as info:
        DynamicNodeCreation().fit(X, y, network=net)
    assert "net.freeze(k, frozen=False)" in str(info.value)
    with pytest.raises(ValueError, match="network: it has no hidden block"):
        DynamicNodeCreation().fit(X, y, network=Network.mlp([3, 1], output="sigmoid", rng=0))
