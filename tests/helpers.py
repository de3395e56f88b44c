"""Shared test utilities: finite differences and small random networks."""
import numpy as np

from structlearn import Network


def numeric_jacobian(f, params, indices, eps=1e-6):
    """Central differences of the array ``f()`` with respect to ``params[indices]`` (in place);
    shape ``f().shape + (len(indices),)``."""
    cols = []
    for i in indices:
        old = params[i]
        params[i] = old + eps
        up = f()
        params[i] = old - eps
        down = f()
        params[i] = old
        cols.append((up - down) / (2 * eps))
    return np.stack(cols, axis=-1)


def numeric_gradient(f, params, eps=1e-6):
    """Central differences of the scalar ``f()`` with respect to ``params`` (in place)."""
    return numeric_jacobian(f, params, range(params.size), eps).astype(params.dtype, copy=False)


def candidate_problem(rng, pool, B=2, O=2, F=5, P=17):
    """Random cached values ``V`` (bias row of ones), errors ``E`` and candidate weights ``W``
    for ``B`` trials of ``pool``, with the error statistics and zero previous correlations
    that :func:`structlearn.cascor.steps.candidate_terms` takes."""
    from structlearn.cascor.steps import error_stats

    V = rng.standard_normal((B, F, P))
    V[:, 0] = 1.0
    E = rng.standard_normal((B, O, P)) * 0.3 + 0.1
    W = rng.uniform(-1, 1, (B, pool.n_rows, F))
    return V, E, W, error_stats(E), np.zeros((B, pool.n_values, O))


def relative_error(a, b):
    return np.max(np.abs(a - b)) / max(1e-12, np.max(np.abs(a)) + np.max(np.abs(b)))


def random_cascade(rng, n_in=3, n_out=2, n_hidden=3, hidden="tanh", output="linear",
                   sibling_every=2):
    """A cascade network with ``n_hidden`` units, some as siblings (wider blocks)."""
    net = Network.cascade(n_in, n_out, output=output, rng=rng)
    for h in range(n_hidden):
        if sibling_every and net.output_block > 0 and h % sibling_every == 1:
            deepest = net.output_block - 1
            net.add_units(deepest, 1, init_range=0.8, rng=rng)
        else:
            nodes = list(range(net.output_block + 1))
            net.add_block(1, nodes, hidden, consumers=[net.output_block], init_range=0.8, rng=rng)
    return net


def small_estimator(name):
    """Each public algorithm with a budget small enough for many fits (contract and
    composition tests)."""
    from structlearn.cascor import CascadeCorrelation
    from structlearn.dnc import DynamicNodeCreation
    from structlearn.net2net import Net2NetSearch
    from structlearn.obd import OptimalBrainDamage

    return {
        "cascor": lambda: CascadeCorrelation(max_hidden_units=3, output_epochs=60,
                                             candidate_epochs=30, rng=0),
        "dnc": lambda: DynamicNodeCreation(max_epochs=400, window=50, max_units=12,
                                           learning_rate=0.5, rng=0),
        "obd": lambda: OptimalBrainDamage(hidden_layer_sizes=(8,), epochs=150, retrain_epochs=5,
                                          target_fraction=0.6, rng=0),
        "net2net": lambda: Net2NetSearch(teacher_sizes=(6,), candidates=[(9,)], teacher_epochs=20,
                                         epochs=20, batch_size=16, lr=0.02, dtype=np.float64,
                                         rng=0),
    }[name]()


def benchmark_script(name):
    """The script ``benchmarks/<name>.py`` loaded as a module (the scripts are not a package)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
