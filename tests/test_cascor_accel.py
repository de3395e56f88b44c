"""The optional compiled accelerator (numba) against the numpy path, the reference: the same
phases (epochs, crossings, winners) with weights equal to rounding (quickprop amplifies it, so
the comparison covers three phases, to 1e-6 relative; a semantic difference shows as O(1))."""
import numpy as np
import pytest

from structlearn import datasets as ds
from structlearn.cascor import CascadeCorrelation, Executor, accel

pytestmark = pytest.mark.skipif(not accel.HAVE_NUMBA, reason="numba is not installed")


def _executors(X, y, seed=0, **params):
    est = CascadeCorrelation(**params)
    est._validate_params()
    cfg, Xc, T, _, _ = est._prepare(np.asarray(X, float), y, None, None)
    ref = Executor(Xc, T, [np.random.default_rng(seed)], cfg)
    fast = Executor(Xc, T, [np.random.default_rng(seed)], cfg, accelerate=True)
    assert fast.accel and not ref.accel
    return ref, fast


def _phase(ex):
    """Run one phase: the numpy executor epoch by epoch, the accelerated one in one call."""
    phase = bool(ex.out_phase[0])
    if ex.accel:
        ex.step()
        return
    while ex.B and bool(ex.out_phase[0]) == phase:
        ex.step()


@pytest.mark.parametrize("params", [dict(), dict(unit_type=("tanh", "gaussian"), preset="paper"),
                                    dict(output_activation="sigmoid", unit_type="sigmoid")])
def test_phases_agree_with_the_numpy_path(params):
    X, y = ds.two_spirals()
    ref, fast = _executors(X, y, **params)
    for _ in range(3):              # output, candidates, output (then rounding, amplified
        # by quickprop in the candidate phases, grows: 1e-4 after five phases, as chaos does)
        _phase(ref)
        _phase(fast)
        for name in ("W_out", "d_out", "p_out", "W_cand", "prev_cor"):
            np.testing.assert_allclose(getattr(fast, name), getattr(ref, name), rtol=1e-6,
                                       atol=1e-8, err_msg=name)
        for name in ("epochs", "cross_fwd", "cross_bwd", "fan", "best", "out_phase"):
            np.testing.assert_array_equal(getattr(fast, name), getattr(ref, name), name)
        np.testing.assert_allclose(fast.last_true_error, ref.last_true_error, rtol=1e-7)
        np.testing.assert_allclose(fast.best_score, ref.best_score, rtol=1e-7)


def test_accelerated_fits_solve_like_the_numpy_path():
    """Whole runs: the trajectories part after a few phases (rounding, amplified), so the
    check is on what a run achieves, not on its bits."""
    for n in (3, 4, 5):
        X, y = ds.parity(n)
        fast, ref = [], []
        for seed in range(5):
            a = CascadeCorrelation(rng=seed, accelerate=True).fit(X, y)
            b = CascadeCorrelation(rng=seed).fit(X, y)
            assert a.success_ and b.success_
            np.testing.assert_array_equal(a.predict(X), y)
            fast.append(a.hidden_units_)
            ref.append(b.hidden_units_)
        assert abs(np.mean(fast) - np.mean(ref)) <= 1.0
    X, y = ds.two_spirals()
    m = CascadeCorrelation(rng=1, accelerate=True).fit(X, y)
    assert m.success_ and m.score(X, y) == 1.0 and m.hidden_units_ <= 20


def test_settings_the_kernels_do_not_cover_run_the_numpy_path():
    from test_cascor_kinds import GainTanh

    X, y = ds.xor()
    for params in (dict(history="epoch"), dict(candidate_objective="cascade2"),
                   dict(unit_type=GainTanh())):
        a = CascadeCorrelation(rng=0, accelerate=True, **params).fit(X, y)
        b = CascadeCorrelation(rng=0, **params).fit(X, y)
        np.testing.assert_array_equal(a.network_.params, b.network_.params)


def _signature(r):
    return (r.success, r.hidden_units, r.epochs, r.network.params.tobytes())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_accelerated_fit_trials_are_single_accelerated_fits_whatever_the_batch(dtype):
    """fit_trials(accelerate=True) runs each trial alone through the kernels: on two-spirals,
    20 seeds, a trial's network is fit(accelerate=True)'s with its seed, bit for bit, in three
    batch compositions and with 1 and 2 jobs."""
    X, y = ds.two_spirals()
    est = CascadeCorrelation(accelerate=True, dtype=dtype)
    seeds = list(range(20))
    alone = {}
    for s in seeds:
        m = CascadeCorrelation(rng=s, accelerate=True, dtype=dtype).fit(X, y)
        alone[s] = (m.success_, m.hidden_units_, m.n_epochs_, m.network_.params.tobytes())
    batches = [seeds, seeds[::-1], [3, 17, 0, 11]]
    for batch in batches:
        got = est.fit_trials(X, y, batch)
        assert [_signature(r) for r in got] == [alone[s] for s in batch]
    got = est.fit_trials(X, y, seeds[:6], n_jobs=2)
    assert [_signature(r) for r in got] == [alone[s] for s in seeds[:6]]
    # and the kernels did run: the numpy batch of the same seeds grows other bits
    numpy_path = CascadeCorrelation(dtype=dtype).fit_trials(X, y, seeds[:6])
    assert [_signature(r) for r in numpy_path] != [alone[s] for s in seeds[:6]]


def test_the_kernels_exp_is_within_one_ulp_of_the_c_library():
    """The kernels' vectorisable exp (accel._exp_row) against numpy's (the C library's) on
    [-40, 40]: at most one unit in the last place; clamped beyond, where the sigmoids it
    serves are at their float64 limits; NaN stays NaN."""
    accel._compile()
    z = np.linspace(-40.0, 40.0, 200_001)
    out = np.empty_like(z)
    accel._exp_row(z, out, np.empty(z.size, np.int64))
    ref = np.exp(z)
    assert np.max(np.abs(out - ref) / np.spacing(ref)) <= 1.0
    assert np.mean(out == ref) > 0.8
    edge = np.array([-1e300, -41.0, 41.0, np.inf, -np.inf, np.nan])
    got = np.empty_like(edge)
    accel._exp_row(edge, got, np.empty(edge.size, np.int64))
    clamped = np.array([-40.0, -40.0, 40.0, 40.0, -40.0])
    at_40 = np.empty(5)
    accel._exp_row(clamped, at_40, np.empty(5, np.int64))
    np.testing.assert_array_equal(got[:5], at_40)
    assert np.isnan(got[5])
    sym = 0.5 - 1.0 / (1.0 + got[:5])
    np.testing.assert_array_equal(sym, 0.5 - 1.0 / (1.0 + np.exp(edge[:5])))
