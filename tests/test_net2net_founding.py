"""The founding-document experiment script (benchmarks/net2net_founding.py) with a tiny budget."""
import json

import numpy as np
import pytest

from helpers import benchmark_script

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def founding():
    return benchmark_script("net2net_founding")


def test_budgets_scale_the_founding_epochs(founding):
    assert founding.budgets(1.0) == dict(teacher=75, student=50, scratch=125, full=True)
    b = founding.budgets(0.04)
    assert (b["teacher"], b["student"], b["scratch"], b["full"]) == (3, 2, 5, False)


def test_tiny_run_writes_table_figure_and_results(founding, tmp_path):
    out = tmp_path / "run"
    runs = founding.main(["--data", "digits8x8", "--out", str(out), "--seeds", "2",
                          "--subset", "600", "--epochs-scale", "0.03"])
    assert (out / "curves.png").stat().st_size > 0
    text = (out / "report.md").read_text()
    # the reduced budget and the subset are stated, every size is a row, the founding numbers too
    assert "**reduced**" in text and "--subset 600" in text
    for arch in ("150-100", "150-150", "200-100", "200-150", "200-200"):
        assert f"| {arch} |" in text
    assert "93.37-93.69" in text and "≈93.5" in text
    saved = json.loads((out / "results.json").read_text())
    assert saved["budget"]["teacher"] == 2 and len(saved["per_seed"]) == 2
    seed0 = runs["per_seed"][0]
    methods = sorted({r["method"] for r in seed0["rows"]})
    assert methods == ["net2net", "scratch", "teacher_continued"]
    for r in seed0["rows"]:
        budget = runs["budget"]["scratch" if r["method"] == "scratch" else "student"]
        assert r["epochs"] == budget == len(r["test_curve"]) == len(r["val_curve"])
        assert 0.0 <= r["test_accuracy"] <= 1.0
        if r["method"] == "net2net":  # grown from the teacher: its input size, wider layers
            assert r["weights"] > seed0["teacher"]["weights"]
    assert np.isfinite(seed0["saving"]["S"]) and seed0["saving"]["S"] > 0


def test_same_seed_same_numbers(founding, tmp_path):
    args = ["--data", "digits8x8", "--seeds", "1", "--subset", "400", "--epochs-scale", "0.02",
            "--no-figure"]
    a = founding.main(args + ["--out", str(tmp_path / "a")])
    b = founding.main(args + ["--out", str(tmp_path / "b")])
    assert [r["test_curve"] for r in a["per_seed"][0]["rows"]] == \
        [r["test_curve"] for r in b["per_seed"][0]["rows"]]


def test_ablation_variants_share_teacher_and_scratch(founding, tmp_path):
    out = tmp_path / "abl"
    res = founding.main(["--data", "digits8x8", "--out", str(out), "--seeds", "1",
                         "--subset", "400", "--epochs-scale", "0.02", "--ablation",
                         "--variants", "no noise,Adam carried lr x1"])
    assert set(res) == {"no noise", "Adam carried lr x1"}
    a, b = res["no noise"][0]["rows"], res["Adam carried lr x1"][0]["rows"]
    assert [r for r in a if r["method"] == "scratch"] == [r for r in b if r["method"] == "scratch"]
    assert "| no noise |" in (out / "ablation.md").read_text()


def test_idx_directory_and_scaling(founding, tmp_path):
    """A directory of the four IDX files (how real MNIST is given) is read; scaling standardises."""
    import gzip
    rng = np.random.default_rng(0)

    def write(name, arr, magic):
        header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big")
                                                     for d in arr.shape)
        with gzip.open(tmp_path / f"{name}.gz", "wb") as f:
            f.write(header + arr.astype(np.uint8).tobytes())

    for kind, n in (("train", 50), ("t10k", 20)):
        write(f"{kind}-images-idx3-ubyte", rng.integers(0, 256, (n, 4, 4)), 0x803)
        write(f"{kind}-labels-idx1-ubyte", np.arange(n) % 3, 0x801)
    d = founding.load_data(str(tmp_path))
    assert d["X"].shape == (45, 16) and d["Xv"].shape == (5, 16) and d["Xt"].shape == (20, 16)
    assert d["n_classes"] == 3 and d["X"].max() <= 1.0
    s = founding.load_data(str(tmp_path), scale="standard")
    np.testing.assert_allclose(s["X"].mean(0), 0, atol=1e-5)
    with pytest.raises(FileNotFoundError):
        founding.load_data(str(tmp_path / "missing"))


def test_scratch_at_the_best_rate(founding, tmp_path):
    runs = founding.main(["--data", "digits8x8", "--out", str(tmp_path), "--seeds", "2",
                          "--subset", "400", "--epochs-scale", "0.02", "--no-figure",
                          "--scratch-lrs", "0.001,0.01"])
    for s in runs["per_seed"]:
        for arch in ("150-100", "200-200"):
            pair = [r for r in s["rows"] if r["arch"] == arch and r["method"].startswith("scratch")]
            assert sorted(r["lr"] for r in pair) == [0.001, 0.01]
            best = next(r for r in pair if r["method"] == "scratch")
            # the kept rate is the one with the better final validation accuracy
            assert best["val_curve"][-1] == max(r["val_curve"][-1] for r in pair)
    assert "best of lr 0.001,0.01" in (tmp_path / "report.md").read_text()


def test_early_stopping_options_are_stated(founding, tmp_path):
    runs = founding.main(["--data", "digits8x8", "--out", str(tmp_path), "--seeds", "1",
                          "--subset", "300", "--teacher-epochs", "6", "--student-epochs", "3",
                          "--teacher-early-stopping", "1", "--early-stopping", "1",
                          "--no-figure"])
    assert runs["budget"]["scratch"] == 9
    s = runs["per_seed"][0]
    assert s["teacher"]["epochs"] <= 6
    assert all(r["epochs"] <= 9 for r in s["rows"])
    text = (tmp_path / "report.md").read_text()
    assert "teacher early stopping 1" in text and "early stopping 1" in text


def test_dropout_applies_to_every_run_and_is_stated(founding, tmp_path, monkeypatch):
    seen = []
    real_train = founding.train

    def spy(*args, **kwargs):
        seen.append(kwargs.get("dropout"))
        return real_train(*args, **kwargs)

    monkeypatch.setattr(founding, "train", spy)
    founding.main(["--data", "digits8x8", "--out", str(tmp_path / "a"), "--seeds", "1",
                   "--subset", "300", "--teacher-epochs", "1", "--student-epochs", "1",
                   "--ablation", "--variants", "baseline", "--dropout", "0.3"])
    # teacher, 2 scratch sizes, teacher continued, 2 students: all with the rate
    assert seen == [0.3] * 6
    text = (tmp_path / "a" / "ablation.md").read_text()
    assert "dropout 0.3 of every hidden unit in every run" in text
    seen.clear()
    founding.main(["--data", "digits8x8", "--out", str(tmp_path / "b"), "--seeds", "1",
                   "--subset", "300", "--teacher-epochs", "1", "--student-epochs", "1",
                   "--dropout", "0.3", "--no-figure"])
    assert seen == [0.3] * 12  # teacher, continued, 5 students, 5 scratch
    assert "dropout 0.3 of every hidden unit" in (tmp_path / "b" / "report.md").read_text()


def test_cosine_schedule_rates(founding):
    """The decaying student rate: from start x lr at the first epoch to floor x lr at the last."""
    lrs = founding.lr_schedule(1e-3, 5, start=1.0, floor=0.01, kind="cosine")
    half = [1.0, (1 + np.sqrt(0.5)) / 2, 0.5, (1 - np.sqrt(0.5)) / 2, 0.0]  # (1 + cos) / 2
    np.testing.assert_allclose(np.asarray(lrs) / 1e-3, [0.01 + 0.99 * c for c in half])
    assert all(a > b for a, b in zip(lrs, lrs[1:]))
    assert founding.lr_schedule(1e-3, 3, start=0.1, kind="constant") == [1e-4] * 3
    assert founding.lr_schedule(1e-3, 1, start=0.3, floor=0.01, kind="cosine") == [3e-4]
    with pytest.raises(ValueError):
        founding.lr_schedule(1e-3, 3, kind="step")


def test_cosine_variant_sets_the_rate_each_epoch(founding, tmp_path):
    """Students and the teacher continued train under the same schedule, one rate per epoch."""
    res = founding.main(["--data", "digits8x8", "--out", str(tmp_path), "--seeds", "1",
                         "--subset", "400", "--teacher-epochs", "2", "--student-epochs", "4",
                         "--ablation", "--variants", "baseline,cosine x1-x0.01"])
    want = founding.lr_schedule(1e-3, 4, start=1.0, floor=0.01, kind="cosine")
    rows = res["cosine x1-x0.01"][0]["rows"]
    trained = [r for r in rows if r["method"] in ("net2net", "teacher_continued")]
    assert {r["method"] for r in trained} == {"net2net", "teacher_continued"}
    for r in trained:
        np.testing.assert_allclose(r["lr_curve"], want)
        assert r["epochs"] == 4 and len(r["test_curve"]) == 4
    # the constant recipe records no schedule; scratch is shared by both variants
    assert all("lr_curve" not in r for r in res["baseline"][0]["rows"])
    scratch = [r for r in rows if r["method"] == "scratch"]
    assert scratch == [r for r in res["baseline"][0]["rows"] if r["method"] == "scratch"]
    assert "| cosine x1-x0.01 |" in (tmp_path / "ablation.md").read_text()


# ------------------------------------------------------------- shrink and perturb (issue 18)
def _tiny_teacher(founding, seed=0):
    data = founding.load_data("digits8x8", subset=300)
    teacher, t_opt, _ = founding.teacher_run(data, seed, 1)
    return data, teacher, t_opt


def _start_weights(founding, monkeypatch):
    """Record every run's parameters as ``_fit`` receives them (right before it trains)."""
    seen = []
    fit = founding._fit

    def spy(net, *a, **k):
        seen.append(net.params.copy())
        return fit(net, *a, **k)

    monkeypatch.setattr(founding, "_fit", spy)
    return seen


def test_shrink_one_perturb_zero_is_the_recipe_without_it(founding, monkeypatch):
    """lambda = 1, sigma = 0 trains the very same students, bit for bit, as the defaults."""
    data, teacher, t_opt = _tiny_teacher(founding)
    seen = _start_weights(founding, monkeypatch)
    opts = dict(sizes=[(150, 150)], offset=1)
    a = founding.student_runs(data, teacher, t_opt, 0, 2, **opts)
    b = founding.student_runs(data, teacher, t_opt, 0, 2, shrink=1.0, perturb=0.0, **opts)
    c = founding.student_runs(data, teacher, t_opt, 0, 2, shrink=None, perturb=0, **opts)
    assert a == b == c
    n = len(a)  # teacher continued, then the student: the same starting weights exactly
    for x, y, z in zip(seen[:n], seen[n:2 * n], seen[2 * n:]):
        assert x.dtype == y.dtype == np.float32
        assert np.array_equal(x, y) and np.array_equal(x, z)


def test_shrink_without_perturb_scales_every_weight(founding, monkeypatch):
    """With sigma = 0 every weight and bias the student and the teacher continued start from is
    exactly lambda (in float32) times the widened one; the training runs themselves differ."""
    data, teacher, t_opt = _tiny_teacher(founding)
    seen = _start_weights(founding, monkeypatch)
    opts = dict(sizes=[(150, 150), (200, 200)], offset=1)
    base = founding.student_runs(data, teacher, t_opt, 0, 1, **opts)
    shrunk = founding.student_runs(data, teacher, t_opt, 0, 1, shrink=0.6, **opts)
    n = len(base)
    assert n == 3
    np.testing.assert_array_equal(seen[0], teacher.params)  # the continued copy, untouched
    for w0, w in zip(seen[:n], seen[n:]):
        assert np.any(w0 != 0)
        np.testing.assert_array_equal(w, w0 * np.float32(0.6))
    assert [r["test_curve"] for r in base] != [r["test_curve"] for r in shrunk]


def test_perturb_adds_sigma_times_a_fresh_initial_draw(founding):
    """W <- lambda W + sigma D, D the network's own (He/Glorot-uniform) draw; biases (zero at
    initialisation) are only shrunk; the same generator seed gives the same draw."""
    from structlearn.initializers import glorot_bound
    from structlearn.net2net import grow
    _, teacher, _ = _tiny_teacher(founding)
    widened = grow(teacher, (150, 150), noise=0.01, rng=1)
    a = founding.shrink_perturb(widened.copy(), 0.5, 0.01, rng=7)
    b = founding.shrink_perturb(widened.copy(), 0.5, 0.01, rng=7)
    np.testing.assert_array_equal(a.params, b.params)
    for blk0, blk in zip(widened.blocks, a.blocks):
        d = (blk.W.astype(np.float64) - 0.5 * blk0.W.astype(np.float64)) / 0.01
        bound = glorot_bound(blk0.fan_in, blk0.width, blk0.activation)
        # a uniform draw on [-bound, bound] of this block's shape (float32 rounding aside)
        assert np.abs(d).max() <= bound * (1 + 1e-3) and np.abs(d).max() > 0.9 * bound
        assert abs(d.mean()) < 0.05 * bound and np.std(d) > 0.5 * bound
        np.testing.assert_array_equal(blk.b, blk0.b * np.float32(0.5))
    c = founding.shrink_perturb(widened.copy(), 0.5, 0.01, rng=8)
    assert not np.array_equal(a.params, c.params)
    untouched = widened.copy()
    assert founding.shrink_perturb(untouched, None, 0.0, rng=7) is untouched
    np.testing.assert_array_equal(untouched.params, widened.params)


@pytest.mark.parametrize("shrink, perturb, name", [
    (0.0, 0.01, "shrink"), (-0.5, 0.0, "shrink"), (1.5, 0.0, "shrink"),
    (float("nan"), 0.0, "shrink"), (True, 0.0, "shrink"), ("0.5", 0.0, "shrink"),
    (0.6, -0.01, "perturb"), (0.6, float("inf"), "perturb"), (0.6, None, "perturb")])
def test_bad_shrink_or_perturb_is_named(founding, shrink, perturb, name):
    _, teacher, t_opt = _tiny_teacher(founding)
    with pytest.raises(ValueError, match=f"^{name}:"):
        founding.shrink_perturb(teacher.copy(), shrink, perturb, rng=0)
    with pytest.raises(ValueError, match=f"^{name}:"):  # before any training
        founding.student_runs(None, teacher, t_opt, 0, 1, shrink=shrink, perturb=perturb)


def test_shrink_perturb_variants_named(founding, tmp_path):
    v = founding.VARIANTS
    assert v["shrink 0.6 perturb 0.01"] == dict(shrink=0.6, perturb=0.01)
    assert v["shrink 0.3 perturb 0.01"] == dict(shrink=0.3, perturb=0.01)
    assert v["shrink 0.6 perturb 0.01 lr x1"] == dict(shrink=0.6, perturb=0.01,
                                                      student_lr_factor=1.0)
    res = founding.main(["--data", "digits8x8", "--out", str(tmp_path), "--seeds", "2",
                         "--subset", "300", "--teacher-epochs", "1", "--student-epochs", "1",
                         "--ablation", "--variants", "baseline,shrink 0.3 perturb 0.01"])
    text = (tmp_path / "ablation.md").read_text()
    # the paired table: the change against the baseline with its SE, the per-size gaps
    assert "| shrink 0.3 perturb 0.01 |" in text and "minus baseline (SE)" in text
    assert "200-200 gap" in text
    assert set(res) == {"baseline", "shrink 0.3 perturb 0.01"}


def test_replica_diagnostic_measures_distance_to_the_origin():
    """benchmarks/net2net_replicas.py: exact copies are at distance 0, and moving one new
    unit's weights away by 20% of its origin's norm is seen as 0.2."""
    from structlearn import Network
    from structlearn.net2net import wider
    rep = benchmark_script("net2net_replicas")
    net = Network.mlp([4, 3, 2], "relu", "softmax", rng=0)
    wide, (origin, _) = wider(net, 0, 5, rng=1, return_mapping=True)
    assert rep.replica_distance(wide, origin, 3) == (0.0, 0.0)
    blk = wide.blocks[0]
    o = origin[3]
    norm = np.linalg.norm(np.append(blk.W[:, o], blk.b[o]))
    blk.W[0, 3] += 0.2 * norm
    median, share = rep.replica_distance(wide, origin, 3)
    assert share == 0.5 and np.isclose(median, 0.1)      # one of two new units moved by 0.2
