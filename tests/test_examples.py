"""Every example runs in quick mode, headless, and writes a non-empty figure."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FIGURES = {"cascor_two_spirals.py": "cascor_two_spirals.png",
           "obd_pruning.py": "obd_pruning.png",
           "net2net_growth.py": "net2net_growth.png",
           "dnc_growth.py": "dnc_growth.png",
           "compare.py": "compare.png"}
#: examples that need an optional extra; each is run by its own extra's tests
OPTIONAL = {"torch_roundtrip.py": "torch_roundtrip.png"}  # tests/test_torch_interop.py


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted({**FIGURES, **OPTIONAL})


@pytest.mark.parametrize("script", sorted(FIGURES))
def test_example_runs_quick_and_writes_its_figure(script, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", STRUCTLEARN_QUICK="1")
    root = str(EXAMPLES.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run([sys.executable, str(EXAMPLES / script), "--out", str(tmp_path)],
                   env=env, cwd=tmp_path, check=True, capture_output=True, timeout=120)
    figure = tmp_path / FIGURES[script]
    assert figure.is_file() and figure.stat().st_size > 1000
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_examples_are_jupytext_percent_scripts():
    for name in {**FIGURES, **OPTIONAL}:
        text = (EXAMPLES / name).read_text()
        assert "# %%" in text and "# %% [markdown]" in text, name
        assert "STRUCTLEARN_QUICK" in text and "--out" in text, name


@pytest.mark.parametrize("argv", [["--quik"], ["--quick", "extra"], ["--out"]])
def test_examples_refuse_unknown_options(argv):
    from structlearn.plotting import example_options

    with pytest.raises(SystemExit) as info:
        example_options("x", "examples/x.py", argv=argv)
    assert info.value.code == 2


def test_examples_write_to_a_scratch_folder_unless_told(tmp_path, monkeypatch):
    import tempfile

    from structlearn.plotting import example_options

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    quick, out = example_options("x", str(EXAMPLES / "compare.py"), argv=[])
    assert out == tmp_path / "structlearn-examples" and out.is_dir()
    assert EXAMPLES.parent / "docs" not in out.parents
    quick, out = example_options("x", None, argv=["--quick", "--out", str(tmp_path / "f")])
    assert quick and out == tmp_path / "f"
    # inside Jupyter the kernel's own arguments are not an error
    import sys
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "/x/kernel-1.json"])
    assert example_options("x", None)[1] == tmp_path / "structlearn-examples"


def test_example_script_exits_2_on_a_typo(tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(EXAMPLES / "dnc_growth.py"), "--quik"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--quik" in proc.stderr
    assert not list(tmp_path.iterdir())
