"""The ledger file: opening it, transactions, exact frames out of DuckDB.

Everything that touches the DuckDB connection directly lives here, so the rules about
money (never .df(), which makes DECIMAL float64) and transactions (DuckDB silently
rolls back a COMMIT after an error) are handled once.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from . import sql
from .errors import BadInput, LedgerInUse, ReconError
from .money import STORED_DIGITS, currency_digits, known_currencies

_LOCK = re.compile(r"Conflicting lock is held in (?P<prog>.*?) \(PID (?P<pid>\d+)\)")


def _recompute_sql(scoped: bool) -> str:
    derived = sql.load("derived")
    if scoped:
        # every aggregate reads only the touched invoices' rows (derived.sql's /*scope*/)
        derived = re.sub(r"/\*scope ([\w.]+)\*/", r"AND \1 IN (SELECT invoice_id FROM touched)", derived)
    return sql.load("recompute").replace("{derived}", derived)


class Database:
    """An open ledger file: one DuckDB connection and its transaction."""

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False, create: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        if not create and not self.path.exists():
            raise BadInput(
                f"ledger {self.path} does not exist: create it with `recon init --ledger {self.path}`"
            )
        if create and self.path.exists() and self.path.stat().st_size > 0:
            pass  # init on an existing ledger is idempotent: the schema is IF NOT EXISTS
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            raise _explain_open_error(self.path, exc) from None
        except duckdb.Error as exc:
            raise BadInput(f"ledger {self.path} cannot be opened: {_first_line(exc)}") from None
        # DuckDB draws its own progress bar on stderr in long queries; recon reports its own
        self.con.execute("SET enable_progress_bar = false")
        self._in_tx = False
        if create:
            self._create_schema()
        elif not self._has_schema():
            self.con.close()
            raise BadInput(f"{self.path} is not a recon ledger: create one with `recon init`")
        for stmt in sql.statements("macros"):
            self.con.execute(stmt)
        self.con.execute("CREATE OR REPLACE TEMP TABLE touched (invoice_id VARCHAR)")

    # -- lifecycle -------------------------------------------------------------------
    def close(self) -> None:
        if getattr(self, "con", None) is not None:
            self.con.close()
            self.con = None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _has_schema(self) -> bool:
        return self.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'") == 1

    def _create_schema(self) -> None:
        with self.transaction():
            for stmt in sql.statements("schema"):
                self.con.execute(stmt)
            codes = sorted(known_currencies())
            digits = [currency_digits(c) for c in codes]
            # one statement for ~300 rows (executemany pays a round trip per row)
            self.execute(
                "INSERT INTO currencies SELECT unnest($c), unnest($d), unnest($s) ON CONFLICT DO NOTHING",
                {"c": codes, "d": digits, "s": [10 ** (STORED_DIGITS - d) for d in digits]},
            )

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def transaction(self, *, keep: bool = True):
        """All or nothing. Nested use joins the outer transaction.

        ``keep=False`` runs the whole change and then rolls it back: a preview (dry run)
        that computes exactly what a real run would, and saves nothing.
        """
        if self.read_only:
            raise ReconError(f"ledger {self.path} is open read-only; this command changes it")
        if self._in_tx:
            yield self
            return
        self.con.execute("BEGIN TRANSACTION")
        self._in_tx = True
        try:
            yield self
        except BaseException:
            self._in_tx = False
            self.con.execute("ROLLBACK")
            raise
        self._in_tx = False
        if not keep:
            self.con.execute("ROLLBACK")
            return
        # A COMMIT after a failed statement silently rolls back (STACK_NOTES); every
        # failure above raised, so reaching here means all statements succeeded.
        self.con.execute("COMMIT")

    # -- queries -------------------------------------------------------------------------
    def execute(self, query: str, params: dict | None = None) -> list[tuple]:
        """Run a statement to completion (an unread result blocks the connection)."""
        return self.con.execute(query, params or {}).fetchall()

    def frame(self, query: str, params: dict | None = None) -> pd.DataFrame:
        """A query's rows as a DataFrame with exact Arrow types (DECIMAL stays decimal)."""
        table = self.con.sql(query, params=params or {}).to_arrow_table()
        return table.to_pandas(types_mapper=pd.ArrowDtype)

    def arrow(self, query: str, params: dict | None = None):
        """A query's rows as an Arrow table (exact types), for writing files."""
        return self.con.sql(query, params=params or {}).to_arrow_table()

    def scalar(self, query: str, params: dict | None = None):
        rows = self.con.execute(query, params or {}).fetchall()
        return rows[0][0] if rows else None

    def rows(self, query: str, params: dict | None = None) -> list[tuple]:
        return self.con.execute(query, params or {}).fetchall()

    # -- derived facts -------------------------------------------------------------------
    def touch(self, invoice_ids_query: str, params: dict | None = None) -> None:
        """Mark invoices (rows of ``invoice_ids_query``) for the next recompute."""
        self.execute(f"INSERT INTO touched {invoice_ids_query}", params)

    def recompute(self, everything: bool = False) -> int:
        """Rewrite total, unpaid_amount and status from the facts (derived.sql)."""
        # Narrowing each aggregate to the touched invoices pays while they are a small part
        # of the ledger (one credit on 1M items: 0.06 -> 0.007 s); past about a quarter the
        # semi-joins cost more than the full aggregates (benchmarks/RESULTS.md).
        touched, invoices = self.rows(
            "SELECT (SELECT count(*) FROM touched), (SELECT count(*) FROM invoices)")[0]
        scoped = not everything and touched * 4 <= invoices
        n = self.execute(_recompute_sql(scoped), {"everything": everything})[0][0]
        self.execute("DELETE FROM touched")
        return n

    def audit(self, command: str, *, batch_id=None, invoices=0, items=0, links=0,
              totals: dict | None = None, detail: dict | None = None) -> None:
        self.execute(
            "INSERT INTO audit_log (logged_at, os_user, command, batch_id, invoices_created,"
            " items_created, links_changed, totals, detail)"
            " VALUES ($at, $user, $command, $batch, $inv, $items, $links, $totals, $detail)",
            {
                "at": datetime.now(),
                "user": _os_user(),
                "command": command,
                "batch": batch_id,
                "inv": invoices,
                "items": items,
                "links": links,
                "totals": json.dumps(totals or {}, sort_keys=True, default=str),
                "detail": json.dumps(detail or {}, sort_keys=True, default=str),
            },
        )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers): fall back to the uid
        return str(os.getuid())


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _explain_open_error(path: Path, exc: Exception) -> ReconError:
    m = _LOCK.search(str(exc))
    if m:
        return LedgerInUse(
            f"ledger {path} is in use by another process ({m['prog'].strip()}, PID {m['pid']}): "
            "wait for it to finish, or close that notebook kernel or command, then run again"
        )
    return BadInput(f"ledger {path} cannot be opened: {_first_line(exc)}")
