"""Plots: they draw what they say, label it, and refuse bad input clearly."""
import os

import numpy as np
import pytest

from structlearn import History, Network, train
from structlearn import plotting
from structlearn.datasets import xor

import matplotlib.pyplot as plt  # noqa: E402  (after structlearn.plotting chose the backend)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_headless_backend():
    """Without a display, importing structlearn.plotting selects Agg (scripts, CI, reports)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")}
    out = subprocess.run([sys.executable, "-c", "import structlearn.plotting, matplotlib; "
                          "print(matplotlib.get_backend())"], env=env, capture_output=True,
                         text=True, check=True)
    if sys.platform.startswith("linux"):
        assert out.stdout.strip().lower() == "agg"


def _history(values, units=None, start=1):
    h = History()
    for i, v in enumerate(values):
        h.log(epoch=start + i, phase="train", loss=v, units=units[i] if units else 3,
              weights=10 * (units[i] if units else 3), seconds=0.0, accuracy=0.5)
    return h


def test_summarize_curves_holds_the_last_value():
    grid, med, q25, q75 = plotting.summarize_curves([([1, 2, 3], [3.0, 2.0, 1.0]),
                                                     ([1, 2], [5.0, 4.0]),
                                                     ([1], [0.0])])
    assert grid.tolist() == [1, 2, 3]
    # at epoch 3: values 1 (ran), 4 (held), 0 (held)
    assert med.tolist() == [3.0, 2.0, 1.0]
    assert q75[2] == pytest.approx(2.5) and q25[2] == pytest.approx(0.5)
    # a curve that starts later does not count before its start
    grid, med, _, _ = plotting.summarize_curves([([2, 3], [1.0, 1.0]), ([1, 2, 3], [4.0, 2, 0])])
    assert med.tolist() == [4.0, 1.5, 0.5]


def test_decision_boundary_xor(tmp_path):
    X, y = xor()
    net = Network.mlp([2, 4, 1], hidden="tanh", output="sigmoid", rng=0)
    train(net, X, y, epochs=300, optimizer="adam", rng=0, progress=False)
    ax = plotting.plot_decision_boundary(net, X, y, title="XOR")
    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$" and ax.get_title() == "XOR"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    path = plotting.save_figure(ax, tmp_path / "xor.png")
    assert path.stat().st_size > 1000
    with pytest.raises(ValueError, match="X must have shape"):
        plotting.plot_decision_boundary(net, np.zeros((4, 3)), y)
    with pytest.raises(ValueError, match="network must have 2 inputs"):
        plotting.plot_decision_boundary(Network.mlp([3, 2, 1], rng=0), X, y)
    with pytest.raises(ValueError, match="one per row"):
        plotting.plot_decision_boundary(net, X, y[:3])


def test_learning_curves_and_network_size():
    groups = {"grow": [_history([1.0, 0.5, 0.1], units=[1, 2, 3]),
                       _history([0.8, 0.2], units=[1, 2])],
              "fixed": [_history([0.9, 0.3, 0.2])]}
    ax = plotting.plot_learning_curves(groups)
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "training loss"
    assert ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["grow (median of 2)", "fixed"]
    line = ax.get_lines()[0]
    assert line.get_ydata() == pytest.approx([0.9, 0.35, 0.15])  # medians, 2nd run held at 0.2
    ax = plotting.plot_network_size(groups["grow"][:1], what="units")
    assert ax.get_ylabel() == "hidden units" and ax.get_lines()[0].get_ydata().tolist() == [1, 2, 3]
    h = groups["grow"][0]
    h.event("unit_added", epoch=2)
    ax = plotting.plot_network_size(h, what="weights")
    assert ax.get_ylabel() == "active weights"
    assert "unit added" in [t.get_text() for t in ax.get_legend().get_texts()]
    with pytest.raises(ValueError, match="what must be"):
        plotting.plot_network_size(h, what="layers")
    with pytest.raises(ValueError, match="one entry per history"):
        plotting.plot_learning_curves([h, h], labels=["a"])


def test_network_diagram_draws_every_active_connection():
    rng = np.random.default_rng(0)
    net = Network.cascade(2, 1, rng=rng)
    for _ in range(2):
        nodes = list(range(net.output_block + 1))
        net.add_block(1, nodes, "symmetric_sigmoid", consumers=[net.output_block], rng=rng)
        net.freeze(net.output_block - 1)
    ax = plotting.plot_network(net)
    n_connections = sum(b.W.size for b in net.blocks)
    assert len(ax.get_lines()) == n_connections
    assert "2 hidden units" in ax.get_title()
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "inputs" in texts and "outputs" in texts and "block 0" in texts

    mlp = Network.mlp([3, 4, 2], rng=0)
    mask = np.ones_like(mlp.blocks[0].W, bool)
    mask[0, :3] = False
    mlp.set_mask(0, mask)
    ax = plotting.plot_network(mlp)
    assert len(ax.get_lines()) == mlp.blocks[0].W.size - 3 + mlp.blocks[1].W.size
    big = Network.mlp([784, 10, 10], rng=0)
    ax = plotting.plot_network(big, max_units=5)
    assert "(784 units, 5 shown)" in " ".join(t.get_text() for t in ax.texts)


def test_pruning_and_saliency_plots():
    curves = {"OBD": ([100, 50, 25], [0.98, 0.97, 0.9]),
              "magnitude": ([100, 50, 25], [0.98, 0.95, 0.7], [0.97, 0.9, 0.6], [0.99, 0.96, 0.8])}
    ax = plotting.plot_pruning_curves(curves)
    assert ax.xaxis_inverted() and ax.get_ylabel() == "test accuracy"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["OBD", "magnitude"]
    with pytest.raises(ValueError, match="same length"):
        plotting.plot_pruning_curves({"a": ([1, 2], [1])})
    with pytest.raises(ValueError, match="non-empty dict"):
        plotting.plot_pruning_curves({})
    ax = plotting.plot_saliency(np.array([1e-3, 1e-2, 0.5]), np.array([0.1, -0.2, 1.0]),
                                highlight=[True, False, False])
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "saliency"
    with pytest.raises(ValueError, match="same size"):
        plotting.plot_saliency([1, 2], [1])


def test_decision_regions_are_the_decoded_classes():
    """Regions come from the targets module: an estimator's labels, a sigmoid output's
    midpoint; a bare network takes output indices (floats that are integers too)."""
    from types import SimpleNamespace

    from structlearn.targets import encode

    X, y = xor()
    net = Network.mlp([2, 4, 1], hidden="tanh", output="symmetric_sigmoid", rng=0)
    _, info = encode(np.array(["off", "on"])[y], "symmetric_sigmoid")
    train(net, X, info.encode(np.array(["off", "on"])[y]), epochs=300, optimizer="adam", rng=0,
          progress=False)
    fitted = SimpleNamespace(network_=net, target_info_=info)  # what an estimator holds
    labels = np.array(["off", "on"])[y]
    ax = plotting.plot_decision_boundary(fitted, X, labels, resolution=50)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class off", "class on"]
    regions = ax.get_images()[0].get_array()
    expected = info.codes(info.decode(net.forward(np.array([[-0.25, -0.25]]))))[0]
    assert regions[0, 0] == expected  # the corner cell (padding 0.25) is the class decoded there
    ax = plotting.plot_decision_boundary(net, X, y.astype(float), resolution=50)
    assert np.array_equal(ax.get_images()[0].get_array(), regions)
    with pytest.raises(TypeError, match="fit an estimator"):
        plotting.plot_decision_boundary(net, X, labels)
