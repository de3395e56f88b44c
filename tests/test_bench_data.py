"""Data sets are what they say: each digit name with and without its files, --data-dir."""
import json
import os

import numpy as np
import pytest

from structlearn import datasets as ds
from structlearn.bench import data as bench_data
from structlearn.bench.data import (DIGIT_DATASETS, DatasetUnavailable, load_bench_data,
                                    parse_data_dir, set_data_dirs)
from structlearn.cli import main


def _idx_dir(path, n_train=60, n_test=30, offset=0):
    """A small directory of the four standard IDX files (pixels tell which set it is)."""
    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(offset)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        images[:, 0, 0] = offset  # a marker to tell the data sets apart
        ds.write_idx(path / f"{prefix}-images-idx3-ubyte", images)
        ds.write_idx(path / f"{prefix}-labels-idx1-ubyte",
                     (np.arange(n) % 10).astype(np.uint8))
    return path


@pytest.fixture
def no_digits(monkeypatch, tmp_path):
    """No digit files anywhere this process could find them, and no network."""
    for env in bench_data.DATA_DIR_ENV.values():
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("STRUCTLEARN_DATA", str(tmp_path / "empty-home"))
    monkeypatch.setattr(ds, "FASHION_MNIST_SYSTEM_DIRS", ())
    monkeypatch.setattr(ds, "MNIST_MIRRORS", ("http://127.0.0.1:9/",))
    monkeypatch.setattr(ds, "FASHION_MNIST_MIRRORS", ("http://127.0.0.1:9/",))
    return tmp_path


@pytest.mark.parametrize("name", DIGIT_DATASETS)
def test_digit_name_without_files_is_a_clear_error(no_digits, name):
    with pytest.raises(DatasetUnavailable) as info:
        load_bench_data(name)
    msg = str(info.value)
    base = name.replace("_small", "")
    assert f"--data-dir {base}=PATH" in msg
    assert bench_data.DATA_DIR_ENV[base] in msg
    assert len(msg.splitlines()) == 1  # not nine failed URLs


@pytest.mark.parametrize("name", DIGIT_DATASETS)
def test_digit_name_with_files_reads_that_directory(no_digits, monkeypatch, name):
    mnist = _idx_dir(no_digits / "mnist", offset=1)
    fashion = _idx_dir(no_digits / "fashion", offset=2)
    monkeypatch.setenv("STRUCTLEARN_MNIST_DIR", str(mnist))
    monkeypatch.setenv("STRUCTLEARN_FASHION_MNIST_DIR", str(fashion))
    data = load_bench_data(name)
    marker = 1 if name.startswith("mnist") else 2
    assert np.allclose(data.X_train[:, 0], marker / 255)
    title = "MNIST" if name.startswith("mnist") else "Fashion-MNIST"
    assert data.info["dataset_source"] == \
        f"{title}, directory {mnist if marker == 1 else fashion}"
    assert data.info["dataset_split"].startswith("train 60")
    assert data.X_train.shape == (60, 784) and data.X_test.shape == (30, 784)


def test_mnist_never_falls_back_to_fashion(no_digits, monkeypatch):
    monkeypatch.setenv("STRUCTLEARN_FASHION_MNIST_DIR", str(_idx_dir(no_digits / "f", offset=2)))
    assert load_bench_data("fashion_mnist").info["dataset_source"].startswith("Fashion-MNIST")
    with pytest.raises(DatasetUnavailable, match="never replaced"):
        load_bench_data("mnist_small")


def test_generated_sets_say_where_they_come_from():
    for name in ("xor", "parity4", "two_spirals"):
        info = load_bench_data(name).info
        assert info["dataset_source"].startswith("generated")
        assert info["dataset_split"]


def test_parse_data_dir(tmp_path):
    d = _idx_dir(tmp_path / "m")
    assert parse_data_dir(f"mnist_small={d}") == ("mnist", str(d))
    with pytest.raises(ValueError, match="NAME=PATH"):
        parse_data_dir(str(d))
    with pytest.raises(ValueError, match="expected NAME in"):
        parse_data_dir(f"cifar={d}")
    with pytest.raises(ValueError, match="not a directory"):
        parse_data_dir(f"mnist={tmp_path / 'nope'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="train and test files are missing"):
        parse_data_dir(f"mnist={tmp_path / 'empty'}")


def test_cli_bad_data_dir_exits_2(tmp_path, capsys):
    code = main(["bench", "quick", "--out", str(tmp_path / "r"), "--data-dir",
                 f"mnist={tmp_path / 'nope'}"])
    assert code == 2
    assert "--data-dir" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_cli_data_dir_runs_and_the_report_names_the_source(no_digits, monkeypatch, capsys):
    d = _idx_dir(no_digits / "mnist", offset=1)
    out = no_digits / "r"
    monkeypatch.setattr(os, "environ", dict(os.environ))  # set_data_dirs writes here
    code = main(["bench", "full", "--algorithms", "mlp", "--datasets", "mnist_small",
                 "--seeds", "1", "--jobs", "1", "--quiet", "--no-networks",
                 "--out", str(out), "--data-dir", f"mnist={d}"])
    assert code == 0, capsys.readouterr().err
    row = json.loads((out / "results.jsonl").read_text().splitlines()[0])
    assert row["dataset"] == "mnist_small"
    assert row["dataset_source"] == f"MNIST, directory {d}"
    assert "split used: train 60 of 60" in (out / "report.md").read_text()
    set_data_dirs([])  # nothing else to undo: os.environ was a copy
