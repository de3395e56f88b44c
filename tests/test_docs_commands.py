"""Every shell command printed in README.md and docs/*.md runs as printed, in order, on a fresh
copy of the repository.

What runs: the fenced ``bash``/``sh`` blocks, line by line, and the README gallery's inline
``python examples/... --out docs/figures`` commands, each in a copy of the tracked files (one
copy per page, so a page's commands see each other's output in the order printed). The budget is
the one the docs name: ``STRUCTLEARN_QUICK=1``, the examples' CI budget. Skipped, and why:

* a block whose preceding line is ``<!-- docs-test: not run (reason) -->`` (hours of computing);
* ``pip install ... &&``: the package is installed already (the test runs in its environment),
  so only the part after ``&&`` runs; a command running ``pytest`` (this suite itself);
* a command needing an extra that is not installed (``torch``).

Minutes of work (the quick suite runs three times): set ``STRUCTLEARN_SKIP_DOCS_TEST=1`` to skip.
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["README.md"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))
SKIP_MARK = re.compile(r"<!--\s*docs-test:\s*not run")

pytestmark = pytest.mark.skipif(os.environ.get("STRUCTLEARN_SKIP_DOCS_TEST") == "1",
                                reason="STRUCTLEARN_SKIP_DOCS_TEST=1")


def commands(page):
    """The commands of ``page`` in the order printed: ``[(line number, command)]``."""
    lines = (ROOT / page).read_text().splitlines()
    out, in_block, run_block, prev = [], False, True, ""
    for i, line in enumerate(lines, 1):
        fence = re.match(r"^```(\w*)", line)
        if fence and not in_block:
            in_block = True
            run_block = fence.group(1) in ("bash", "sh", "shell") and not SKIP_MARK.search(prev)
        elif line.startswith("```") and in_block:
            in_block = False
        elif in_block and run_block and line.strip() and not line.lstrip().startswith("#"):
            out.append((i, line.strip()))
        elif not in_block and page == "README.md":
            out += [(i, m) for m in re.findall(r"`(python examples/[^`]+)`", line)]
        if line.strip():
            prev = line
    return out


def runnable(command):
    """The command as the test runs it, or None (with the reason) when it is skipped."""
    cmd = re.sub(r"^pip install [^&]*&&\s*", "", command)
    if cmd.startswith("pip install"):
        return None, "installs packages"
    if "pytest" in cmd:
        return None, "runs the test suite itself"
    if "torch_roundtrip" in cmd and importlib.util.find_spec("torch") is None:
        return None, "needs the torch extra"
    return cmd, None


def fresh_copy(dest):
    """The files a fresh clone would have (tracked, plus new files not ignored)."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def test_readme_benchmark_commands_are_extracted():
    cmds = [c for _, c in commands("README.md")]
    assert "structlearn bench quick --dask local --jobs 2 --out results-dask" in \
        [c.split("  #")[0].strip() for c in cmds]
    assert not any("bench full" in c for c in cmds)  # marked: not run
    assert any(c.startswith("python examples/compare.py --out docs/figures") for c in cmds)


@pytest.mark.parametrize("page", PAGES)
def test_page_commands_run_as_printed(page, tmp_path):
    todo = commands(page)
    if not todo:
        pytest.skip(f"{page} prints no shell command")
    copy = fresh_copy(tmp_path / "clone")
    env = dict(os.environ, STRUCTLEARN_QUICK="1", MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(copy) + os.pathsep + env.get("PYTHONPATH", "")
    ran = 0
    for line, command in todo:
        cmd, why = runnable(command)
        if cmd is None:
            continue
        proc = subprocess.run(["bash", "-c", cmd], cwd=copy, env=env, capture_output=True,
                              text=True, timeout=900)
        assert proc.returncode == 0, (f"{page}:{line}: `{command}` exited {proc.returncode}\n"
                                      f"{proc.stderr[-2000:]}")
        ran += 1
    assert ran or all(runnable(c)[0] is None for _, c in todo)
    # the gallery commands write where they say, and nothing writes into the real tree
    if page == "README.md":
        assert (copy / "results" / "report.md").is_file()
        assert (copy / "results-dask" / "report.md").is_file()
