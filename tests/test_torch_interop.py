"""structlearn.torch_interop: torch modules to networks and back (issue 19).

The tests that need PyTorch take the ``torch`` fixture (``pytest.importorskip``): without torch
they are skipped, and the ones that check structlearn works without it still run.
"""
import copy
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from structlearn import Network
from structlearn.activations import ACTIVATIONS
from helpers import random_cascade

ROOT = Path(__file__).resolve().parent.parent
ALL = sorted(ACTIVATIONS)
HIDDEN = sorted(name for name, act in ACTIVATIONS.items() if act.elementwise)
TOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-6}


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def ti(torch):
    from structlearn import torch_interop
    return torch_interop


# ------------------------------------------------------------------ helpers
def torch_out(torch, module, X):
    with torch.no_grad():
        p = next(module.parameters())
        return module(torch.as_tensor(X, dtype=p.dtype)).numpy()


def forward_gap(torch, module, net, X):
    """Largest |torch - structlearn| output difference, relative to the outputs' scale (>= 1)."""
    ref = net.forward(X).astype(np.float64)
    scale = max(1.0, float(np.abs(ref).max()))
    return float(np.abs(torch_out(torch, module, X).astype(np.float64) - ref).max()) / scale


def assert_same_network(a, b):
    """Every observable part of two networks is identical (bit for bit)."""
    assert a.dtype == b.dtype and a.n_inputs == b.n_inputs
    assert len(a.blocks) == len(b.blocks)
    for k, (x, y) in enumerate(zip(a.blocks, b.blocks)):
        assert x.W.dtype == y.W.dtype and np.array_equal(x.W, y.W), k
        assert np.array_equal(x.b, y.b), k
        assert (x.mask is None) == (y.mask is None), k
        assert x.mask is None or np.array_equal(x.mask, y.mask), k
        assert (x.activation, x.sources, x.trainable) == (y.activation, y.sources, y.trainable), k
    assert all(np.array_equal(u, v) for u, v in zip(a.unit_ids, b.unit_ids))
    assert a._next_uid == b._next_uid
    assert np.array_equal(a.param_keys(), b.param_keys())


@st.composite
def networks(draw, topology=None, dtype=None):
    """Random networks: chains, cascades and other DAGs, every activation, with masks, frozen
    blocks and unit ids that are no longer 0..n-1 (units added and removed)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    topology = topology or draw(st.sampled_from(["chain", "cascade", "dag"]))
    n_in = draw(st.integers(1, 4))
    widths = [draw(st.integers(1, 4)) for _ in range(draw(st.integers(0, 4)))]
    widths.append(draw(st.integers(1, 3)))
    sizes, blocks = [n_in], []
    for k, width in enumerate(widths):
        out = k == len(widths) - 1
        if topology == "chain":
            sources = (k,)
        elif topology == "cascade":
            sources = tuple(range(k + 1))
        else:
            sources = tuple(sorted(draw(st.sets(st.integers(0, k), max_size=k + 1)) | {k}))
        fan_in = sum(sizes[s] for s in sources)
        scale = 1.5 / np.sqrt(fan_in)
        mask = rng.random((fan_in, width)) < 0.7 if draw(st.booleans()) else None
        blocks.append(dict(W=rng.uniform(-scale, scale, (fan_in, width)),
                           b=rng.uniform(-0.5, 0.5, width),
                           activation=draw(st.sampled_from(ALL if out else HIDDEN)),
                           sources=sources, mask=mask, trainable=draw(st.booleans())))
        sizes.append(width)
    dtype = dtype or draw(st.sampled_from([np.float64, np.float32]))
    net = Network(n_in, blocks, dtype=dtype)
    if len(widths) > 1 and draw(st.booleans()):
        net.add_units(0, 1, init_range=0.3, rng=rng)
        net.remove_units(0, [0])  # ids now skip one, and the next id is past a removed unit
    return net


# ------------------------------------------------------- network -> torch -> network
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks())
def test_round_trip_is_exact_for_random_networks(torch, ti, net):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(9, net.n_inputs)) * 2
    module = ti.to_torch(net)
    chain = all(blk.sources == (k,) for k, blk in enumerate(net.blocks))
    assert isinstance(module, torch.nn.Sequential) == chain
    assert isinstance(module, ti.StructlearnDAG) == (not chain)
    assert next(module.parameters()).dtype == (torch.float64 if net.dtype == np.float64
                                               else torch.float32)
    assert forward_gap(torch, module, net, X) <= TOL[net.dtype]
    layers = [m for m in module.modules() if isinstance(m, ti.StructlearnLinear)]
    for blk, layer in zip(net.blocks, layers):
        assert layer.weight.requires_grad == layer.bias.requires_grad == blk.trainable
        if blk.mask is not None:
            assert np.array_equal(layer.mask.numpy(), blk.mask.T)
            assert not layer.weight.detach().numpy()[~blk.mask.T].any()
    back = ti.from_torch(module)
    assert_same_network(net, back)
    assert np.array_equal(back.forward(X), net.forward(X))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ALL)
def test_every_activation_round_trips_in_every_position(torch, ti, name, dtype):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 3)) * 3
    hidden = name if ACTIVATIONS[name].elementwise else "tanh"
    nets = [Network.mlp([3, 4, 5, 2], hidden=hidden, output=name, rng=1, dtype=dtype),
            random_cascade(rng, hidden=hidden, output=name).astype(dtype)]
    for net in nets:
        module = ti.to_torch(net)
        assert forward_gap(torch, module, net, X) <= TOL[net.dtype]
        assert_same_network(net, ti.from_torch(module))


@pytest.mark.parametrize("name", ALL)
def test_every_activation_has_a_torch_form_equal_to_numpys(torch, ti, name):
    a = np.concatenate([np.linspace(-40, 40, 161), [-800.0, -1e-9, 0.0, 1e-9, 800.0]])
    a = np.stack([a, a[::-1]], axis=1)  # softmax works over rows of two
    ours = ti.StructlearnActivation(name)(torch.as_tensor(a)).numpy()
    with np.errstate(over="ignore"):
        ref = ACTIVATIONS[name].f(a.copy())
    assert np.abs(ours - ref).max() <= 1e-15 * max(1.0, np.abs(ref).max())


def test_activations_without_a_torch_twin_are_structlearn_modules(torch, ti):
    net = Network(1, [dict(W=np.ones((1, 1)), b=[0.0], activation=a, sources=(k,))
                      for k, a in enumerate(["symmetric_sigmoid", "gaussian", "softplus"])] +
                  [dict(W=np.ones((1, 2)), b=[0.0, 1.0], activation="softmax", sources=(3,))])
    module = ti.to_torch(net)
    kinds = [type(m).__name__ for m in module[1::2]]
    assert kinds == ["StructlearnActivation"] * 3 + ["Softmax"]
    assert [m.name for m in module[1:7:2]] == ["symmetric_sigmoid", "gaussian", "softplus"]
    # the symmetric sigmoid's range is -0.5..0.5, its gradient finite far out
    a = torch.tensor([-800.0, 0.0, 800.0], dtype=torch.float64, requires_grad=True)
    y = module[1](a)
    y.sum().backward()
    assert y.tolist() == [-0.5, 0.0, 0.5] and torch.isfinite(a.grad).all()
    # exact softplus far out too (nn.Softplus would switch to a above its threshold)
    big = torch.tensor([30.0], dtype=torch.float64)
    assert module[5](big).item() == np.logaddexp(0, 30.0)


def test_to_torch_leaves_the_network_and_from_torch_the_module_unchanged(torch, ti):
    net = random_cascade(np.random.default_rng(0), output="sigmoid")
    net.set_mask(1, np.random.default_rng(1).random(net.blocks[1].W.shape) > 0.5)
    before = net.copy()
    module = ti.to_torch(net)
    with torch.no_grad():
        module.layers[0].weight += 1.0
    assert_same_network(before, net)
    state = {k: v.clone() for k, v in module.state_dict().items()}
    ti.from_torch(module).params[:] = 0.0
    assert all(torch.equal(v, module.state_dict()[k]) for k, v in state.items())


def test_dtype_arguments(torch, ti):
    net = Network.mlp([3, 4, 2], rng=0)
    m32 = ti.to_torch(net, dtype=torch.float32)
    assert next(m32.parameters()).dtype == torch.float32
    assert ti.to_torch(net, dtype="float32")[0].weight.dtype == torch.float32
    assert ti.from_torch(m32).dtype == np.float32
    back = ti.from_torch(m32, dtype=np.float64)
    assert back.dtype == np.float64
    assert np.abs(back.forward(np.eye(3)) - net.forward(np.eye(3))).max() < 1e-6
    with pytest.raises(ValueError, match="dtype: expected float32 or float64"):
        ti.to_torch(net, dtype=torch.float16)
    half = torch.nn.Sequential(torch.nn.Linear(2, 3)).half()
    with pytest.raises(ValueError, match="pass dtype"):
        ti.from_torch(half)
    assert ti.from_torch(half, dtype=torch.float32).dtype == np.float32


# ----------------------------------------------------------------- torch -> network
_TORCH_ACTS = ["Sigmoid", "Tanh", "ReLU", "Softplus", "Identity", "none", "symmetric_sigmoid",
               "gaussian"]


def _torch_activation(torch, ti, name):
    if name == "none":
        return None
    if name in ACTIVATIONS:
        return ti.StructlearnActivation(name)
    return getattr(torch.nn, name)()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), widths=st.lists(st.integers(1, 6), min_size=2, max_size=5),
       acts=st.lists(st.sampled_from(_TORCH_ACTS), min_size=4, max_size=4),
       softmax=st.booleans(), double=st.booleans())
def test_a_plain_torch_sequential_converts_exactly(torch, ti, seed, widths, acts, softmax, double):
    torch.manual_seed(seed)
    dtype = torch.float64 if double else torch.float32
    layers = []
    for k, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(torch.nn.Linear(a, b, dtype=dtype))
        act = _torch_activation(torch, ti, acts[k])
        if k == len(widths) - 2 and softmax:
            act = torch.nn.Softmax(dim=-1)
        if act is not None:
            layers.append(act)
    model = torch.nn.Sequential(*layers)
    net = ti.from_torch(model)
    assert net.dtype == (np.float64 if double else np.float32)
    assert [b.width for b in net.blocks] == widths[1:]
    X = np.random.default_rng(seed).normal(size=(11, widths[0])) * 2
    assert forward_gap(torch, model, net, X) <= TOL[net.dtype]
    # and back to torch: the same weights, the same outputs
    again = ti.to_torch(net)
    theirs = [m for m in model if isinstance(m, torch.nn.Linear)]
    ours = [m for m in again if isinstance(m, torch.nn.Linear)]
    for t, o in zip(theirs, ours):
        assert torch.equal(t.weight, o.weight) and torch.equal(t.bias, o.bias)
    assert np.array_equal(torch_out(torch, again, X), torch_out(torch, again, X))
    assert forward_gap(torch, again, net, X) <= TOL[net.dtype]


def test_nested_sequentials_identity_and_missing_bias(torch, ti):
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Identity(), nn.Sequential(nn.Linear(3, 4, bias=False), nn.Tanh()),
                          nn.Identity(), nn.Linear(4, 2), nn.Identity(), nn.Softmax(dim=1))
    model.double()
    net = ti.from_torch(model)
    assert [b.activation for b in net.blocks] == ["tanh", "softmax"]
    assert not net.blocks[0].b.any()
    X = np.random.default_rng(0).normal(size=(5, 3))
    assert forward_gap(torch, model, net, X) <= 1e-12


def test_softplus_threshold_is_dropped_and_documented_limits_hold(torch, ti):
    nn = torch.nn
    model = nn.Sequential(nn.Linear(1, 1), nn.Softplus()).double()
    with torch.no_grad():
        model[0].weight.fill_(1.0)
        model[0].bias.fill_(0.0)
    net = ti.from_torch(model)
    assert net.blocks[0].activation == "softplus"
    X = np.array([[-5.0], [0.0], [19.0], [25.0]])
    gap = np.abs(torch_out(torch, model, X) - net.forward(X))[:, 0]
    assert gap[:3].max() <= 1e-12  # below the threshold: the same function
    assert 0 < gap[3] < 2.1e-9     # above it torch returns a itself; we keep log(1 + e^a)
    assert ti.from_torch(nn.Sequential(nn.Linear(1, 1), nn.Softplus(threshold=50)))


def test_a_torch_prune_mask_becomes_the_blocks_mask(torch, ti):
    nn = torch.nn
    from torch.nn.utils import prune
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2)).double()
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    net = ti.from_torch(model)
    assert np.array_equal(net.blocks[0].mask, model[0].weight_mask.numpy().T != 0)
    assert net.blocks[1].mask is None
    X = np.random.default_rng(0).normal(size=(7, 4))
    assert forward_gap(torch, model, net, X) <= 1e-12


def test_frozen_layers_come_back_frozen_and_half_frozen_ones_are_refused(torch, ti):
    nn = torch.nn
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    model[0].requires_grad_(False)
    assert [b.trainable for b in ti.from_torch(model).blocks] == [False, True]
    model[2].weight.requires_grad_(False)
    with pytest.raises(ti.UnsupportedLayerError, match=r"layer 2 \(Linear\).*requires_grad"):
        ti.from_torch(model)


def _bad_models(nn, ti):
    return {
        "dropout": (nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Dropout(0.1), nn.Linear(3, 1)),
                    r"layer 2 \(Dropout\): is not supported"),
        "conv": (nn.Sequential(nn.Conv1d(1, 1, 3)), r"layer 0 \(Conv1d\): is not supported"),
        "leaky": (nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU()), r"layer 1 \(LeakyReLU\)"),
        "nested": (nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Tanh(), nn.BatchNorm1d(3))),
                   r"layer 1\.1 \(BatchNorm1d\)"),
        "softmax_hidden": (nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=-1), nn.Linear(3, 1)),
                           r"layer 1 \(Softmax\): softmax is allowed as the last layer only"),
        "structlearn_softmax_hidden": (
            nn.Sequential(nn.Linear(2, 3), ti.StructlearnActivation("softmax"), nn.Linear(3, 1)),
            r"layer 1 \(StructlearnActivation\): softmax is allowed as the last layer only"),
        "softmax_dim": (nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=0)), r"layer 1.*dim=0"),
        "two_acts": (nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.ReLU()),
                     r"layer 2 \(ReLU\): follows another activation"),
        "act_first": (nn.Sequential(nn.Tanh(), nn.Linear(2, 3)),
                      r"layer 0 \(Tanh\): comes before any Linear layer"),
        "beta": (nn.Sequential(nn.Linear(2, 3), nn.Softplus(beta=2)), r"layer 1.*beta=2"),
        "threshold": (nn.Sequential(nn.Linear(2, 3), nn.Softplus(threshold=5)),
                      r"layer 1 \(Softplus\): threshold=5"),
        "sizes": (nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)),
                  r"layer 1 \(Linear\): takes 4 inputs but the layer before gives 3"),
    }


BAD = ["dropout", "conv", "leaky", "nested", "softmax_hidden", "structlearn_softmax_hidden",
       "softmax_dim", "two_acts", "act_first", "beta", "threshold", "sizes"]


@pytest.mark.parametrize("case", BAD)
def test_unsupported_layers_are_named(torch, ti, case):
    cases = _bad_models(torch.nn, ti)
    assert sorted(cases) == sorted(BAD)
    model, message = cases[case]
    with pytest.raises(ti.UnsupportedLayerError, match=message) as info:
        ti.from_torch(model)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)


def test_other_modules_and_arguments_are_refused(torch, ti):
    class Custom(torch.nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="nn.Sequential.*got Custom"):
        ti.from_torch(Custom())
    with pytest.raises(ValueError, match="no Linear layer"):
        ti.from_torch(torch.nn.Sequential())
    with pytest.raises(TypeError, match="expected a structlearn Network, got Sequential"):
        ti.to_torch(torch.nn.Sequential(torch.nn.Linear(2, 2)))


# ------------------------------------------------------------------ training in torch
def _train(torch, module, X, T, steps, opt):
    for _ in range(steps):
        opt.zero_grad()
        loss = ((module(X) - T) ** 2).mean()
        loss.backward()
        opt.step()


@pytest.mark.parametrize("kind", ["mlp", "cascade"])
@pytest.mark.parametrize("optimizer", ["adamw", "sgd"])
def test_masks_hold_and_frozen_blocks_stay_when_trained_in_torch(torch, ti, kind, optimizer):
    rng = np.random.default_rng(0)
    if kind == "mlp":
        net = Network.mlp([3, 6, 5, 2], hidden="tanh", output="linear", rng=0)
    else:
        net = random_cascade(rng, hidden="gaussian", output="linear")
    for k, blk in enumerate(net.blocks):
        net.set_mask(k, rng.random(blk.W.shape) > 0.4)
    net.freeze(0)
    module = ti.to_torch(net)
    params = [p for p in module.parameters() if p.requires_grad]
    opt = (torch.optim.AdamW(params, lr=0.05, weight_decay=0.1) if optimizer == "adamw"
           else torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.01))
    X = torch.as_tensor(rng.normal(size=(32, 3)))
    T = torch.as_tensor(rng.normal(size=(32, 2)))
    _train(torch, module, X, T, 25, opt)
    layers = [m for m in module.modules() if isinstance(m, ti.StructlearnLinear)]
    assert layers[0].weight.grad is None and layers[0].bias.grad is None
    for blk, layer in zip(net.blocks, layers):
        w = layer.weight.detach().numpy()
        assert not w[~blk.mask.T].any()  # exactly 0, not merely small
        if blk.trainable:
            assert not np.array_equal(w, blk.W.T)
        else:
            assert np.array_equal(w, blk.W.T) and np.array_equal(layer.bias.detach(), blk.b)
    back = ti.from_torch(module)
    assert [b.trainable for b in back.blocks] == [b.trainable for b in net.blocks]
    assert all(np.array_equal(a.mask, b.mask) for a, b in zip(net.blocks, back.blocks))
    assert forward_gap(torch, module, back, X.numpy()) <= 1e-12
    assert back.n_active_weights == net.n_active_weights


def test_pickle_deepcopy_and_state_dict(torch, ti):
    net = random_cascade(np.random.default_rng(2), output="softmax")
    net.set_mask(0, np.random.default_rng(1).random(net.blocks[0].W.shape) > 0.5)
    net.remove_units(1, [0]) if net.blocks[1].width > 1 else None
    for module in (ti.to_torch(net), ti.to_torch(Network.mlp([2, 3, 1], hidden="gaussian", rng=0))):
        buf = io.BytesIO()
        torch.save(module, buf)
        buf.seek(0)
        loaded = torch.load(buf, weights_only=False)
        ref = ti.from_torch(module)
        assert_same_network(ref, ti.from_torch(loaded))
        assert_same_network(ref, ti.from_torch(copy.deepcopy(module)))
    # a masked network's state_dict carries the masks; ids stay out of it
    state = ti.to_torch(net).state_dict()
    assert "layers.0.mask" in state and not any("ids" in key for key in state)
    # an unmasked MLP's state_dict is that of the plain nn.Sequential with the same layers
    nn = torch.nn
    mlp = Network.mlp([3, 4, 2], hidden="relu", rng=0)
    plain = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Softmax(dim=-1)).double()
    plain.load_state_dict(ti.to_torch(mlp).state_dict())
    assert forward_gap(torch, plain, mlp, np.eye(3)) <= 1e-12


def test_composition_torch_model_pruned_widened_and_handed_back(torch, ti):
    """from_torch -> OBD -> Net2Net wider -> to_torch, the issue's round trip in small."""
    from structlearn.net2net import wider
    from structlearn.obd import OptimalBrainDamage
    nn = torch.nn
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid()).double()
    net = ti.from_torch(model)
    obd = OptimalBrainDamage(target_fraction=0.5, retrain_epochs=2, rng=0).fit(X, y, network=net)
    pruned = obd.network_
    assert pruned.n_active_weights < net.n_active_weights
    wide = wider(pruned, 0, pruned.blocks[0].width + 3, rng=1)
    module = ti.to_torch(wide)
    assert forward_gap(torch, module, wide, X) <= 1e-12
    assert_same_network(wide, ti.from_torch(module))
    assert forward_gap(torch, model, net, X) <= 1e-12  # the caller's model is untouched


# ------------------------------------------------------------ without torch
def _run(code):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=str(ROOT), timeout=300)


_IMPORT_ALL = """
import importlib, pkgutil, sys
{block}
import structlearn
skipped = []
for info in pkgutil.walk_packages(structlearn.__path__, "structlearn."):
    if info.name == "structlearn.__main__":  # runs the command line
        continue
    try:
        importlib.import_module(info.name)
    except ImportError as exc:  # another optional extra (scikit-learn, dask) missing
        if "torch" in str(exc) or (exc.name or "").startswith("torch"):
            raise
        skipped.append(info.name)
import structlearn.torch_interop as ti
print("IMPORTED", len(list(pkgutil.walk_packages(structlearn.__path__, "structlearn."))))
print("SKIPPED", skipped)
print("TORCH", sys.modules.get("torch", "absent"))
"""


# torch made unimportable without a None entry in sys.modules (scipy's array-API helpers read
# sys.modules["torch"] as a module when the key is there)
_NO_TORCH = """
class _NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError("No module named 'torch' (blocked by the test)", name=name)
sys.meta_path.insert(0, _NoTorch())
"""


def test_importing_every_structlearn_module_never_imports_torch():
    out = _run(_IMPORT_ALL.format(block=""))
    assert out.returncode == 0, out.stderr
    assert "TORCH absent" in out.stdout, out.stdout


def test_without_torch_everything_imports_and_the_interop_names_the_extra():
    code = _IMPORT_ALL.format(block=_NO_TORCH) + """
from structlearn import Network
net = Network.mlp([2, 3, 1], rng=0)
for call in (lambda: ti.to_torch(net), lambda: ti.from_torch(None), lambda: ti.StructlearnDAG):
    try:
        call()
    except ImportError as exc:
        print("ERROR", exc)
"""
    out = _run(code)
    assert out.returncode == 0, out.stderr
    assert "TORCH absent" in out.stdout
    errors = [line for line in out.stdout.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 3 and all('pip install "structlearn[torch]"' in e for e in errors)


# ------------------------------------------------------------------ the example
def test_the_example_runs_quick_and_writes_its_figure(torch, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", STRUCTLEARN_QUICK="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    script = ROOT / "examples" / "torch_roundtrip.py"
    text = script.read_text()
    assert "# %%" in text and "# %% [markdown]" in text and "STRUCTLEARN_QUICK" in text
    out = subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], env=env,
                         cwd=tmp_path, check=True, capture_output=True, text=True, timeout=300)
    figure = tmp_path / "torch_roundtrip.png"
    assert figure.is_file() and figure.stat().st_size > 1000
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "masks held: True" in out.stdout, out.stdout
