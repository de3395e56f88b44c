"""Issue 16, item 4 (downloads): a total deadline and a size cap from the expected file size.

A loopback HTTP server plays the hostile mirror: an endless body, a body announced larger than
the file can be, a slow drip that never trips the per-read timeout. The downloader used to read
200 MB for a 4 KB file before the checksum refused it, and had no overall deadline.
"""
import http.server
import os
import threading
import time

import numpy as np
import pytest

from structlearn import datasets

LABELS = "t10k-labels-idx1-ubyte.gz"  # MNIST's smallest file: 4542 bytes (the size table)


class HostileMirror:
    """``/endless/`` streams zeros forever, ``/announce/`` announces 1 GB, ``/drip/`` sends
    one byte every 50 ms of an honest-looking 4542-byte body. ``sent`` counts body bytes."""

    def __init__(self):
        mirror = self
        self.sent = 0
        self.stop = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def do_GET(self):
                kind = self.path.strip("/").split("/")[0]
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                if kind == "announce":
                    self.send_header("Content-Length", str(10**9))
                elif kind == "drip":
                    self.send_header("Content-Length", "4542")
                self.end_headers()
                try:
                    if kind == "drip":
                        for _ in range(4542):
                            if mirror.stop.is_set():
                                return
                            self.wfile.write(b"\0")
                            self.wfile.flush()
                            mirror.sent += 1
                            time.sleep(0.05)
                        return
                    chunk = bytes(1 << 16)
                    while not mirror.stop.is_set() and mirror.sent < (256 << 20):
                        self.wfile.write(chunk)
                        mirror.sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up: what the tests want

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def hostile():
    server = HostileMirror()
    yield server
    server.close()


def _load(tmp_path, mirror, **kw):
    """load_mnist("test") with the images already cached: only the labels are downloaded."""
    (tmp_path / "mnist").mkdir(exist_ok=True)
    datasets.write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz",
                       np.zeros((2, 28, 28), np.uint8), gzip=True)
    return datasets.load_mnist("test", data_home=tmp_path, mirrors=[mirror], retries=0, **kw)


def _nothing_cached(tmp_path):
    cache = tmp_path / "mnist"
    return not cache.exists() or not any(LABELS in n for n in os.listdir(cache))


def test_an_endless_body_is_cut_off_at_the_expected_size(tmp_path, hostile):
    with pytest.raises(datasets.DownloadError) as info:
        _load(tmp_path, hostile.url + "endless/")
    assert f"{LABELS}: refused: more than the expected 4542 bytes" in str(info.value)
    assert _nothing_cached(tmp_path)
    # the client stopped reading at once; the server only filled the socket buffers
    assert hostile.sent < 64 << 20


def test_a_body_announced_larger_than_the_file_is_refused_before_reading(tmp_path, hostile):
    with pytest.raises(datasets.DownloadError, match="announces 1000000000 bytes, more than "
                                                     "the expected 4542"):
        _load(tmp_path, hostile.url + "announce/")
    assert _nothing_cached(tmp_path)


def test_a_slow_drip_hits_the_total_deadline(tmp_path, hostile):
    """Each read gets a byte well within ``timeout``; only the overall deadline (``timeout``
    plus the expected size at 20 kB/s, here about 1.2 s) stops it."""
    with pytest.raises(datasets.DownloadError, match="passed its deadline") as info:
        _load(tmp_path, hostile.url + "drip/", timeout=1.0)
    assert "TimeoutError" in str(info.value)
    assert _nothing_cached(tmp_path)
    assert hostile.sent < 4542  # it never got to the end


@pytest.mark.parametrize("timeout", [float("inf"), float("nan"), 0, -1, 1e300, "30"])
def test_timeout_must_be_a_finite_positive_number(tmp_path, timeout):
    with pytest.raises((TypeError, ValueError), match="timeout: expected a finite number in"):
        _load(tmp_path, "http://127.0.0.1:9/", timeout=timeout)
