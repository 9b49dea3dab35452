"""A ledger held by another process: one clear line, exit 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import time

import recon

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("holding", flush=True)
time.sleep(60)
"""


def hold(path, mode="rw"):
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(path), mode], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "holding"
    return p


def test_writer_elsewhere_gives_one_clear_line(cli, sample_copy):
    holder = hold(sample_copy)
    try:
        code, out, err = cli("credit", "--ledger", sample_copy, "INV-2026-000177")
        assert code == 2
        assert "is in use by another process" in err and f"PID {holder.pid}" in err
        assert "wait for it to finish" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        code, _, err = cli("show", "--ledger", sample_copy, "INV-2026-000177")
        assert code == 2 and "is in use by another process" in err
    finally:
        holder.kill()
        holder.wait()
    code, _, _ = cli("show", "--ledger", sample_copy, "INV-2026-000177")
    assert code == 0


def test_readers_share_the_ledger(cli, sample_copy):
    holder = hold(sample_copy, "ro")
    try:
        start = time.monotonic()
        code, out, _ = cli("show", "--ledger", sample_copy, "INV-2026-000177")
        assert code == 0 and "INV-2026-000177" in out
        with recon.Ledger(sample_copy, read_only=True) as lg:
            assert len(lg.table("invoices")) == 300
        assert time.monotonic() - start < 30
    finally:
        holder.kill()
        holder.wait()
