"""Benchmark data sets for structure learning: the classic small problems, two-spirals, MNIST.

Every loader returns ``(X, y)``. ``X`` is float64 of shape (n_samples, n_features) unless a ``dtype``
argument says otherwise; class labels are 1-D int64 arrays; multi-output Boolean targets are 2-D float64
arrays of 0s and 1s. Where the data set comes from and its licence: ``datasets/README.md``.

MNIST and Fashion-MNIST are read from the standard IDX files. Downloads are cached in the data home
(:func:`get_data_home`); each file streams into a temporary file in the cache folder
(:func:`structlearn.files.atomic_write`), is checked against a SHA-256 table and its IDX header, and only
then is moved into place with :func:`os.replace`, so the cache never holds a partial or unverified file.
"""

import gzip as _gzip
import hashlib
import http.client
import math
import numbers
import os
import re
import ssl
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .files import atomic_write, open_regular
from .validation import (Interval, InstanceOf, check_array, check_each, check_positive_int,
                         check_rng, validate_params)

__all__ = [
    "DATASETS",
    "DownloadError",
    "FASHION_MNIST_MIRRORS",
    "FASHION_MNIST_SHA256",
    "FASHION_MNIST_SYSTEM_DIRS",
    "MNIST_MIRRORS",
    "MNIST_SHA256",
    "binary_addition",
    "encoder",
    "get_data_home",
    "load",
    "load_fashion_mnist",
    "load_idx_dir",
    "load_mnist",
    "parity",
    "read_idx",
    "symmetry",
    "train_test_split",
    "two_spirals",
    "write_idx",
    "xor",
]

DATASETS = (
    "xor",
    "parity",
    "encoder",
    "symmetry",
    "binary_addition",
    "two_spirals",
    "mnist",
    "fashion_mnist",
)

# ---------------------------------------------------------------------------------------------------------
# Small Boolean problems
# ---------------------------------------------------------------------------------------------------------

# 2**20 patterns (about 8 MB per float64 column) is already far beyond what these benchmarks use.
_MAX_BITS = 20
# Sizes checked before allocating: an n-n encoder is two n x n matrices (8 MB each at 1024);
# two-spirals has 2 * (96 * density + 1) points.
_MAX_ENCODER = 1024
_MAX_DENSITY = 10_000


def _bit_patterns(n_bits):
    """All ``2**n_bits`` patterns as an int64 array, row k being k in binary, most significant bit first."""
    codes = np.arange(2**n_bits, dtype=np.int64)
    shifts = np.arange(n_bits - 1, -1, -1, dtype=np.int64)
    return (codes[:, None] >> shifts) & 1


def xor():
    """The exclusive-or problem: the smallest task a single-layer perceptron cannot learn.

    Minsky & Papert (1969), *Perceptrons*; learned with one hidden layer by Rumelhart, Hinton & Williams
    (1986), "Learning internal representations by error propagation", in *Parallel Distributed
    Processing* vol. 1, ch. 8.

    Returns
    -------
    X : ndarray of shape (4, 2), float64
        The four patterns (0, 0), (0, 1), (1, 0), (1, 1).
    y : ndarray of shape (4,), int64
        ``x0 XOR x1``: 0, 1, 1, 0.
    """
    X = _bit_patterns(2)
    return X.astype(np.float64), X[:, 0] ^ X[:, 1]


def parity(n_bits):
    """The n-bit parity problem: label 1 when the pattern has an odd number of ones.

    Every pattern's nearest neighbours (one bit flipped) have the other label, which makes parity the
    classic hard case for generalisation. Rumelhart, Hinton & Williams (1986) solve it with n hidden units
    in one layer; Ash (1989), "Dynamic node creation in backpropagation networks", *Connection Science*
    1(4), uses it to test unit growth.

    Parameters
    ----------
    n_bits : int
        Number of input bits, 1 to 20.

    Returns
    -------
    X : ndarray of shape (2**n_bits, n_bits), float64
        Every bit pattern, in binary counting order.
    y : ndarray of shape (2**n_bits,), int64
        1 for an odd number of ones, else 0.
    """
    n_bits = check_positive_int(n_bits, "n_bits", minimum=1, maximum=_MAX_BITS)
    X = _bit_patterns(n_bits)
    return X.astype(np.float64), X.sum(axis=1) % 2


def encoder(n, m=None):
    """The n-m-n encoder problem: reproduce a one-hot input through a narrow hidden layer.

    Ackley, Hinton & Sejnowski (1985), "A learning algorithm for Boltzmann machines", *Cognitive Science*
    9; the 8-3-8 encoder of Rumelhart, Hinton & Williams (1986). The network must find a code for the n
    patterns in its ``m`` hidden units; with binary hidden codes the known minimum is
    ``m = ceil(log2(n))``.

    Parameters
    ----------
    n : int
        Number of patterns, inputs and outputs, 2 to 1024.
    m : int or None, default None
        Width of the hidden bottleneck. It does not change the data: it is accepted (and validated) so that
        a benchmark description such as ``load("encoder", n=8, m=3)`` can carry it; the network's
        hidden size is the caller's business.

    Returns
    -------
    X : ndarray of shape (n, n), float64
        The identity matrix: pattern k is the k-th one-hot vector.
    y : ndarray of shape (n, n), float64
        The same identity matrix, as 0/1 multi-output targets.
    """
    n = check_positive_int(n, "n", minimum=2, maximum=_MAX_ENCODER)
    if m is not None:
        check_positive_int(m, "m", minimum=1)
    return np.eye(n), np.eye(n)


def symmetry(n_bits):
    """The symmetry problem: label 1 when the bit pattern is a palindrome.

    Rumelhart, Hinton & Williams (1986) solve the 6-bit case with two hidden units, whose weights mirror
    each other with opposite signs; Ash (1989) uses it as a dynamic-node-creation benchmark.

    Parameters
    ----------
    n_bits : int
        Number of input bits, 1 to 20.

    Returns
    -------
    X : ndarray of shape (2**n_bits, n_bits), float64
        Every bit pattern, in binary counting order.
    y : ndarray of shape (2**n_bits,), int64
        1 if the pattern reads the same backwards, else 0.
    """
    n_bits = check_positive_int(n_bits, "n_bits", minimum=1, maximum=_MAX_BITS)
    X = _bit_patterns(n_bits)
    return X.astype(np.float64), np.all(X == X[:, ::-1], axis=1).astype(np.int64)


def binary_addition(n_bits):
    """The binary addition problem: add two n-bit numbers.

    Rumelhart, Hinton & Williams (1986) (the two-bit adder, 4 inputs and 3 outputs); Ash (1989).

    Parameters
    ----------
    n_bits : int
        Bits per operand, 1 to 10 (so at most 2**20 patterns).

    Returns
    -------
    X : ndarray of shape (2**(2*n_bits), 2*n_bits), float64
        Operand ``a`` in the first ``n_bits`` columns and ``b`` in the last, most significant bit first;
        every combination, with ``a`` varying slowest.
    y : ndarray of shape (2**(2*n_bits), n_bits + 1), float64
        The bits of ``a + b``, most significant (the carry) first, as 0/1 multi-output targets.
    """
    n_bits = check_positive_int(n_bits, "n_bits", minimum=1, maximum=_MAX_BITS // 2)
    X = _bit_patterns(2 * n_bits)
    codes = np.arange(2 ** (2 * n_bits), dtype=np.int64)
    total = (codes >> n_bits) + (codes & (2**n_bits - 1))
    shifts = np.arange(n_bits, -1, -1, dtype=np.int64)
    y = (total[:, None] >> shifts) & 1
    return X.astype(np.float64), y.astype(np.float64)


def two_spirals(density=1, test=False, noise=0.0, rng=None):
    """The two-spirals benchmark from the CMU benchmark collection.

    Lang & Witbrock (1988), "Learning to tell two spirals apart", *Proc. 1988 Connectionist Models Summer
    School*; the generator as used by Fahlman & Lebiere (1990), "The cascade-correlation learning
    architecture", CMU-CS-90-100. For ``i = 0 .. 96*density``::

        angle  = i * pi / (16 * density)
        radius = 6.5 * (104 * density - i) / (104 * density)

    class 1 sits at ``(radius * sin(angle), radius * cos(angle))`` and class 0 at the point reflected
    through the origin. Rows alternate as in the CMU data file: a class-1 point, then its reflection.

    Parameters
    ----------
    density : int, default 1
        Points per spiral are ``96 * density + 1`` (density 1 to 10,000); density 1 gives the standard
        194 points, larger values give the harder, denser variants.
    test : bool, default False
        If True, return the points at the half-step positions ``i + 0.5`` (same count), which lie between
        consecutive training points of the same spiral. The original benchmark scores learning of the
        training set itself; the half-step set is a common check of how smooth the learned boundary is.
    noise : float, default 0.0
        Standard deviation of Gaussian noise added to every coordinate.
    rng : int, numpy.random.Generator or None
        Source of the noise.

    Returns
    -------
    X : ndarray of shape (2 * (96 * density + 1), 2), float64
        The (x, y) coordinates.
    y : ndarray of shape (2 * (96 * density + 1),), int64
        1 for the first spiral, 0 for its reflection.
    """
    density = check_positive_int(density, "density", minimum=1, maximum=_MAX_DENSITY)
    if not isinstance(test, (bool, np.bool_)):
        raise TypeError(f"test: expected a bool, got {type(test).__name__}")
    if not isinstance(noise, numbers.Real) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise: expected a finite number >= 0, got {noise!r}")
    rng = check_rng(rng)

    i = np.arange(96 * density + 1, dtype=np.float64) + (0.5 if test else 0.0)
    angle = i * np.pi / (16 * density)
    radius = 6.5 * (104 * density - i) / (104 * density)
    spiral = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])

    X = np.empty((2 * len(i), 2))
    X[0::2] = spiral
    X[1::2] = -spiral
    y = np.zeros(2 * len(i), dtype=np.int64)
    y[0::2] = 1
    if noise > 0:
        X += rng.normal(0.0, noise, size=X.shape)
    return X, y


# ---------------------------------------------------------------------------------------------------------
# IDX files (the MNIST format, http://yann.lecun.com/exdb/mnist/)
# ---------------------------------------------------------------------------------------------------------

# IDX type byte -> big-endian element type, as listed on the MNIST page.
_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES = {dtype.newbyteorder("="): code for code, dtype in _IDX_TYPES.items()}


#: deflate's largest compression ratio (about 1032:1): a gzip file of n bytes cannot honestly
#: inflate to more than this many times n
_MAX_DEFLATE_RATIO = 1032
#: bytes read or inflated per step
_CHUNK = 1 << 20



class _IdxStream:
    """Check (and optionally keep) an IDX file fed in pieces, gzip-compressed or not.

    The header is checked as soon as it has arrived: its promise (the product of the dimensions
    times the element size) must fit ``max_bytes`` *before* anything is allocated; then the
    payload goes straight into an array of that size, and a byte beyond the promise is an
    error at once. A gzip stream is inflated at most :data:`_CHUNK` bytes at a time, so a small
    file that inflates to gigabytes is refused after the first megabyte past the promise,
    never inflated whole. ``keep=False`` only checks (a download being verified).
    """

    def __init__(self, name, max_bytes, keep=True, exact_size=None):
        self.name, self.max_bytes, self.keep = name, max_bytes, keep
        self.exact_size = exact_size  # an uncompressed file's size, known before reading
        self.gzip = None  # decided by the first two bytes
        self.inflater = None
        self.head = b""
        self.header = None  # (dtype, shape, payload bytes, header bytes)
        self.buffer = None
        self.filled = 0

    def error(self, why):
        return ValueError(f"{self.name}: {why}")

    # ------------------------------------------------------------- input
    def feed(self, data):
        if not data:
            return
        if self.gzip is None:
            self.head += data
            if len(self.head) < 2:
                return
            data, self.head = self.head, b""
            self.gzip = data[:2] == b"\x1f\x8b"
            if self.gzip:
                self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        if not self.gzip:
            self._payload(data)
            return
        pending, capped = data, False
        while pending or capped:
            if self.inflater.eof:
                # a gzip file may hold several members (concatenated), and zero padding
                pending = pending.lstrip(b"\0")
                if not pending:
                    return
                self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                out = self.inflater.decompress(pending, _CHUNK)
            except zlib.error as exc:
                raise self.error(f"damaged gzip data ({exc})") from None
            # capped: the inflater may hold more output for the same input (a long match)
            capped = len(out) == _CHUNK
            pending = self.inflater.unused_data if self.inflater.eof else \
                self.inflater.unconsumed_tail
            self._payload(out)

    def _payload(self, data):
        """Decompressed bytes: the header first, then the payload into the array."""
        if self.header is None:
            self.head += data
            data = self._parse_header()
            if self.header is None:
                return
        if not data:
            return
        nbytes = self.header[2]
        if self.filled + len(data) > nbytes:
            extra = self.filled + len(data) - nbytes
            raise self.error(f"at least {extra} extra bytes after the {nbytes} data bytes of "
                             f"shape {self.header[1]} (more than its header promises)")
        if self.buffer is not None:
            self.buffer[self.filled:self.filled + len(data)] = np.frombuffer(data, np.uint8)
        self.filled += len(data)

    def _parse_header(self):
        raw = self.head
        if len(raw) < 4:
            return b""
        if raw[0] != 0 or raw[1] != 0:
            raise self.error(f"bad magic number 0x{raw[:4].hex()}: an IDX file starts with two "
                             "zero bytes")
        code, ndim = raw[2], raw[3]
        if code not in _IDX_TYPES:
            known = ", ".join(f"0x{c:02X}" for c in _IDX_TYPES)
            raise self.error(f"unknown IDX type byte 0x{code:02X} (expected one of {known})")
        if ndim == 0:
            raise self.error("IDX header declares 0 dimensions")
        size = 4 + 4 * ndim
        if len(raw) < size:
            return b""
        shape = struct.unpack(f">{ndim}I", raw[4:size])
        dtype = _IDX_TYPES[code]
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > self.max_bytes:
            raise self.error(f"the header promises shape {shape} of {dtype.newbyteorder('=')}, "
                             f"{nbytes} bytes, more than this file can hold ({self.max_bytes})")
        if self.exact_size is not None and self.exact_size != size + nbytes:
            actual = self.exact_size - size
            if actual < nbytes:
                raise self.error(f"truncated: shape {shape} of {dtype.newbyteorder('=')} needs "
                                 f"{nbytes} data bytes, the file has {actual}")
            raise self.error(f"{actual - nbytes} extra bytes after the {nbytes} data bytes of "
                             f"shape {shape}")
        self.header = (dtype, shape, nbytes, size)
        self.head = b""
        if self.keep:
            self.buffer = np.empty(nbytes, np.uint8)  # untouched pages cost no memory
        return raw[size:]

    # ------------------------------------------------------------ result
    def finish(self):
        """The array (``keep=True``) or None, once the whole input has been fed."""
        if self.gzip and not self.inflater.eof:
            raise self.error("damaged gzip data (the compressed stream is truncated)")
        if self.header is None:
            got = len(self.head)
            if got < 4:
                raise self.error(f"{got} bytes, too short for an IDX header (4 bytes at least)")
            raise self.error(f"truncated IDX header ({got} bytes, {self.head[3]} dimensions "
                             f"need {4 + 4 * self.head[3]})")
        dtype, shape, nbytes, _ = self.header
        if self.filled < nbytes:
            raise self.error(f"truncated: shape {shape} of {dtype.newbyteorder('=')} needs "
                             f"{nbytes} data bytes, the file has {self.filled}")
        if not self.keep:
            return None
        data = self.buffer.view(dtype)
        native = dtype.newbyteorder("=")
        if data.dtype != native:  # swapped in place: no second copy of a large file
            data.byteswap(inplace=True)
            data = data.view(native)
        return data.reshape(shape)


def read_idx(path):
    """Read one IDX file, gzip-compressed or not.

    Compression is detected from the gzip magic bytes ``1f 8b``, not from the file name. The header is
    two zero bytes, a type byte (0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double),
    the number of dimensions, then each dimension as a big-endian 32-bit integer; the payload must be
    exactly the product of the dimensions times the element size.

    Reading is bounded: only a regular file is read; the header's promise is checked against
    what the file can hold (its size, or 1032 times its size for gzip, deflate's largest ratio)
    before anything is allocated; a gzip stream is inflated piece by piece and refused as
    soon as it goes past that promise.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    ndarray
        The data in native byte order, with the shape given by the header.

    Raises
    ------
    ValueError
        Naming the file, if it is not a regular file, not valid gzip, has a bad magic number or
        type byte, promises more than it can hold, is truncated, or has bytes beyond the
        declared payload.
    """
    path = os.fspath(path)
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        first = f.read(2)
        packed = first == b"\x1f\x8b"
        stream = _IdxStream(path, size * _MAX_DEFLATE_RATIO if packed else size,
                            exact_size=None if packed else size)
        stream.feed(first)
        while chunk := f.read(_CHUNK):
            stream.feed(chunk)
        return stream.finish()


def write_idx(path, array, gzip=False):
    """Write an array as an IDX file (the inverse of :func:`read_idx`).

    Parameters
    ----------
    path : str or os.PathLike
        Destination; overwritten if it exists.
    array : array_like
        Data of dtype uint8, int8, int16, int32, float32 or float64, with 1 to 255 dimensions.
    gzip : bool, default False
        Compress with gzip. The gzip timestamp is fixed at 0, so equal arrays give equal bytes (and equal
        checksums).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    arr = np.asarray(array)
    code = _IDX_CODES.get(arr.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(
            f"array: IDX stores uint8, int8, int16, int32, float32 or float64, got dtype {arr.dtype}"
        )
    if not 1 <= arr.ndim <= 255:
        raise ValueError(f"array: IDX needs 1 to 255 dimensions, got {arr.ndim}")
    if max(arr.shape) >= 2**32:
        raise ValueError(f"array: IDX dimensions must be below 2**32, got shape {arr.shape}")
    data = (
        bytes([0, 0, code, arr.ndim])
        + struct.pack(f">{arr.ndim}I", *arr.shape)
        + arr.astype(_IDX_TYPES[code], copy=False).tobytes()
    )
    if gzip:
        data = _gzip.compress(data, mtime=0)
    path = Path(path)
    atomic_write(path, data)
    return path


# The standard MNIST file names. Some distributions (Kaggle's, for one) write "train-images.idx3-ubyte";
# the Debian package dataset-fashion-mnist ships the ".gz" names.
_IDX_STEMS = {
    "train": (("train-images", "idx3-ubyte"), ("train-labels", "idx1-ubyte")),
    "test": (("t10k-images", "idx3-ubyte"), ("t10k-labels", "idx1-ubyte")),
}


def _check_pixel_dtype(dtype):
    """``dtype`` as a numpy floating dtype (pixels are scaled to [0, 1])."""
    try:
        checked = None if dtype is None else np.dtype(dtype)
    except TypeError:
        checked = None
    if checked is None or checked.kind != "f":
        shown = f"{type(dtype).__name__} {dtype!r}" if checked is None else str(checked)
        raise TypeError(f"dtype: expected a floating dtype for pixels scaled to [0, 1] "
                        f"(numpy.float32, numpy.float64), got {shown}")
    return checked


def _check_kind(kind):
    if kind not in _IDX_STEMS:
        raise ValueError(f"kind: expected 'train' or 'test', got {kind!r}")
    return kind


def _file_names(kind):
    """The canonical (download) name of the images and the labels file for ``kind``."""
    return [f"{prefix}-{idx}.gz" for prefix, idx in _IDX_STEMS[kind]]


def _find_idx_files(directory, kind):
    """For ``kind``'s images and labels, the first existing name variant in ``directory`` (or None)."""
    found = []
    for prefix, idx in _IDX_STEMS[kind]:
        # Uncompressed first: it loads faster when both are present.
        variants = [f"{prefix}{sep}{idx}{ext}" for ext in ("", ".gz") for sep in ("-", ".")]
        found.append(next((directory / v for v in variants if (directory / v).is_file()), None))
    return found


def load_idx_dir(path, kind="train", flatten=True, dtype=np.float32):
    """Load MNIST-format images and labels from a directory.

    The directory must hold ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (for
    ``kind='train'``) or ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (for ``kind='test'``),
    each possibly gzipped with a ``.gz`` suffix, and with ``.idx3-ubyte`` accepted for ``-idx3-ubyte``.
    This covers MNIST, Fashion-MNIST and the other drop-in replacements (KMNIST, EMNIST's IDX files).

    Parameters
    ----------
    path : str or os.PathLike
        The directory.
    kind : {'train', 'test'}, default 'train'
        Which split to load.
    flatten : bool, default True
        Return images as rows of ``rows * cols`` pixels; if False keep them as (n, rows, cols).
    dtype : floating dtype, default numpy.float32
        dtype of the pixels, which are scaled from 0..255 to [0, 1]. float32 halves the memory of MNIST
        (188 MB instead of 376 MB for the training set).

    Returns
    -------
    X : ndarray of shape (n, rows * cols) or (n, rows, cols)
        The images.
    y : ndarray of shape (n,), int64
        The labels.

    Raises
    ------
    FileNotFoundError
        If the directory or one of the files is missing; the message lists the expected names.
    ValueError
        If a file is damaged, or image and label counts differ.
    """
    kind = _check_kind(kind)
    dtype = _check_pixel_dtype(dtype)
    validate_params(dict(flatten=flatten), dict(flatten=["boolean"]))
    directory = Path(path).expanduser()
    expected = " and ".join(f"{p}-{i}[.gz]" for p, i in _IDX_STEMS[kind])
    if not directory.is_dir():
        raise FileNotFoundError(f"path: {directory} is not a directory (expected one holding {expected})")
    images_path, labels_path = _find_idx_files(directory, kind)
    if images_path is None or labels_path is None:
        raise FileNotFoundError(
            f"path: {directory} lacks the {kind} files: expected {expected} "
            f"('.idx3-ubyte' is accepted for '-idx3-ubyte'); found {sorted(os.listdir(directory))}"
        )

    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{images_path}: expected uint8 images (n, rows, cols), got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{labels_path}: expected uint8 labels (n,), got {labels.dtype} {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(
            f"{directory}: {len(images)} images in {images_path.name} but {len(labels)} labels in "
            f"{labels_path.name}"
        )
    X = images.reshape(len(images), -1) if flatten else images
    X = X.astype(dtype)
    X /= dtype.type(255)
    return X, labels.astype(np.int64)


# ---------------------------------------------------------------------------------------------------------
# Data home and downloads
# ---------------------------------------------------------------------------------------------------------


def get_data_home(data_home=None):
    """The folder where downloaded data sets are cached, created if needed.

    Parameters
    ----------
    data_home : str, os.PathLike or None
        Used as is when given. Otherwise the environment variable ``STRUCTLEARN_DATA``, else
        ``$XDG_CACHE_HOME/structlearn``, else ``~/.cache/structlearn``.

    Returns
    -------
    pathlib.Path
    """
    if data_home is None:
        data_home = os.environ.get("STRUCTLEARN_DATA") or None
    if data_home is None:
        cache = os.environ.get("XDG_CACHE_HOME", "")
        # The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
        if not os.path.isabs(cache):
            cache = os.path.join("~", ".cache")
        data_home = os.path.join(cache, "structlearn")
    path = Path(data_home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


class DownloadError(OSError):
    """No mirror delivered a verified copy of a file; the message lists every URL tried and why."""


MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

FASHION_MNIST_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
)

# SHA-256 of the original .gz files, from tensorflow_datasets/url_checksums/{mnist,fashion_mnist}.txt
# (TensorFlow Datasets), which also gives their sizes: MNIST 9912422, 28881, 1648877, 4542 bytes;
# Fashion-MNIST 26421880, 29515, 4422102, 5148 bytes.
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}

# Where the Debian package dataset-fashion-mnist installs the four .gz files. (They appear recompressed,
# without the file name in the gzip header, so their SHA-256 differs from the table above; they are
# trusted as installed by the system, and read_idx still checks every header and size.)
FASHION_MNIST_SYSTEM_DIRS = ("/usr/share/datasets/fashion-mnist",)

_USER_AGENT = "structlearn (https://pypi.org/project/structlearn/)"
#: most extra attempts per mirror
_MAX_RETRIES = 100


#: the size of every file of the two tables above, by SHA-256: a download of one of them is cut
#: off past this size, and its deadline is computed from it
_KNOWN_SIZES = {
    MNIST_SHA256["train-images-idx3-ubyte.gz"]: 9912422,
    MNIST_SHA256["train-labels-idx1-ubyte.gz"]: 28881,
    MNIST_SHA256["t10k-images-idx3-ubyte.gz"]: 1648877,
    MNIST_SHA256["t10k-labels-idx1-ubyte.gz"]: 4542,
    FASHION_MNIST_SHA256["train-images-idx3-ubyte.gz"]: 26421880,
    FASHION_MNIST_SHA256["train-labels-idx1-ubyte.gz"]: 29515,
    FASHION_MNIST_SHA256["t10k-images-idx3-ubyte.gz"]: 4422102,
    FASHION_MNIST_SHA256["t10k-labels-idx1-ubyte.gz"]: 5148,
}
#: the size cap of a file whose size is not known (a checksum the caller gave)
_MAX_DOWNLOAD_BYTES = 256 << 20
#: the slowest average transfer rate accepted (bytes per second): one attempt's deadline is
#: ``timeout + expected size / _MIN_RATE``
_MIN_RATE = 20_000
#: the longest ``timeout`` accepted (seconds)
_MAX_TIMEOUT = 86400.0


def _fetch_verified(url, destination, sha256, timeout):
    """Download ``url`` into ``destination`` (:func:`~structlearn.files.atomic_write`), verified
    (SHA-256 and IDX header) before it takes the destination's name.

    Bounded: never more than the expected size is read (known files: their size; others:
    :data:`_MAX_DOWNLOAD_BYTES`), and the whole attempt has a deadline of ``timeout`` plus the
    time to receive that size at :data:`_MIN_RATE`; each read waits at most ``timeout``.
    """
    cap = _KNOWN_SIZES.get(sha256, _MAX_DOWNLOAD_BYTES)
    budget = timeout + cap / _MIN_RATE

    def fetch(out):
        deadline = time.monotonic() + budget
        digest, received, invalid = hashlib.sha256(), 0, None
        check = _IdxStream(url, cap * _MAX_DEFLATE_RATIO, keep=False)
        # A fresh opener per download, so proxy settings from the environment are read now.
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        opener = urllib.request.build_opener()
        with opener.open(request, timeout=timeout) as resp:
            announced = (resp.headers.get("Content-Length") or "").strip()
            if announced.isdigit() and int(announced) > cap:
                raise ValueError(f"refused: the server announces {int(announced)} bytes, more "
                                 f"than the expected {cap}")
            while True:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the download passed its deadline of {budget:.0f} s "
                                       f"({received} bytes received; slower than "
                                       f"{_MIN_RATE} bytes/s on average)")
                # read1 returns what one receive gives: the deadline is checked between reads
                chunk = resp.read1(1 << 16) if hasattr(resp, "read1") else resp.read(1 << 16)
                if not chunk:
                    break
                received += len(chunk)
                if received > cap:
                    raise ValueError(f"refused: more than the expected {cap} bytes")
                digest.update(chunk)
                out.write(chunk)
                if invalid is None:  # reported after the checksum, the decisive check
                    try:
                        check.feed(chunk)
                    except ValueError as exc:
                        invalid = exc
        # raising here, inside the writer, removes the temporary file: nothing reaches the cache
        if digest.hexdigest() != sha256:
            raise ValueError(f"SHA-256 mismatch: expected {sha256}, got {digest.hexdigest()}")
        try:
            if invalid is not None:
                raise invalid
            check.finish()
        except ValueError as exc:
            raise ValueError(f"not a valid IDX file ({exc})") from None

    atomic_write(destination, writer=fetch)


# Failures of the transfer itself, worth a retry or another mirror. Other OSErrors (a full disk, a cache
# folder we may not write to) are ours, not the mirror's, and propagate.
_NETWORK_ERRORS = (
    urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, ssl.SSLError,
)


def _download(filename, directory, mirrors, sha256, retries, timeout):
    """Fetch ``filename`` from the first mirror that delivers a verified copy."""
    failures = []
    for mirror in mirrors:
        url = urllib.parse.urljoin(mirror if mirror.endswith("/") else mirror + "/", filename)
        for attempt in range(retries + 1):
            try:
                _fetch_verified(url, directory / filename, sha256, timeout)
                return
            except urllib.error.HTTPError as exc:
                failures.append(f"{url}: HTTP {exc.code} {exc.reason}")
                if exc.code < 500:  # a 404 or 403 will not go away by asking again
                    break
            except ValueError as exc:  # wrong content: this mirror's copy is bad, try the next one
                failures.append(f"{url}: {exc}")
                break
            except _NETWORK_ERRORS as exc:  # refused, reset, timed out, cut short
                failures.append(f"{url}: {type(exc).__name__}: {exc}")
            if attempt < retries:
                time.sleep(0.5 * (attempt + 1))
    tried = "\n  ".join(failures)
    raise DownloadError(f"could not download {filename} from any of {len(mirrors)} mirrors:\n  {tried}")


def _load_idx_dataset(
    name, subdir, env_var, system_dirs, default_mirrors, default_checksums,
    kind, data_home, download, mirrors, checksums, path, flatten, dtype, retries, timeout,
):
    """The lookup order shared by MNIST and Fashion-MNIST; see :func:`load_mnist`."""
    kind = _check_kind(kind)
    _check_pixel_dtype(dtype)
    validate_params(dict(download=download, flatten=flatten, retries=retries, timeout=timeout),
                    dict(download=["boolean"], flatten=["boolean"],
                         retries=[Interval(int, 0, _MAX_RETRIES)],
                         timeout=[Interval(float, 0.0, _MAX_TIMEOUT, closed="right")]))
    retries, timeout = int(retries), float(timeout)
    mirrors = default_mirrors if mirrors is None else mirrors
    mirrors = (mirrors,) if isinstance(mirrors, str) else mirrors
    check_each("mirrors", mirrors, [InstanceOf(str, "a URL string")], allow_empty=True)
    mirrors = tuple(mirrors)
    if checksums is not None and not isinstance(checksums, Mapping):
        raise TypeError(f"checksums: expected a mapping of file name to SHA-256, got "
                        f"{type(checksums).__name__} {checksums!r:.80}")
    checksums = default_checksums if checksums is None else dict(checksums)
    for key, value in checksums.items():
        if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", value):
            raise ValueError(f"checksums[{key!r}]: expected a SHA-256 as 64 hex digits, got "
                             f"{value!r:.80}")

    if path is None:
        path = os.environ.get(env_var) or None
    if path is not None:  # an explicit location is used as is: no fallbacks, no downloads
        return load_idx_dir(path, kind, flatten=flatten, dtype=dtype)

    cache = get_data_home(data_home) / subdir
    for directory in (cache, *map(Path, system_dirs)):
        if None not in _find_idx_files(directory, kind):
            return load_idx_dir(directory, kind, flatten=flatten, dtype=dtype)

    if not download:
        places = ", ".join(str(d) for d in (cache, *system_dirs))
        raise FileNotFoundError(
            f"{name} {kind} files not found in {places}; use download=True, path=... or set {env_var}"
        )
    if not mirrors:
        raise ValueError("mirrors: expected at least one mirror URL, got none")
    cache.mkdir(parents=True, exist_ok=True)
    names = _file_names(kind)
    missing = [n for n, found in zip(names, _find_idx_files(cache, kind), strict=True) if found is None]
    unverifiable = [n for n in missing if n not in checksums]
    if unverifiable:
        raise ValueError(
            f"checksums: no SHA-256 given for {', '.join(unverifiable)}; downloads must be verified"
        )
    for filename in missing:
        _download(filename, cache, mirrors, str(checksums[filename]).lower(), retries, timeout)
    return load_idx_dir(cache, kind, flatten=flatten, dtype=dtype)


def load_mnist(
    kind="train", data_home=None, download=True, mirrors=None, checksums=None, path=None,
    flatten=True, dtype=np.float32, retries=2, timeout=30.0,
):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28 x 28 pixels.

    LeCun, Bottou, Bengio & Haffner (1998), "Gradient-based learning applied to document recognition",
    *Proc. IEEE* 86(11); http://yann.lecun.com/exdb/mnist/ (CC BY-SA 3.0).

    The files are looked for, in order: in ``path``; in the directory named by ``STRUCTLEARN_MNIST_DIR``;
    in ``get_data_home(data_home) / "mnist"``. If they are missing there and ``download`` is True, the two
    files of ``kind`` are downloaded into that cache folder, each from the first mirror that delivers a
    copy matching ``checksums`` and a valid IDX header.

    Parameters
    ----------
    kind : {'train', 'test'}, default 'train'
        Which split to load.
    data_home : str, os.PathLike or None
        See :func:`get_data_home`.
    download : bool, default True
        Whether missing files may be downloaded.
    mirrors : sequence of str or None
        Base URLs tried in turn; default :data:`MNIST_MIRRORS`.
    checksums : mapping of str to str, or None
        SHA-256 (hex) of each ``.gz`` file by name; default :data:`MNIST_SHA256`.
    path : str, os.PathLike or None
        A directory already holding the files (see :func:`load_idx_dir`); then nothing is downloaded.
    flatten : bool, default True
        Images as rows of 784 pixels, or as (n, 28, 28) if False.
    dtype : floating dtype, default numpy.float32
        dtype of the pixels, scaled to [0, 1].
    retries : int, default 2
        Extra attempts per mirror (0 to 100) after a network error (not after an HTTP 4xx or a checksum mismatch,
        which asking again will not fix).
    timeout : float, default 30.0
        Seconds to wait for a connection or for each read from it (finite, at most a day). Each
        attempt also has a total deadline: ``timeout`` plus the time to receive the file's
        expected size at 20 kB/s; and never more than that size is read (for a checksum the
        table does not know, 256 MiB).

    Returns
    -------
    X : ndarray of shape (n, 784) or (n, 28, 28)
    y : ndarray of shape (n,), int64
        Digits 0 to 9.

    Raises
    ------
    DownloadError
        If no mirror delivered a verified file; nothing is left in the cache then.
    FileNotFoundError
        If the files are missing and ``download`` is False.
    """
    return _load_idx_dataset(
        "MNIST", "mnist", "STRUCTLEARN_MNIST_DIR", (), MNIST_MIRRORS, MNIST_SHA256,
        kind, data_home, download, mirrors, checksums, path, flatten, dtype, retries, timeout,
    )


def load_fashion_mnist(
    kind="train", data_home=None, download=True, mirrors=None, checksums=None, path=None,
    flatten=True, dtype=np.float32, retries=2, timeout=30.0,
):
    """Fashion-MNIST: Zalando article images in MNIST's format, 10 classes of clothing.

    Xiao, Rasul & Vollgraf (2017), "Fashion-MNIST: a novel image dataset for benchmarking machine learning
    algorithms", arXiv:1708.07747; https://github.com/zalandoresearch/fashion-mnist (MIT licence).

    Looked for as in :func:`load_mnist`, with ``STRUCTLEARN_FASHION_MNIST_DIR``, the cache folder
    ``get_data_home(data_home) / "fashion-mnist"`` and then :data:`FASHION_MNIST_SYSTEM_DIRS` (where the
    Debian package ``dataset-fashion-mnist`` installs the files, so that it works offline) before any
    download from :data:`FASHION_MNIST_MIRRORS`, verified with :data:`FASHION_MNIST_SHA256`.

    Parameters
    ----------
    kind, data_home, download, mirrors, checksums, path, flatten, dtype, retries, timeout
        As in :func:`load_mnist`.

    Returns
    -------
    X : ndarray of shape (n, 784) or (n, 28, 28)
    y : ndarray of shape (n,), int64
        0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag,
        9 ankle boot.
    """
    return _load_idx_dataset(
        "Fashion-MNIST", "fashion-mnist", "STRUCTLEARN_FASHION_MNIST_DIR", FASHION_MNIST_SYSTEM_DIRS,
        FASHION_MNIST_MIRRORS, FASHION_MNIST_SHA256,
        kind, data_home, download, mirrors, checksums, path, flatten, dtype, retries, timeout,
    )


# ---------------------------------------------------------------------------------------------------------
# Registry and splits
# ---------------------------------------------------------------------------------------------------------

_LOADERS = {
    "xor": xor,
    "parity": parity,
    "encoder": encoder,
    "symmetry": symmetry,
    "binary_addition": binary_addition,
    "two_spirals": two_spirals,
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
}


def load(name, **kwargs):
    """Load a data set by name.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`; case and ``-`` versus ``_`` are ignored (``"fashion-mnist"`` works).
    **kwargs
        Passed to the data set's function, e.g. ``load("parity", n_bits=4)``.

    Returns
    -------
    X, y : ndarray
        As returned by that function.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    key = name.lower().replace("-", "_") if isinstance(name, str) else name
    if key not in _LOADERS:
        raise ValueError(f"name: unknown data set {name!r}; valid names are {', '.join(DATASETS)}")
    return _LOADERS[key](**kwargs)


def train_test_split(X, y, test_size=0.2, rng=None, stratify=False):
    """Split samples at random into a training and a test set.

    Parameters
    ----------
    X : array_like of shape (n, ...)
        Samples (any number of trailing dimensions).
    y : array_like of shape (n, ...)
        Targets.
    test_size : float or int, default 0.2
        Fraction of the samples (0 < test_size < 1, rounded up) or number of samples in the test set.
        Both sets must end up non-empty.
    rng : int, numpy.random.Generator or None
        Source of the shuffle; the same seed gives the same split.
    stratify : bool, default False
        Keep each class's share of ``y`` (which must then be 1-D labels) in both sets, up to rounding:
        class quotas are allotted by largest remainder, so the test set has exactly the requested size.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        Shuffled subsets.
    """
    X = check_array(X, "X", ndim=None, dtype=None)
    y = check_array(y, "y", ndim=None, dtype=None)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"y: expected {n} targets to match X, got {len(y)}")
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        n_test = int(test_size)
    elif isinstance(test_size, numbers.Real) and 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
    else:
        raise ValueError(f"test_size: expected a fraction in (0, 1) or a sample count, got {test_size!r}")
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"test_size: gives {n_test} test samples out of {n}; both sets must be non-empty")
    rng = check_rng(rng)

    if not stratify:
        perm = rng.permutation(n)
        test, train = perm[:n_test], perm[n_test:]
    else:
        if y.ndim != 1:
            raise ValueError(f"y: stratify needs 1-D class labels, got shape {y.shape}")
        classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
        quota = counts * n_test / n
        take = np.floor(quota).astype(np.int64)
        # Largest remainder first (stable, so ties go to the earlier class): sizes add up to n_test.
        extra = np.argsort(-(quota - take), kind="stable")[: n_test - take.sum()]
        take[extra] += 1
        test_parts, train_parts = [], []
        for c in range(len(classes)):
            members = rng.permutation(np.flatnonzero(inverse == c))
            test_parts.append(members[: take[c]])
            train_parts.append(members[take[c]:])
        test = rng.permutation(np.concatenate(test_parts))
        train = rng.permutation(np.concatenate(train_parts))
    return X[train], X[test], y[train], y[test]
