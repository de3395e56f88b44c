"""Tests for structlearn.datasets and structlearn._validation. No test touches the internet: downloads go
to an HTTP server on 127.0.0.1 that serves small generated IDX files."""

import gzip
import hashlib
import http.server
import os
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from structlearn import datasets
from structlearn.validation import check_array, check_positive_int, check_rng

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the user's cache, environment overrides or proxies."""
    for var in ("STRUCTLEARN_DATA", "STRUCTLEARN_MNIST_DIR", "STRUCTLEARN_FASHION_MNIST_DIR"):
        monkeypatch.delenv(var, raising=False)
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


# ---------------------------------------------------------------------------------------------------------
# Boolean problems and two-spirals
# ---------------------------------------------------------------------------------------------------------


def test_xor():
    X, y = datasets.xor()
    assert X.dtype == np.float64 and X.shape == (4, 2)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, (X[:, 0] != X[:, 1]).astype(int))


@pytest.mark.parametrize("n_bits", [1, 2, 5])
def test_parity(n_bits):
    X, y = datasets.parity(n_bits)
    assert X.shape == (2**n_bits, n_bits) and X.dtype == np.float64 and y.dtype == np.int64
    assert len({tuple(row) for row in X}) == 2**n_bits  # every pattern once
    for row, label in zip(X, y, strict=True):
        assert label == int(row.sum()) % 2
    assert y.sum() == 2 ** (n_bits - 1)


def test_encoder():
    X, y = datasets.encoder(8, m=3)
    assert X.shape == y.shape == (8, 8)
    assert X.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(X, np.eye(8))
    np.testing.assert_array_equal(y, np.eye(8))
    with pytest.raises(ValueError, match="m"):
        datasets.encoder(8, m=0)
    with pytest.raises(ValueError, match="n"):
        datasets.encoder(1)


def test_symmetry():
    X, y = datasets.symmetry(6)
    assert X.shape == (64, 6) and y.dtype == np.int64
    for row, label in zip(X, y, strict=True):
        assert label == int(list(row) == list(row[::-1]))
    assert y.sum() == 2**3  # a palindrome of 6 bits is fixed by its first 3
    _, y5 = datasets.symmetry(5)
    assert y5.sum() == 2**3


@pytest.mark.parametrize("n_bits", [1, 2, 3])
def test_binary_addition(n_bits):
    X, y = datasets.binary_addition(n_bits)
    assert X.shape == (2 ** (2 * n_bits), 2 * n_bits)
    assert y.shape == (2 ** (2 * n_bits), n_bits + 1) and y.dtype == np.float64
    weights = 2 ** np.arange(n_bits - 1, -1, -1)
    out_weights = 2 ** np.arange(n_bits, -1, -1)
    a, b = X[:, :n_bits] @ weights, X[:, n_bits:] @ weights
    np.testing.assert_array_equal(y @ out_weights, a + b)
    assert set(np.unique(y)) <= {0.0, 1.0}


def test_two_spirals_cmu_definition():
    X, y = datasets.two_spirals()
    assert X.shape == (194, 2) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_allclose(X[0], [0.0, 6.5], atol=1e-12)
    np.testing.assert_array_equal(y[0::2], 1)
    np.testing.assert_array_equal(y[1::2], 0)
    np.testing.assert_array_equal(X[1::2], -X[0::2])  # reflection through the origin
    # The last point of spiral A: i = 96, angle 6 pi, radius 6.5 * 8 / 104 = 0.5.
    np.testing.assert_allclose(X[192], [0.0, 0.5], atol=1e-12)
    r = np.hypot(X[0::2, 0], X[0::2, 1])
    assert np.all(np.diff(r) < 0)


def test_two_spirals_density_and_test_points():
    X2, _ = datasets.two_spirals(density=2)
    assert X2.shape == (2 * (96 * 2 + 1), 2)

    X, y = datasets.two_spirals()
    Xt, yt = datasets.two_spirals(test=True)
    assert Xt.shape == X.shape
    np.testing.assert_array_equal(yt, y)
    assert np.min(np.linalg.norm(Xt[:, None, :] - X[None, :, :], axis=2)) > 0.05  # no point reused
    # Each half-step point of spiral A lies between training points i and i + 1, in radius and angle.
    r, rt = np.hypot(*X[0::2].T), np.hypot(*Xt[0::2].T)
    assert np.all(rt[:-1] < r[:-1]) and np.all(rt[:-1] > r[1:])
    angle = np.unwrap(np.arctan2(X[0::2, 0], X[0::2, 1]))
    angle_t = np.unwrap(np.arctan2(Xt[0::2, 0], Xt[0::2, 1]))
    np.testing.assert_allclose(angle_t[:-1], (angle[:-1] + angle[1:]) / 2, atol=1e-12)


def test_two_spirals_noise_is_seeded():
    A, _ = datasets.two_spirals(noise=0.1, rng=3)
    B, _ = datasets.two_spirals(noise=0.1, rng=3)
    C, _ = datasets.two_spirals(noise=0.1, rng=4)
    np.testing.assert_array_equal(A, B)
    assert not np.array_equal(A, C)
    clean, _ = datasets.two_spirals()
    assert 0.05 < np.std(A - clean) < 0.2


@pytest.mark.parametrize("density", [0, -1])
def test_two_spirals_bad_density(density):
    with pytest.raises(ValueError, match="density"):
        datasets.two_spirals(density=density)


def test_two_spirals_bad_density_type():
    with pytest.raises(TypeError, match="density"):
        datasets.two_spirals(density=1.5)
    with pytest.raises(ValueError, match="noise"):
        datasets.two_spirals(noise=-1.0)


@pytest.mark.parametrize("func", [datasets.parity, datasets.symmetry])
def test_bit_count_range(func):
    with pytest.raises(ValueError, match="n_bits"):
        func(0)
    with pytest.raises(ValueError, match="n_bits"):
        func(21)


# ---------------------------------------------------------------------------------------------------------
# Registry and split
# ---------------------------------------------------------------------------------------------------------


def test_load_registry():
    assert set(datasets.DATASETS) == {
        "xor", "parity", "encoder", "symmetry", "binary_addition", "two_spirals", "mnist", "fashion_mnist",
    }
    X, y = datasets.load("parity", n_bits=3)
    np.testing.assert_array_equal(y, datasets.parity(3)[1])
    assert datasets.load("Two-Spirals")[0].shape == (194, 2)


def test_load_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="unknown data set 'cifar'") as info:
        datasets.load("cifar")
    for name in datasets.DATASETS:
        assert name in str(info.value)


def test_train_test_split_is_deterministic_and_partitions():
    X = np.arange(100, dtype=float).reshape(50, 2)
    y = np.arange(50)
    a = datasets.train_test_split(X, y, test_size=0.2, rng=0)
    b = datasets.train_test_split(X, y, test_size=0.2, rng=0)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    X_train, X_test, y_train, y_test = a
    assert len(X_test) == 10 and len(X_train) == 40
    assert sorted(np.concatenate([y_train, y_test])) == list(range(50))
    np.testing.assert_array_equal(X_train[:, 0], 2 * y_train)  # rows stay with their targets


def test_train_test_split_stratified():
    y = np.array([0] * 30 + [1] * 60 + [2] * 10)
    X = np.arange(100, dtype=float)[:, None]
    _, _, y_train, y_test = datasets.train_test_split(X, y, test_size=0.2, rng=1, stratify=True)
    np.testing.assert_array_equal(np.bincount(y_test), [6, 12, 2])
    np.testing.assert_array_equal(np.bincount(y_train), [24, 48, 8])


def test_train_test_split_bad_inputs():
    X, y = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(ValueError, match="test_size"):
        datasets.train_test_split(X, y, test_size=1.5)
    with pytest.raises(ValueError, match="test_size"):
        datasets.train_test_split(X, y, test_size=10)
    with pytest.raises(ValueError, match="y"):
        datasets.train_test_split(X, np.zeros(9))
    with pytest.raises(ValueError, match="X"):
        datasets.train_test_split(np.full((10, 2), np.nan), y)


# ---------------------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------------------


def test_check_rng():
    assert isinstance(check_rng(None), np.random.Generator)
    g = np.random.default_rng(0)
    assert check_rng(g) is g
    assert check_rng(5).integers(1 << 30) == np.random.default_rng(5).integers(1 << 30)
    with pytest.raises(TypeError, match="rng"):
        check_rng(True)
    with pytest.raises(TypeError, match="rng"):
        check_rng(np.random.RandomState(0))
    with pytest.raises(ValueError, match="rng"):
        check_rng(-1)


def test_check_array():
    out = check_array([[1, 2], [3, 4]], "X")
    assert out.dtype == np.float64 and out.shape == (2, 2)
    with pytest.raises(ValueError, match="X.*2-D"):
        check_array([1, 2], "X")
    with pytest.raises(ValueError, match="W.*finite"):
        check_array([[np.inf]], "W")
    with pytest.raises(ValueError, match="X.*non-empty"):
        check_array(np.zeros((0, 3)), "X")
    assert check_array(np.zeros((0, 3)), "X", allow_empty=True).shape == (0, 3)
    with pytest.raises(TypeError, match="X.*numeric"):
        check_array([["a"]], "X")
    ints = np.arange(3)
    assert check_array(ints, "y", ndim=1, dtype=None) is ints


def test_check_positive_int():
    assert check_positive_int(np.int64(3), "k") == 3
    assert check_positive_int(0, "k", minimum=0) == 0
    with pytest.raises(ValueError, match="k"):
        check_positive_int(0, "k")
    with pytest.raises(ValueError, match="k"):
        check_positive_int(5, "k", maximum=4)
    with pytest.raises(TypeError, match="k"):
        check_positive_int(2.0, "k")
    with pytest.raises(TypeError, match="k"):
        check_positive_int(True, "k")


# ---------------------------------------------------------------------------------------------------------
# IDX files
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(tmp_path, compress, dtype):
    arr = (np.arange(60).reshape(3, 4, 5) - 20).astype(dtype)
    path = datasets.write_idx(tmp_path / "a.idx", arr, gzip=compress)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    out = datasets.read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)
    out[0, 0, 0] = 1  # writable


def test_idx_gzip_detected_by_content_not_name(tmp_path):
    arr = np.arange(10, dtype=np.uint8)
    plain = tmp_path / "plain.gz"
    packed = tmp_path / "packed-ubyte"
    datasets.write_idx(plain, arr)
    datasets.write_idx(packed, arr, gzip=True)
    np.testing.assert_array_equal(datasets.read_idx(plain), arr)
    np.testing.assert_array_equal(datasets.read_idx(packed), arr)


def test_idx_header_layout(tmp_path):
    path = datasets.write_idx(tmp_path / "l", np.array([7, 8], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 0x08, 1, 0, 0, 0, 2, 7, 8])


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda b: b[:-3], "truncated"),
        (lambda b: b + b"\x00\x00", "2 extra bytes"),
        (lambda b: b"\x01" + b[1:], "bad magic"),
        (lambda b: b[:2] + b"\x07" + b[3:], "type byte 0x07"),
        (lambda b: b[:6], "truncated IDX header"),
        (lambda b: b[:2], "too short"),
    ],
)
@pytest.mark.parametrize("compress", [False, True])
def test_idx_damaged_files_name_the_file(tmp_path, mutate, message, compress):
    good = datasets.write_idx(tmp_path / "good", np.zeros((2, 3, 3), dtype=np.uint8))
    bad = tmp_path / "damaged-images-idx3-ubyte"
    data = mutate(good.read_bytes())
    bad.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(ValueError, match=message) as info:
        datasets.read_idx(bad)
    assert str(bad) in str(info.value)


def test_idx_truncated_gzip_names_the_file(tmp_path):
    path = datasets.write_idx(tmp_path / "x.gz", np.arange(1000, dtype=np.int32), gzip=True)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match="gzip") as info:
        datasets.read_idx(path)
    assert str(path) in str(info.value)


def test_write_idx_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="array"):
        datasets.write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))


# ---------------------------------------------------------------------------------------------------------
# Directories of MNIST-format files
# ---------------------------------------------------------------------------------------------------------


def _make_split(rng, n):
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=n, dtype=np.uint8)


def _write_mnist_dir(directory, rng, n_train=20, n_test=7, compress=True, sep="-"):
    """Write the four standard files; return {kind: (images, labels)}."""
    directory.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if compress else ""
    data = {"train": _make_split(rng, n_train), "test": _make_split(rng, n_test)}
    for kind, prefix in (("train", "train"), ("test", "t10k")):
        images, labels = data[kind]
        datasets.write_idx(directory / f"{prefix}-images{sep}idx3-ubyte{ext}", images, gzip=compress)
        datasets.write_idx(directory / f"{prefix}-labels{sep}idx1-ubyte{ext}", labels, gzip=compress)
    return data


@pytest.mark.parametrize("compress, sep", [(True, "-"), (False, "-"), (False, "."), (True, ".")])
def test_load_idx_dir(tmp_path, compress, sep):
    data = _write_mnist_dir(tmp_path / "d", np.random.default_rng(0), compress=compress, sep=sep)
    for kind in ("train", "test"):
        X, y = datasets.load_idx_dir(tmp_path / "d", kind=kind)
        images, labels = data[kind]
        assert X.shape == (len(images), 784) and X.dtype == np.float32 and y.dtype == np.int64
        np.testing.assert_allclose(X, images.reshape(len(images), -1) / 255.0, rtol=1e-6)
        np.testing.assert_array_equal(y, labels)
    X, _ = datasets.load_idx_dir(tmp_path / "d", flatten=False, dtype=np.float64)
    assert X.shape == (20, 28, 28) and X.dtype == np.float64 and X.min() >= 0 and X.max() <= 1


def test_load_idx_dir_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directory"):
        datasets.load_idx_dir(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*train-labels-idx1-ubyte"):
        datasets.load_idx_dir(tmp_path / "empty")
    with pytest.raises(ValueError, match="kind"):
        datasets.load_idx_dir(tmp_path / "empty", kind="validation")


def test_load_idx_dir_count_mismatch(tmp_path):
    _write_mnist_dir(tmp_path, np.random.default_rng(0))
    datasets.write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(19, dtype=np.uint8), gzip=True)
    with pytest.raises(ValueError, match="20 images.*19 labels"):
        datasets.load_idx_dir(tmp_path)


@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_debian_fashion_mnist():
    X, y = datasets.load_idx_dir(DEBIAN_FASHION, kind="test")
    assert X.shape == (10000, 784) and X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y), [1000] * 10)  # the test set is balanced
    X, y = datasets.load_idx_dir(DEBIAN_FASHION, kind="train")
    assert X.shape == (60000, 784)
    np.testing.assert_array_equal(np.bincount(y), [6000] * 10)
    assert y[0] == 9  # the first training image is an ankle boot


@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_load_fashion_mnist_offline_from_system_dir(tmp_path):
    X, y = datasets.load_fashion_mnist("test", data_home=tmp_path, download=False)
    assert X.shape == (10000, 784) and y.shape == (10000,)
    assert os.listdir(tmp_path / "") == []  # nothing was cached or downloaded


def test_fashion_mnist_env_dir(tmp_path, monkeypatch):
    data = _write_mnist_dir(tmp_path / "mine", np.random.default_rng(1))
    monkeypatch.setenv("STRUCTLEARN_FASHION_MNIST_DIR", str(tmp_path / "mine"))
    _, y = datasets.load_fashion_mnist("test", data_home=tmp_path / "home", download=False)
    np.testing.assert_array_equal(y, data["test"][1])


def test_path_argument_is_used_as_is(tmp_path):
    data = _write_mnist_dir(tmp_path / "mine", np.random.default_rng(2))
    _, y = datasets.load_mnist("train", path=tmp_path / "mine", data_home=tmp_path / "home")
    np.testing.assert_array_equal(y, data["train"][1])
    with pytest.raises(FileNotFoundError, match="not a directory"):
        datasets.load_mnist(path=tmp_path / "missing", data_home=tmp_path / "home")


def test_missing_files_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True"):
        datasets.load_mnist(data_home=tmp_path, download=False)


def test_get_data_home(tmp_path, monkeypatch):
    assert datasets.get_data_home(tmp_path / "a") == tmp_path / "a"
    assert (tmp_path / "a").is_dir()
    monkeypatch.setenv("STRUCTLEARN_DATA", str(tmp_path / "b"))
    assert datasets.get_data_home() == tmp_path / "b"
    monkeypatch.delenv("STRUCTLEARN_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.get_data_home() == tmp_path / "xdg" / "structlearn"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # invalid per the XDG spec: ignored
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.get_data_home() == tmp_path / "home" / ".cache" / "structlearn"


# ---------------------------------------------------------------------------------------------------------
# Downloads from a loopback server
# ---------------------------------------------------------------------------------------------------------


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 serving ``root``, recording every requested path."""

    def __init__(self, root):
        requests = self.requests = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(root), **kwargs)

            def do_GET(self):
                requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def mirror(tmp_path):
    """A server with a good copy of the files under good/, a corrupted one under bad/ and junk/ holding
    non-IDX files; plus the good copy's arrays and checksums."""
    root = tmp_path / "www"
    data = _write_mnist_dir(root / "good", np.random.default_rng(42))
    checksums = {
        name: hashlib.sha256((root / "good" / name).read_bytes()).hexdigest()
        for name in os.listdir(root / "good")
    }
    (root / "bad").mkdir()
    for name in os.listdir(root / "good"):
        raw = bytearray((root / "good" / name).read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        (root / "bad" / name).write_bytes(bytes(raw))
    (root / "junk").mkdir()
    for name in os.listdir(root / "good"):
        (root / "junk" / name).write_bytes(b"<html>not found</html>")
    server = _Server(root)
    server.data, server.checksums = data, checksums
    yield server
    server.close()


def _dead_url():
    """A loopback URL on a port that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_download_lands_in_cache_then_cache_is_used(tmp_path, mirror):
    home = tmp_path / "home"
    kwargs = dict(data_home=home, mirrors=[mirror.url + "good/"], checksums=mirror.checksums, retries=0)
    X, y = datasets.load_mnist("train", **kwargs)
    images, labels = mirror.data["train"]
    np.testing.assert_allclose(X, images.reshape(20, -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    assert sorted(os.listdir(home / "mnist")) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert len(mirror.requests) == 2
    for name in os.listdir(home / "mnist"):  # public data: readable by all, like any cache file
        assert os.stat(home / "mnist" / name).st_mode & 0o777 == 0o644

    X2, y2 = datasets.load_mnist("train", **kwargs)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    assert len(mirror.requests) == 2  # served from the cache

    _, y_test = datasets.load_mnist("test", **kwargs)
    np.testing.assert_array_equal(y_test, mirror.data["test"][1])
    assert len(mirror.requests) == 4
    assert len(os.listdir(home / "mnist")) == 4


def test_fashion_mnist_download(tmp_path, mirror, monkeypatch):
    monkeypatch.setattr(datasets, "FASHION_MNIST_SYSTEM_DIRS", ())
    X, _ = datasets.load_fashion_mnist(
        "test", data_home=tmp_path, mirrors=mirror.url + "good", checksums=mirror.checksums, retries=0
    )
    assert X.shape == (7, 784)
    assert sorted(os.listdir(tmp_path / "fashion-mnist")) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    ]


def test_checksum_mismatch_leaves_nothing(tmp_path, mirror):
    with pytest.raises(datasets.DownloadError, match="SHA-256 mismatch") as info:
        datasets.load_mnist(data_home=tmp_path, mirrors=[mirror.url + "bad/"], checksums=mirror.checksums,
                            retries=2)
    assert "train-images-idx3-ubyte.gz" in str(info.value)
    assert os.listdir(tmp_path / "mnist") == []  # no temporary file, no final file
    assert len(mirror.requests) == 1  # a wrong checksum is not retried on the same mirror


def test_invalid_idx_with_matching_checksum_leaves_nothing(tmp_path, mirror):
    junk = hashlib.sha256(b"<html>not found</html>").hexdigest()
    checksums = dict.fromkeys(mirror.checksums, junk)
    with pytest.raises(datasets.DownloadError, match="not a valid IDX file"):
        datasets.load_mnist(
            data_home=tmp_path, mirrors=[mirror.url + "junk/"], checksums=checksums, retries=0
        )
    assert os.listdir(tmp_path / "mnist") == []


def test_bad_mirror_falls_through_to_next(tmp_path, mirror):
    mirrors = [_dead_url(), mirror.url + "missing/", mirror.url + "bad/", mirror.url + "good/"]
    _, y = datasets.load_mnist(data_home=tmp_path, mirrors=mirrors, checksums=mirror.checksums, retries=0)
    np.testing.assert_array_equal(y, mirror.data["train"][1])
    assert sorted(os.listdir(tmp_path / "mnist")) == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
    ]


def test_all_mirrors_dead_lists_them(tmp_path, mirror):
    mirrors = [_dead_url(), mirror.url + "missing/"]
    with pytest.raises(datasets.DownloadError) as info:
        datasets.load_mnist(data_home=tmp_path, mirrors=mirrors, checksums=mirror.checksums, retries=1)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert mirrors[0] in message and "HTTP 404" in message
    # The refused connection was retried once; the 404 was not.
    assert message.count(mirrors[0]) == 2 and message.count(mirrors[1]) == 1
    assert os.listdir(tmp_path / "mnist") == []


def test_download_needs_a_checksum(tmp_path, mirror):
    with pytest.raises(ValueError, match="checksums.*train-images"):
        datasets.load_mnist(data_home=tmp_path, mirrors=[mirror.url + "good/"], checksums={})
    assert mirror.requests == []


def test_default_checksum_tables_are_complete():
    names = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
    for table in (datasets.MNIST_SHA256, datasets.FASHION_MNIST_SHA256):
        assert set(table) == names
        assert all(len(h) == 64 and int(h, 16) >= 0 for h in table.values())
