"""The benchmarks' process timer (benchmarks/harness.py) reports the command's own figures.

Linux gives a child started by vfork or fork the peak RSS of the process that started it
(exec keeps it in ru_maxrss), so a timer that waits for its own child reports the larger
of the two. The benchmark process itself peaks high (DuckDB building the inputs), which
made a 1.2 GB apply read as 1.86 GB; these tests hold the timer to the command's own.
"""

from __future__ import annotations

import importlib.util
import resource
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _harness():
    # a copy of its own (the benchmarks' `harness`, imported by other tests, keeps its WORK)
    name = "harness_under_test"
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "harness.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    mod = _harness()
    mod.WORK = tmp_path_factory.mktemp("bench-work")  # its .stdout/.stderr go here
    return mod


def _touch(mb: int) -> None:
    """Make this process's peak RSS at least ``mb`` MB (pages written, then freed)."""
    block = bytearray(mb << 20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    del block


def test_a_small_command_is_small_after_the_benchmark_peaked(harness):
    _touch(400)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 >= 400
    r = harness.run(["python", "-c", "pass"])
    # a bare interpreter: ~10 MB, not this process's 400 MB and more
    assert r.rss_mb < 100, r
    assert 0 < r.wall < 30 and 0 < r.cpu < 30


def test_a_command_s_own_peak_is_reported(harness):
    r = harness.run(["python", "-c",
                     "b = bytearray(200 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1"])
    assert 200 <= r.rss_mb < 400, r


def test_output_and_exit_codes(harness):
    r = harness.run(["python", "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
                    ok=(3,))
    assert (r.stdout, r.stderr) == ("out\n", "err\n")
    with pytest.raises(SystemExit, match="exited 4"):
        harness.run(["python", "-c", "import sys; print('why', file=sys.stderr); sys.exit(4)"])
    with pytest.raises(SystemExit, match="exited -9"):
        harness.run(["python", "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
