"""Shared fixtures: tiny inline ledgers, the real `recon` command, the invariants."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import recon
from recon.files import load
from recon.integrity import breaches
from recon.transfer import import_frames

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


def _frame(text: str, table: str):
    """An inline CSV table (leading spaces ignored) as a checked, typed frame."""
    lines = [line.strip() for line in text.strip().splitlines()]
    path = io.StringIO("\n".join(lines) + "\n")
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write(path.getvalue())
    try:
        return load(f.name, table)
    finally:
        os.unlink(f.name)


@pytest.fixture
def make_ledger(tmp_path):
    """make_ledger(invoices=CSV, items=CSV, payments=CSV) -> open recon.Ledger."""
    opened = []

    def make(invoices: str = "", items: str = "", payments: str = "", links: str = ""):
        lg = recon.Ledger.create(tmp_path / f"ledger{len(opened)}.duckdb")
        frames = {}
        for table, text in (("invoices", invoices), ("invoice_items", items),
                            ("payments", payments), ("invoice_links", links)):
            if text.strip():
                frames[table] = _frame(text, table)
        if frames:
            import_frames(lg.db, frames)
        lg.close()  # held by nothing, as after every Ledger call (lg.db opens it again)
        opened.append(lg)
        return lg

    yield make
    for lg in opened:
        lg.close()


def assert_invariants(lg: recon.Ledger) -> None:
    with lg.session() as db:  # released after, unless a transaction or session is open
        found = breaches(db)
    assert found.empty, found.to_string()


def ledger_state(lg: recon.Ledger) -> dict:
    """Every table's rows (creation timestamps aside), to show a refusal changed nothing."""
    with lg.session() as db:
        return {t: db.frame(f"SELECT * EXCLUDE (created_at) FROM {t} ORDER BY ALL" if t == "invoices"
                            else f"SELECT * FROM {t} ORDER BY ALL")
                for t in ("invoices", "invoice_items", "payments", "invoice_links", "refunds",
                          "numbering", "batches", "audit_log")}


def assert_same(a: dict, b: dict) -> None:
    import pandas as pd

    for t in a:
        pd.testing.assert_frame_equal(a[t], b[t], obj=t)


def recon_command() -> list[str]:
    """The installed console script; falls back to `python -m recon` in a bare checkout."""
    exe = shutil.which("recon", path=str(Path(sys.executable).parent)) or shutil.which("recon")
    return [exe] if exe else [sys.executable, "-m", "recon"]


@pytest.fixture
def cli(tmp_path):
    """cli(*args) runs the real `recon` command; returns (exit code, stdout, stderr)."""

    def run(*args, env=None, cwd=None):
        e = dict(os.environ)
        e.pop("RECON_LEDGER", None)
        e.update(env or {})
        p = subprocess.run(recon_command() + [str(a) for a in args], capture_output=True,
                           text=True, env=e, cwd=cwd or tmp_path, timeout=300)
        return p.returncode, p.stdout, p.stderr

    return run


@pytest.fixture
def recon_main(capsys, monkeypatch):
    """recon_main(*args): the CLI's main() in this process (fast); (exit code, stdout, stderr).

    For the many-case corpora; `cli` runs the installed command for end-to-end tests.
    """
    from recon.cli import main

    monkeypatch.delenv("RECON_LEDGER", raising=False)

    def run(*args):
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="session")
def sample_ledger(tmp_path_factory):
    """A ledger file built once from data/; copy it before changing it."""
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    recon.init(path, DATA)
    return path


@pytest.fixture
def sample_copy(sample_ledger, tmp_path):
    target = tmp_path / "ledger.duckdb"
    shutil.copy(sample_ledger, target)
    return target
