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
