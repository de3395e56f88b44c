"""Shared test utilities: finite differences and small random networks."""
import numpy as np

from structlearn import Network


def numeric_gradient(f, params, eps=1e-6):
    """Central differences of the scalar ``f()`` with respect to ``params`` (in place)."""
    grad = np.zeros_like(params)
    for i in range(params.size):
        old = params[i]
        params[i] = old + eps
        up = f()
        params[i] = old - eps
        down = f()
        params[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


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
