"""A ledger another process holds: a short wait, then one clear line (exit 2).

DuckDB locks the whole file while a connection is open (a writer shuts out readers too,
STACK_NOTES), so recon retries for up to --wait / $RECON_WAIT seconds (default 10),
says once on stderr which process it waits for, and then refuses with exit 2. A write
that waited is applied whole; one refused leaves the ledger as it was.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

import recon
from recon import db as dbmod
from tests.conftest import assert_invariants, assert_same, ledger_state, recon_command

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("holding", flush=True)
time.sleep(float(sys.argv[3]))
"""


def hold(path, mode="rw", seconds=60):
    """Another process holding the ledger file (as an old notebook kernel did)."""
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(path), mode, str(seconds)],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "holding"
    return p


def release(p):
    p.kill()
    p.wait()


def test_writer_elsewhere_gives_one_clear_line(cli, sample_copy):
    holder = hold(sample_copy)
    try:
        code, out, err = cli("credit", "--ledger", sample_copy, "--wait", "0", "INV-2026-000177")
        assert code == 2
        assert "is in use by another process" in err and f"PID {holder.pid}" in err
        assert "wait for it to finish" in err and "--wait SECONDS" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        code, _, err = cli("show", "--ledger", sample_copy, "--wait", "0", "INV-2026-000177")
        assert code == 2 and "is in use by another process" in err
    finally:
        release(holder)
    code, _, _ = cli("show", "--ledger", sample_copy, "INV-2026-000177")
    assert code == 0


def test_a_command_waits_for_the_holder_then_runs(sample_copy):
    holder = hold(sample_copy)
    cmd = subprocess.Popen(recon_command() + ["credit", "--ledger", str(sample_copy), "--wait", "120",
                                              "INV-2026-000177", "--item", "ITM-0000615=1",
                                              "--date", "2026-10-30"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = cmd.stderr.readline()  # the command says it waits, and for whom
        assert "waiting up to 120 s" in first and f"PID {holder.pid}" in first
    finally:
        release(holder)  # the notebook kernel closes; the command goes on by itself
    out, rest = cmd.communicate(timeout=300)
    assert cmd.returncode == 0 and out.strip() == "CN-2026-000001"
    assert "waiting" not in rest  # said once


def test_the_wait_runs_out_after_the_given_seconds(cli, sample_copy):
    holder = hold(sample_copy)
    try:
        start = time.monotonic()
        code, _, err = cli("show", "--ledger", sample_copy, "INV-2026-000177", env={"RECON_WAIT": "0.5"})
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 2, err
        assert "waiting up to 0.5 s" in lines[0]
        assert lines[1].startswith("recon show: ledger") and "waited 0.5 s" in lines[1]
        assert time.monotonic() - start >= 0.5
        # --wait overrides $RECON_WAIT
        code, _, err = cli("show", "--ledger", sample_copy, "--wait", "0.2", "INV-2026-000177",
                           env={"RECON_WAIT": "600"})
        assert code == 2 and "waited 0.2 s" in err
    finally:
        release(holder)


@pytest.mark.parametrize("args, env, shown", [
    (["--wait", "soon"], {}, "--wait 'soon' is not a number of seconds"),
    (["--wait", "-1"], {}, "--wait '-1' is not a number of seconds"),
    ([], {"RECON_WAIT": "ten"}, "RECON_WAIT='ten' is not a number of seconds"),
])
def test_a_wait_that_is_not_seconds_is_refused(recon_main, monkeypatch, sample_copy, args, env, shown):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    code, _, err = recon_main("show", "--ledger", sample_copy, *args, "INV-2026-000177")
    assert code == 2 and shown in err and len(err.strip().splitlines()) == 1


def test_readers_wait_for_a_writer_too(sample_copy, capsys):
    lg = recon.Ledger(sample_copy, wait=0.3)  # made while the file is free
    holder = hold(sample_copy)
    try:
        with pytest.raises(recon.LedgerInUse, match=rf"PID {holder.pid}.*waited 0.3 s"):
            lg.invoice("INV-2026-000177")
        err = capsys.readouterr().err
        assert err.count("waiting up to 0.3 s") == 1
    finally:
        release(holder)
    assert lg.invoice("INV-2026-000177").iloc[0].status == "unpaid"


def test_a_refused_write_changes_nothing(sample_copy):
    lg = recon.Ledger(sample_copy, wait=0.2)
    before = ledger_state(lg)
    lg.close()
    holder = hold(sample_copy)
    try:
        with pytest.raises(recon.LedgerInUse):
            lg.credit("INV-2026-000177", {"ITM-0000615": "1"}, date="2026-10-30")
        with pytest.raises(recon.LedgerInUse):
            lg.apply(_corrections(sample_copy))
    finally:
        release(holder)
    assert_same(before, ledger_state(lg))
    lg.close()


def _corrections(ledger):
    path = ledger.parent / "two-rows.csv"
    path.write_text("debit_invoice_id,item_id,quantity,reason\n"
                    "INV-2026-000177,ITM-0000615,1,Price correction\n"
                    "INV-2026-000184,ITM-0000634,1,Price correction\n")
    return path


def test_a_write_that_waited_is_applied_whole(sample_copy, monkeypatch):
    lg = recon.Ledger(sample_copy, wait=120)
    holder = hold(sample_copy)
    said = []

    def waiting(message):  # told it waits, the other process finishes
        said.append(message)
        release(holder)

    monkeypatch.setattr(dbmod, "say_waiting", waiting)
    res = lg.apply(_corrections(sample_copy))
    assert len(said) == 1 and f"PID {holder.pid}" in said[0]
    assert res.rows == 2 and len(res.credits) == 2 and res.item_count == 2
    assert len(lg.table("invoices").query("batch_id == @res.batch_id")) == 2
    assert_invariants(lg)


def test_readers_share_the_ledger(cli, sample_copy):
    holder = hold(sample_copy, "ro")
    try:
        start = time.monotonic()
        code, out, _ = cli("show", "--ledger", sample_copy, "--wait", "0", "INV-2026-000177")
        assert code == 0 and "INV-2026-000177" in out
        with recon.Ledger(sample_copy, read_only=True, wait=0) as lg:
            assert len(lg.table("invoices")) == 300
        assert time.monotonic() - start < 30
    finally:
        release(holder)


def test_nothing_is_held_once_a_refusal_is_raised(sample_copy):
    lg = recon.Ledger(sample_copy, wait=0)
    holder = hold(sample_copy)
    try:
        with pytest.raises(recon.LedgerInUse):
            lg.show("INV-2026-000177")
        assert dbmod.held() == {}
    finally:
        release(holder)


def test_how_long_to_wait(monkeypatch):
    monkeypatch.delenv("RECON_WAIT", raising=False)
    assert dbmod.wait_seconds() == 10  # the default
    monkeypatch.setenv("RECON_WAIT", "2.5")
    assert dbmod.wait_seconds() == 2.5
    with dbmod.default_wait("30"):  # the command line's --wait beats the environment
        assert dbmod.wait_seconds() == 30
        assert dbmod.wait_seconds(0) == 0  # and a Ledger's own wait beats both
    assert dbmod.wait_seconds() == 2.5
