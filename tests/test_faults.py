"""Faults: `recon apply` killed (SIGKILL) at several moments of a large run.

After each kill the ledger reopens consistent: the batch is wholly there or wholly
absent, and every invariant holds. A clean rerun then applies it exactly once.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import recon
from tests.conftest import ROOT, assert_invariants, recon_command

N_ITEMS = 100_000


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("bench_apply", ROOT / "benchmarks" / "bench_apply.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    ledger, parquet, _ = bench.build(N_ITEMS, tmp_path_factory.mktemp("big"))
    return ledger, parquet


def batch_state(path: Path) -> tuple[int, int, int]:
    with recon.Ledger(path) as lg:
        assert_invariants(lg)
        return (
            lg.db.scalar("SELECT count(*) FROM batches"),
            lg.db.scalar("SELECT count(*) FROM invoices WHERE type = 'credit'"),
            lg.db.scalar("SELECT count(*) FROM invoice_items WHERE credited_item_id IS NOT NULL"),
        )


def run_apply(path: Path, corrections: Path, kill_after: float | None):
    proc = subprocess.Popen(recon_command() + ["apply", "--ledger", str(path), str(corrections)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is None:
        return proc.wait(timeout=600)
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=60)


def test_sigkill_during_apply_leaves_all_or_nothing(big, tmp_path):
    ledger, corrections = big
    # how long a full run takes here, to kill it at fractions of that
    full = tmp_path / "full.duckdb"
    shutil.copy(ledger, full)
    start = time.monotonic()
    assert run_apply(full, corrections, None) == 0
    duration = time.monotonic() - start
    complete = batch_state(full)
    assert complete == (1, N_ITEMS // 5, N_ITEMS)  # one credit per debit invoice, one piece per row

    outcomes = []
    for fraction in (0.15, 0.35, 0.55, 0.75, 0.9, 0.97):
        path = tmp_path / f"kill-{fraction}.duckdb"
        shutil.copy(ledger, path)
        code = run_apply(path, corrections, duration * fraction)
        state = batch_state(path)  # reopens (WAL replay) and checks every invariant
        assert state in ((0, 0, 0), complete), (fraction, code, state)
        outcomes.append(state == complete)
        # and a rerun completes it exactly once
        assert run_apply(path, corrections, None) == 0
        assert batch_state(path) == complete
        for p in (path, Path(f"{path}.wal")):
            p.unlink(missing_ok=True)
    # the kills landed before the commit at least once (else the test proves little)
    assert not all(outcomes), outcomes


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_sigkill_during_import(tmp_path):
    from tests.conftest import DATA

    path = tmp_path / "l.duckdb"
    recon.Ledger.create(path).close()
    proc = subprocess.Popen(recon_command() + ["import", "--ledger", str(path), str(DATA)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.9)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    with recon.Ledger(path) as lg:
        n = len(lg.table("invoices"))
        assert n in (0, 300)
        assert_invariants(lg)
