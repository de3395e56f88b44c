"""Issue 16, items 4, 5 and 8: hostile files, generated here.

Every file read is bounded: ``read_idx`` checks the header's promise before allocating and
the inflated size against it as it streams (a 1 MB gzip expanding to 1 GiB is refused after
its first megabytes), refuses FIFOs and devices; ``structlearn report`` follows row paths only
inside the results folder and skips rows that parse but are incomplete, with a warning, never
a traceback.
"""
import json
import os
import struct
import sys
import threading
import tracemalloc
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from structlearn import History, Network, datasets
from structlearn.bench.report import write_report
from structlearn.bench.runner import (RESULTS, ResultsStoreError, read_results, row_file,
                                      row_problem)
from structlearn.cli import main

MiB = 1 << 20


# ------------------------------------------------------------------- IDX files
def gzip_bomb(head, n_mib):
    """A valid gzip file of ``head`` then ``n_mib`` MiB of zeros, built without compressing
    them: one MiB compressed once, after a full flush (so it refers to nothing before it), and
    repeated. About 1 KB per MiB."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = co.compress(head) + co.flush(zlib.Z_FULL_FLUSH)
    zeros = bytes(MiB)
    block = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    end = co.flush()
    crc = zlib.crc32(head)
    for _ in range(n_mib):
        crc = zlib.crc32(zeros, crc)
    size = (len(head) + n_mib * MiB) & 0xFFFFFFFF
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + first + block * n_mib + end
            + struct.pack("<II", crc, size))


def idx_header(code, shape):
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def test_gzip_bomb_is_refused_without_inflating_it(tmp_path):
    bomb = gzip_bomb(idx_header(0x08, (1000,)), 1024)  # promises 1000 bytes, inflates to 1 GiB
    assert len(bomb) < 2 * MiB
    path = tmp_path / "bomb-labels-idx1-ubyte.gz"
    path.write_bytes(bomb)
    d = zlib.decompressobj(31)  # the bomb is a valid gzip stream (checked on its first part)
    assert d.decompress(bomb[:4096], 4 * MiB)[:8] == idx_header(0x08, (1000,))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="extra bytes after the 1000 data bytes") as info:
            datasets.read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value)
    assert peak < 64 * MiB  # the old reader held the whole GiB (twice)


def test_a_header_promising_more_than_the_file_can_hold_is_refused_before_allocating(tmp_path):
    raw = tmp_path / "huge-images-idx3-ubyte"
    raw.write_bytes(idx_header(0x08, (2**32 - 1, 2**32 - 1, 2**32 - 1)) + bytes(100))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="more than this file can hold"):
            datasets.read_idx(raw)
        packed = tmp_path / "huge.gz"  # 1 KB of gzip cannot honestly hold 2 GiB
        packed.write_bytes(zlib.compress(idx_header(0x0E, (2**28,)), wbits=31))
        with pytest.raises(ValueError, match="more than this file can hold"):
            datasets.read_idx(packed)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB


def test_a_truncated_gzip_is_refused_as_truncated(tmp_path):
    """A plausible promise (8 MiB from 1 MiB of incompressible gzip) that the stream does not
    keep: refused once the stream ends, naming the sizes."""
    payload = np.random.default_rng(0).integers(0, 256, MiB, dtype=np.uint8).tobytes()
    path = tmp_path / "short.gz"
    path.write_bytes(zlib.compress(idx_header(0x08, (8 * MiB,)) + payload, wbits=31))
    with pytest.raises(ValueError, match=f"needs {8 * MiB} data bytes, the file has {MiB}"):
        datasets.read_idx(path)


def test_multi_member_and_padded_gzip_still_read(tmp_path):
    arr = np.arange(300, dtype=np.int16).reshape(3, 100)
    raw = datasets.write_idx(tmp_path / "a", arr).read_bytes()
    path = tmp_path / "two-members.gz"
    path.write_bytes(zlib.compress(raw[:50], wbits=31) + zlib.compress(raw[50:], wbits=31)
                     + bytes(16))
    np.testing.assert_array_equal(datasets.read_idx(path), arr)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "t10k-labels-idx1-ubyte"
    os.mkfifo(fifo)
    outcome = []

    def read():
        try:
            datasets.read_idx(fifo)
        except ValueError as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=60)  # a bound for the failure (it used to block forever)
    if reader.is_alive():
        with open(fifo, "wb"):  # let the blocked reader go
            pass
        pytest.fail("read_idx blocked on a FIFO")
    assert outcome and "not a regular file" in str(outcome[0])


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused():
    with pytest.raises(ValueError, match="not a regular file"):
        datasets.read_idx("/dev/zero")


# ----------------------------------------------------------- results folders
def _row(tid, **extra):
    row = dict(trial_id=tid, algorithm="mlp", label="", params={}, dataset="two_spirals",
               seed=0, status="ok", error=None, wall_time=1.0, env=None, curve=None,
               network=None, success=True, train_accuracy=1.0, test_accuracy=0.9)
    row.update(extra)
    return row


def _write_rows(folder, rows):
    folder.mkdir(exist_ok=True)
    with open(folder / RESULTS, "w") as fh:
        for r in rows:
            fh.write((r if isinstance(r, str) else json.dumps(r)) + "\n")


def test_report_follows_row_paths_only_inside_the_results_folder(tmp_path):
    res = tmp_path / "res"
    (res / "curves").mkdir(parents=True)
    (res / "networks").mkdir()
    outside = tmp_path / "outside.json"
    History().save(outside)
    os.symlink(outside, res / "curves" / "link.json")
    if hasattr(os, "mkfifo"):
        os.mkfifo(res / "curves" / "fifo.json")
    good = History()
    good.log(epoch=1, phase="train", loss=1.0, units=2, weights=9, seconds=0.0)
    good.save(res / "curves" / "good.json")
    Network.mlp([2, 3, 1], rng=0).save(res / "networks" / "good.npz")
    rows = [
        _row("devzero", curve="/dev/zero", network="/dev/zero"),
        _row("dotdot", seed=1, curve="../outside.json", network="../../etc/passwd"),
        _row("link", seed=2, curve="curves/link.json"),
        _row("fifo", seed=3, curve="curves/fifo.json", network="curves"),
        _row("good", seed=4, curve="curves/good.json", network="networks/good.npz"),
    ]
    _write_rows(res, rows)
    warnings = []
    path = write_report(res, warn=warnings.append)
    text = "\n".join(warnings)
    for tid in ("devzero", "dotdot", "link"):
        assert f"trial {tid} (curve: expected a relative path inside the results folder" in text \
            or f"trial {tid} (curve: expected a path inside the results folder" in text, text
    if hasattr(os, "mkfifo"):
        assert "trial fifo (curve: expected a regular file" in text
    assert "learning_curves_two_spirals.png" in open(path).read()  # the good row still drawn
    with pytest.raises(ValueError, match="inside the results folder"):
        row_file(res, {"curve": "/etc/passwd"}, "curve")
    with pytest.raises(ValueError, match="at most 10 bytes"):
        row_file(res, {"curve": "curves/good.json"}, "curve", max_bytes=10)


INCOMPLETE = [
    {"trial_id": "a1"},                                      # the KeyError of the issue
    {"trial_id": "a2", "algorithm": "mlp"},
    _row("a3", seed="3"),                                    # wrong types
    _row("a4", params=[1, 2]),
    _row("a5", status="weird"),
    _row("a6", error="boom"),
    _row("a7", env=[1]),
    _row("a8", wall_time="slow"),
    _row("a9", curve=5),
    _row("a10", seed=True),
    _row("../../x"),                                         # not an identity
    [1, 2],
    "just a string",
    5,
    None,
    '{"trial_id": "unterminated"',
]


def test_report_skips_incomplete_rows_with_a_warning_never_a_traceback(tmp_path, capsys):
    res = tmp_path / "res"
    _write_rows(res, INCOMPLETE + [_row("fine", seed=9)])
    warnings = []
    rows = read_results(res, warnings.append)
    assert [r["trial_id"] for r in rows] == ["fine"]
    assert len(warnings) == len(INCOMPLETE)
    assert "missing key 'algorithm'" in warnings[0] and "trial 'a1'" in warnings[0]
    assert main(["report", str(res)]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "skipped a malformed row" in err
    assert "1 trials (1 finished" in (res / "report.md").read_text()


def test_resume_skips_malformed_rows_too(tmp_path):
    from structlearn.bench.runner import ResultsStore
    _write_rows(tmp_path, INCOMPLETE[:3])
    warnings = []
    with ResultsStore(tmp_path, warn=warnings.append) as store:
        assert store.done() == set()
    assert len(warnings) == 3


def test_oversized_lines_and_a_non_regular_results_file(tmp_path, monkeypatch):
    from structlearn.bench import runner
    monkeypatch.setattr(runner, "MAX_ROW_BYTES", 1000)
    _write_rows(tmp_path, [_row("big", junk="x" * 5000), _row("small")])
    warnings = []
    assert [r["trial_id"] for r in read_results(tmp_path, warnings.append)] == ["small"]
    assert "longer than 1000 bytes" in warnings[0]
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo")
        with pytest.raises(ResultsStoreError, match="not a regular file"):
            read_results(tmp_path / "fifo")


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                     | st.text(max_size=8), lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
_keys = st.sampled_from(["trial_id", "algorithm", "dataset", "seed", "status", "params",
                         "label", "error", "env", "wall_time", "curve", "network", "success",
                         "test_accuracy", "hidden_units", "train_accuracy", "epochs"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.dictionaries(_keys, _json | st.sampled_from(
    ["ok", "error", "xor", "mlp", "abc123", 0, 1]), max_size=17), max_size=6))
def test_report_never_crashes_on_rows_that_parse(tmp_path_factory, rows):
    res = tmp_path_factory.mktemp("res")
    _write_rows(res, rows)
    warnings = []
    write_report(res, figures=False, warn=warnings.append)
    kept = read_results(res)
    assert all(row_problem(r) is None for r in kept)
    assert len(kept) + len(warnings) >= len(rows)


# ----------------------------------------------------------------- sizes
@pytest.mark.parametrize("seeds, message", [
    ("99999999999", "seeds: expected a count in [1, 100000], got 99999999999"),
    ("0-99999999999", "seeds: expected seeds in [0, 4294967295], got '0-99999999999'"),
    ("0-999999", "seeds: expected at most 100000 seeds"),
    ("1-100000,200000-300000", "seeds: expected at most 100000 seeds"),
])
def test_seed_counts_are_bounded_before_allocating(seeds, message, capsys):
    tracemalloc.start()
    try:
        assert main(["list", "quick", "--algorithms", "mlp", "--seeds", seeds]) == 2
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert peak < 64 * MiB


def test_suite_size_is_bounded_before_building_specs(monkeypatch):
    from structlearn.bench import suites
    monkeypatch.setattr(suites, "MAX_TRIALS", 10)
    with pytest.raises(suites.SelectionError, match="expands to 20 trials; expected at most 10"):
        suites.build_suite("quick", "mlp", "xor", "0-19")


@pytest.mark.parametrize("name, message", [
    ("encoder4096", r"power of two in \[2, 1024\], got 4096"),
    ("parity" + "9" * 5000, "unknown dataset"),
    ("parity99", r"expected N in \[2, 10\] for parity, got 99"),
])
def test_dataset_names_bound_their_sizes(name, message):
    from structlearn.bench.data import check_dataset_name
    with pytest.raises(ValueError, match=message):
        check_dataset_name(name)


@pytest.mark.parametrize("call, message", [
    (lambda: datasets.encoder(10**6), r"n: expected an integer in \[2, 1024\]"),
    (lambda: datasets.two_spirals(density=10**9), r"density: expected an integer in \[1, 10000\]"),
])
def test_data_set_sizes_are_bounded(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX")
def test_network_files_from_a_results_folder_stay_inside(tmp_path):
    """The report draws decision regions from networks/<id>.npz only inside the folder."""
    res = tmp_path / "res"
    (res / "networks").mkdir(parents=True)
    Network.mlp([2, 3, 1], rng=0).save(tmp_path / "elsewhere.npz")
    _write_rows(res, [_row("net", network="../elsewhere.npz")])
    warnings = []
    write_report(res, warn=warnings.append)
    assert any("cannot read the network of trial net (network: expected a path inside" in w
               for w in warnings), warnings
