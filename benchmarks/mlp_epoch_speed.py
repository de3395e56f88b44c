"""Seconds per epoch of a 784-300-100-10 ReLU MLP: structlearn against its peers.

The foundation issue's speed check: softmax cross-entropy, Adam, batch 128,
float32, one epoch over 60,000 MNIST-size samples (Fashion-MNIST when its IDX
files are found, else random data of that shape), for structlearn,
scikit-learn's ``MLPClassifier`` and PyTorch (CPU), each when installed, all
in the same run so the ratios are meaningful on a noisy shared machine.

Each contender runs ``--repeats`` epochs after one warm-up epoch; the median
is reported.

    python benchmarks/mlp_epoch_speed.py [--repeats 3] [--threads 2]
"""
from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np


def load_data():
    try:
        from structlearn.datasets import load_fashion_mnist
        X, y = load_fashion_mnist("train", download=False)
        return X.astype(np.float32), y, "Fashion-MNIST"
    except Exception:
        rng = np.random.default_rng(0)
        return (rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000),
                "random data")


def time_structlearn(X, y, repeats):
    import structlearn as sl
    from structlearn.optim import Adam

    net = sl.Network.mlp([784, 300, 100, 10], hidden="relu", output="softmax", rng=0,
                         dtype=np.float32)
    opt = Adam(lr=1e-3)
    times = []
    for i in range(repeats + 1):
        t = time.perf_counter()
        sl.train(net, X, y, optimizer=opt, epochs=1, batch_size=128, rng=i, progress=False)
        times.append(time.perf_counter() - t)
    return times[1:]


def time_sklearn(X, y, repeats):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(300, 100), activation="relu", solver="adam",
                        batch_size=128, max_iter=1, alpha=0.0, shuffle=True, random_state=0)
    times = []
    Xs = X.astype(np.float32)
    for i in range(repeats + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t = time.perf_counter()
            clf.partial_fit(Xs, y, classes=np.arange(10)) if i else clf.fit(Xs, y)
            times.append(time.perf_counter() - t)
    return times[1:]


def time_torch(X, y, repeats, threads):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 300), torch.nn.ReLU(),
                                torch.nn.Linear(300, 100), torch.nn.ReLU(),
                                torch.nn.Linear(100, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    times = []
    for i in range(repeats + 1):
        t = time.perf_counter()
        perm = torch.randperm(len(Xt))
        for lo in range(0, len(Xt), 128):
            idx = perm[lo:lo + 128]
            opt.zero_grad()
            loss = lossf(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t)
    return times[1:]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    args = parser.parse_args(argv)
    X, y, source = load_data()
    print(f"data: {source}, X {X.shape} {X.dtype}; 784-300-100-10 ReLU, Adam, batch 128, float32")
    results = {}
    contenders = [("structlearn", lambda: time_structlearn(X, y, args.repeats)),
                  ("scikit-learn", lambda: time_sklearn(X, y, args.repeats)),
                  ("pytorch", lambda: time_torch(X, y, args.repeats, args.threads))]
    for name, run in contenders:
        try:
            times = run()
        except ImportError as exc:
            print(f"{name:>13}: not installed ({exc.name})")
            continue
        results[name] = statistics.median(times)
        print(f"{name:>13}: {results[name]:.3f} s/epoch (median of {len(times)}: "
              f"{', '.join(f'{t:.3f}' for t in times)})")
    ours = results.get("structlearn")
    for peer in ("pytorch", "scikit-learn"):
        if ours and peer in results:
            print(f"ratio structlearn / {peer}: {ours / results[peer]:.2f}")
    return results


if __name__ == "__main__":
    main()
