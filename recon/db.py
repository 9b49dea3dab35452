"""The ledger file: opening it, transactions, exact frames out of DuckDB.

Everything that touches the DuckDB connection directly lives here, so the rules about
money (never .df(), which makes DECIMAL float64) and transactions (DuckDB silently
rolls back a COMMIT after an error) are handled once.

Opening and the file lock. DuckDB locks a ledger file for as long as a connection to it
is open: a writer shuts everyone else out, a reader shuts writers out (STACK_NOTES). So
recon holds a file only for one operation. Each process keeps one in-memory DuckDB, the
*engine*, which holds recon's macros; a :class:`Database` ATTACHes the ledger file to it
when it first runs a statement and DETACHes it on :meth:`Database.close` (DETACH
checkpoints a written file, then releases the lock). Attaching costs ~2 ms on a 1M-item
ledger where ``duckdb.connect`` costs ~20 ms of instance start-up (benchmarks/RESULTS.md).
A file held by another process is retried until the ``wait`` runs out (``$RECON_WAIT``,
default 10 s), saying once on stderr who holds it; then :class:`LedgerInUse` (exit 2).
Nothing has run on the ledger before the attach succeeds, so a wait never leaves half
of anything behind.
"""

from __future__ import annotations

import collections
import getpass
import itertools
import json
import math
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import weakref
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from . import sql
from .errors import BadInput, LedgerInUse, ReconError
from .money import currency_digits, known_currencies, register_currency, step_milli

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

#: the ledger layout this recon writes (meta.schema_version; sql/migrate_v*.sql upgrade)
SCHEMA_VERSION = 3
_LOCK = re.compile(r"Conflicting lock is held in (?P<prog>.*?) \(PID (?P<pid>\d+)\)")

WAIT_DEFAULT = 10.0
# The CLI's --wait for the command it runs (see default_wait); None: $RECON_WAIT or 10 s.
_WAIT: ContextVar[float | None] = ContextVar("recon_wait", default=None)


def _recompute_sql(scoped: bool) -> str:
    derived = sql.load("derived")
    same_row = "i.invoice_id = d.invoice_id"
    if scoped:
        # every aggregate reads only the touched invoices' rows (derived.sql's /*scope*/)
        derived = re.sub(r"/\*scope ([\w.]+)\*/", r"AND \1 IN (SELECT invoice_id FROM touched)", derived)
        derived, same_row = derived.replace("/*row*/", "i.rowid AS row_id,", 1), "i.rowid = d.row_id"
    return sql.load("recompute").replace("{derived}", derived).replace("{same_row}", same_row)


# -- how long to wait for a busy ledger ----------------------------------------------------


def wait_seconds(wait: float | str | None = None) -> float:
    """Seconds to wait for a ledger another process holds: ``wait``, else the CLI's
    ``--wait``, else ``$RECON_WAIT``, else 10."""
    what = "--wait"
    if wait is None:
        wait = _WAIT.get()
    if wait is None:
        wait, what = os.environ.get("RECON_WAIT"), "RECON_WAIT"
        if wait is None or not wait.strip():
            return WAIT_DEFAULT
    try:
        seconds = float(wait)
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise BadInput(f"{what} {wait!r} is not a number of seconds: give 0 or more, e.g. {what} 30"
                       if what == "--wait" else
                       f"{what}={wait!r} is not a number of seconds: set it to 0 or more, e.g. {what}=30")
    return seconds


@contextmanager
def default_wait(seconds: float | str | None):
    """Within the block, ledgers opened without their own ``wait`` wait ``seconds``
    (the command line's ``--wait``); None keeps $RECON_WAIT / 10 s."""
    token = _WAIT.set(None if seconds is None else wait_seconds(seconds))
    try:
        yield
    finally:
        _WAIT.reset(token)


def say_waiting(message: str) -> None:
    """Tell the analyst once that a command waits (stderr: the terminal, or the cell's
    output in a notebook)."""
    print(message, file=sys.stderr, flush=True)


# -- the engine: this process's in-memory DuckDB, where ledger files are attached --------------


@dataclass
class _Attached:
    alias: str
    read_only: bool
    users: int = 1


class _Engine:
    """One in-memory DuckDB per process. recon's macros live in its own catalog
    (memory.main), made once, so every connection has them without defining them again
    (they cost ~2.5 ms a connection as TEMP macros); ledger files are attached to it,
    each once however many Database objects of this process use it."""

    def __init__(self):
        self.pid = os.getpid()
        self.con = duckdb.connect(":memory:")
        # DuckDB draws a progress bar on stderr during long queries (STACK_NOTES)
        self.con.execute("SET enable_progress_bar = false")
        _spill_to(self.con, "engine")
        # DuckDB stores text with no repeats (every invoice id, every item id) as ZSTD,
        # which is slow to scan: finding two invoices by id among 200k took 7.1 ms, 5.2
        # ms as DICT_FSST, and the 1M-item ledger's file is 11% smaller without it (43.5
        # -> 38.8 MB; benchmarks/RESULTS.md). A setting of the engine: every ledger this
        # process checkpoints.
        self.con.execute("SET disabled_compression_methods = 'zstd'")
        # a TEMP macro would belong to this one connection; here every cursor finds it. In
        # one call: one by one they cost ~35 ms of every command's start, together ~13 ms
        self.con.execute(";\n".join(re.sub(r"\bTEMP\s+MACRO\b", "MACRO", stmt)
                                     for stmt in sql.statements("macros")))
        self.files: dict[str, _Attached] = {}
        self.guard = threading.Lock()
        self.aliases = itertools.count(1)

    def attach(self, path: Path, read_only: bool) -> tuple[str, str, bool]:
        """Attach ``path`` (or share its attachment): its key, alias, and whether it was
        attached already. Raises DuckDB's lock error while another process holds it."""
        key = os.path.realpath(path)
        with self.guard:
            f = self.files.get(key)
            if f is not None:
                if f.read_only and not read_only:
                    raise _HeldHere(key)
                f.users += 1
                return key, f.alias, True
            alias = f"ledger_{next(self.aliases)}"  # chosen here; the path is a parameter
            self.con.execute(f"ATTACH $path AS {alias}" + (" (READ_ONLY)" if read_only else ""),
                             {"path": key})
            self.files[key] = _Attached(alias, read_only)
            return key, alias, False

    def cursor(self, alias: str) -> duckdb.DuckDBPyConnection:
        with self.guard:
            con = self.con.cursor()
        # the ledger's tables first, then recon's macros; TEMP objects are always found
        con.execute(f"SET search_path = '{alias}.main,memory.main'")
        return con

    def detach(self, key: str) -> None:
        """The last user of a file gone: DETACH (a written file is checkpointed, then its
        lock released)."""
        with self.guard:
            f = self.files[key]
            f.users -= 1
            if f.users == 0:
                del self.files[key]
                self.con.execute(f"DETACH {f.alias}")


_SCRATCH: tuple[int, duckdb.DuckDBPyConnection] | None = None


def scratch() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for set work on data that is not in a ledger (reading a file,
    checking a column): a cursor (its own, so threads may share it) of one connection
    made once per process (a new one costs 30-50 ms), with DuckDB's progress bar off (a
    large file would draw it on stderr)."""
    global _SCRATCH
    with _SCRATCH_GUARD:  # its own lock: making it does not hold up the engine (warm_up)
        if _SCRATCH is None or _SCRATCH[0] != os.getpid():  # a forked child needs its own
            con = duckdb.connect()
            con.execute("SET enable_progress_bar = false")
            _spill_to(con, "scratch")
            _SCRATCH = (os.getpid(), con)
        return _SCRATCH[1].cursor()


_SPILL_PREFIX = "recon-spill-"
_LEFT_FOR_EXIT: list[duckdb.DuckDBPyConnection] = []


def _spill_to(con: duckdb.DuckDBPyConnection, which: str) -> str:
    """Point an in-memory DuckDB's spill files (what a large run does not fit in its
    memory bound) at a folder of this process's own in the system's temp folder
    ($TMPDIR): DuckDB's default, ".tmp" in the current folder, filled an analyst's
    folder with temp files, and a 1M-row apply started from a folder that cannot be
    written failed (exit 3). DuckDB makes the folder when it first spills and removes it
    when it closes; before_exit removes it at a quick exit."""
    path = os.path.join(tempfile.gettempdir(), f"{_SPILL_PREFIX}{os.getpid()}-{which}-{random.getrandbits(32):08x}")
    con.execute("SET temp_directory = " + "'" + path.replace("'", "''") + "'")  # SET takes no parameter
    return path


def before_exit() -> None:
    """Ready this process's DuckDB for an exit that does not tear the interpreter down
    (cli.run): every ledger still attached is detached (checkpointed, its lock released);
    what DuckDB spilled is removed with its folder. Closing the engine would remove it
    too, but frees a large run's temp tables one by one first (~0.1 s that the exit does
    at once); where the folder cannot be removed, it is closed after all."""
    global _ENGINE, _SCRATCH
    with _ENGINE_GUARD, _SCRATCH_GUARD:
        eng, _ENGINE = _ENGINE, None
        scr, _SCRATCH = _SCRATCH, None
    cons = []
    if eng is not None and eng.pid == os.getpid():
        for f in list(eng.files.values()):
            eng.con.execute(f"DETACH {f.alias}")
        eng.files.clear()
        cons.append(eng.con)
    if scr is not None and scr[0] == os.getpid():
        cons.append(scr[1])
    # kept referenced until the process ends: the last reference dropped would close the
    # connection, which frees every temp table one by one (~0.07 s after a 1M-row apply)
    _LEFT_FOR_EXIT.extend(cons)
    for con in cons:
        spill = con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
        if not os.path.basename(spill).startswith(_SPILL_PREFIX):
            con.close()  # never remove a folder recon did not choose: DuckDB cleans its own
            continue
        try:
            shutil.rmtree(spill)  # the process ends next: its open files go with it
        except FileNotFoundError:
            pass  # it never spilled
        except OSError:
            con.close()


class NeedsUpgrade(BadInput):
    """A ledger made by an older recon, opened read-only (it upgrades on a write open)."""


class _HeldHere(Exception):
    """This process holds the file read-only and a write wants it."""


_ENGINE: _Engine | None = None
_ENGINE_GUARD = threading.Lock()
_SCRATCH_GUARD = threading.Lock()
# files (device, inode) this process has seen to be recon ledgers: the check runs once
_LEDGERS: set[tuple[int, int]] = set()


def _engine() -> _Engine:
    global _ENGINE
    with _ENGINE_GUARD:
        if _ENGINE is None or _ENGINE.pid != os.getpid():  # a forked child needs its own
            _ENGINE = _Engine()
        return _ENGINE


def warm_up(files: bool = False, then: Callable[[], object] | None = None) -> None:
    """Start the engine (duckdb.connect and recon's macros: 30-60 ms) in the background
    while the caller goes on: cli.run parses the command line and imports the command's
    modules meanwhile. DuckDB lets go of the GIL while it starts, so on two cores the two
    overlap. ``files``: the scratch connection too (a command that reads files; it
    imports pandas and pyarrow meanwhile). ``then``: more to load after them, while the
    command runs its first queries (DuckDB lets go of the GIL in those too). Whoever
    needs one first waits for it (its lock); a failure here is left for that first use
    to raise."""

    def start() -> None:
        try:
            _engine()
            if files:
                scratch().close()
            if then is not None:
                then()
        except Exception:  # the first real use raises it, with its context
            pass

    threading.Thread(target=start, name="recon-engine-start", daemon=True).start()


def held() -> dict[str, str]:
    """The ledger files this process holds now, with their mode ("read-only"/"read-write").
    Between operations of a :class:`recon.Ledger` it is empty."""
    eng = _ENGINE
    if eng is None or eng.pid != os.getpid():
        return {}
    with eng.guard:
        return {k: "read-only" if f.read_only else "read-write" for k, f in eng.files.items()}


def _attach_waiting(eng: _Engine, path: Path, read_only: bool, wait: float) -> tuple[str, str, bool]:
    """eng.attach, retried while another process holds the file, for up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    told, pause = False, 0.02
    while True:
        try:
            return eng.attach(path, read_only)
        except duckdb.IOException as exc:
            holder = _LOCK.search(str(exc))
            if holder is None:
                raise BadInput(f"ledger {path} cannot be opened: {_first_line(exc)}") from None
            who = f"another process ({holder['prog'].strip()}, PID {holder['pid']})"
        except _HeldHere:
            who = f"this process (PID {os.getpid()}, open read-only by another Ledger or session)"
        except duckdb.Error as exc:
            if "Unique file handle conflict" in str(exc):
                raise LedgerInUse(
                    f"ledger {path} is open in another DuckDB connection of this process: "
                    "close that connection, then run again") from None
            raise BadInput(f"ledger {path} cannot be opened: {_first_line(exc)}") from None
        left = deadline - time.monotonic()
        if left <= 0:
            waited = f"; waited {_seconds(wait)}" if wait > 0 else ""
            raise LedgerInUse(
                f"ledger {path} is in use by {who}{waited}: wait for it to finish, or close that "
                "notebook kernel or command, then run again (--wait SECONDS or RECON_WAIT waits longer)")
        if not told:
            say_waiting(f"recon: ledger {path} is in use by {who}; waiting up to {_seconds(wait)}")
            told = True
        # jittered so that processes polling the same file do not move in step
        time.sleep(min(left, pause * random.uniform(0.5, 1.5)))
        pause = min(pause * 2, 0.25)


def _seconds(s: float) -> str:
    return f"{s:g} s"


def _release(eng: _Engine, key: str, con) -> None:
    try:
        con.close()  # rolls back anything left open
    finally:
        eng.detach(key)


class Database:
    """A ledger file and, while an operation runs, its DuckDB connection and transaction.

    ``Database(path)`` opens at once (read-write, or ``read_only``); :meth:`close`
    releases the file. A handle made with ``on_demand=True`` (what :class:`recon.Ledger`
    keeps) connects again by itself when used after closing, in the mode of
    :attr:`read_only`. ``wait``: seconds to wait for a file another process holds
    (None: the CLI's --wait, else $RECON_WAIT, else 10).
    """

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False, create: bool = False,
                 wait: float | None = None, on_demand: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self.wait = wait
        self.on_demand = on_demand
        self._con: duckdb.DuckDBPyConnection | None = None
        self._release: weakref.finalize | None = None
        self._in_tx = False
        self.temp_kinds: dict[str, str] = {}  # (open() explains)
        if not create and not self.path.exists():
            raise BadInput(
                f"ledger {self.path} does not exist: create it with `recon init --ledger {self.path}`"
            )
        # init on an existing ledger is idempotent: the schema is IF NOT EXISTS
        self.open(create=create)

    # -- lifecycle -------------------------------------------------------------------
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (connecting now if this handle is on demand)."""
        if self._con is None:
            if not self.on_demand:
                raise ReconError(f"ledger {self.path} is closed: open it again")
            self.open()
        return self._con

    @property
    def is_open(self) -> bool:
        return self._con is not None

    def open(self, *, read_only: bool | None = None, create: bool = False) -> Database:
        """Attach the file (waiting while another process holds it); a no-op when open."""
        if self._con is not None:
            return self
        if read_only is not None:
            self.read_only = read_only
        if create and self.read_only:
            raise ReconError(f"ledger {self.path} cannot be created read-only")
        eng = _engine()
        key, alias, shared = _attach_waiting(eng, self.path, self.read_only, wait_seconds(self.wait))
        try:
            con = eng.cursor(alias)
            con.execute("CREATE TEMP TABLE touched (invoice_id VARCHAR)")
        except BaseException:
            eng.detach(key)
            raise
        self._con = con
        # TEMP objects a run leaves on this connection whose kind (TABLE or VIEW) varies
        # from run to run, by name (credits._stage): a new connection has none
        self.temp_kinds: dict[str, str] = {}
        self._release = weakref.finalize(self, _release, eng, key, con)
        try:
            if create:
                self._create_schema()
            elif not shared:
                self._check_schema()
            # per-connection views over the ledger's tables (views.sql), once they exist
            for stmt in sql.statements("views"):
                con.execute(stmt)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Release the file (a written ledger is checkpointed first); safe to repeat."""
        release, self._release, self._con, self._in_tx = self._release, None, None, False
        if release is not None:
            release()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def reading(self):
        """This connection if one is open, else a read-only one for the block: how a
        result read after its operation (a lazy frame) opens the ledger again."""
        if self._con is not None:
            yield self
            return
        mode = self.read_only
        self.open(read_only=True)
        try:
            yield self
        finally:
            self.close()
            self.read_only = mode

    def _check_schema(self) -> None:
        # once per file and process: a ledger stays one (~1 ms saved on every open)
        st = os.stat(self.path)
        if (st.st_dev, st.st_ino) in _LEDGERS:
            return
        # the version read at once (listing the catalog's tables to find `meta` first cost
        # 3-12 ms more, being the first look at the file's catalog)
        try:
            version = self.scalar("SELECT value FROM meta WHERE key = 'schema_version'")
        except (duckdb.CatalogException, duckdb.BinderException):
            raise BadInput(f"{self.path} is not a recon ledger: create one with `recon init`") from None
        self._upgrade(int(version or 1))
        self._register_currencies()
        _LEDGERS.add((st.st_dev, st.st_ino))

    def _upgrade(self, version: int) -> None:
        """Bring a ledger made by an older recon (schema ``version``) to this schema
        (sql/migrate_v*.sql)."""
        if version >= SCHEMA_VERSION:
            return
        if self.read_only:
            raise NeedsUpgrade(f"ledger {self.path} was made by an older recon (schema {version}); open it "
                           "once for writing to upgrade it, e.g. `recon upgrade --ledger "
                           f"{self.path}`")
        with self.transaction():
            for stmt in sql.statements("schema"):
                self.con.execute(stmt)
            for step in range(max(version, 1) + 1, SCHEMA_VERSION + 1):
                for stmt in sql.statements(f"migrate_v{step}"):
                    self.con.execute(stmt)

    def _create_schema(self) -> None:
        with self.transaction():
            for stmt in sql.statements("schema"):
                self.con.execute(stmt)
            codes = sorted(known_currencies())
            digits = [currency_digits(c) for c in codes]
            # one statement for ~160 rows (executemany pays a round trip per row). A ledger
            # made before the ISO 4217 data (babel's CLDR digits: HUF 0) gets ISO's when
            # `recon init` runs on it again; only ever more decimals, so every amount it
            # holds stays valid.
            self.execute(
                "INSERT INTO currencies SELECT unnest($c), unnest($d), unnest($s)"
                " ON CONFLICT (currency) DO UPDATE SET digits = excluded.digits,"
                " step_milli = excluded.step_milli WHERE excluded.digits > currencies.digits",
                {"c": codes, "d": digits, "s": [step_milli(d) for d in digits]},
            )
        self._register_currencies()

    def _register_currencies(self) -> None:
        """Currencies this ledger added beyond ISO 4217 (money.add_currency), known to
        this process from the first open of the file (ISO's digits still win for ISO codes)."""
        for code, digits in self.con.execute("SELECT currency, digits FROM currencies").fetchall():
            register_currency(code, digits)

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
        # DuckDB's catalog is transactional: a rollback brings back the TEMP objects the
        # transaction replaced, so what this connection remembers of them goes back too
        kinds = dict(self.temp_kinds)
        try:
            yield self
        except BaseException:
            self._in_tx, self.temp_kinds = False, kinds
            self.con.execute("ROLLBACK")
            raise
        self._in_tx = False
        if not keep:
            self.temp_kinds = kinds
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
        import pandas as pd  # here, not at the top: a command that prints no frame never imports it

        return table.to_pandas(types_mapper=pd.ArrowDtype)

    def arrow(self, query: str, params: dict | None = None):
        """A query's rows as an Arrow table (exact types), for writing files."""
        return self.con.sql(query, params=params or {}).to_arrow_table()

    def scalar(self, query: str, params: dict | None = None):
        rows = self.con.execute(query, params or {}).fetchall()
        return rows[0][0] if rows else None

    def rows(self, query: str, params: dict | None = None) -> list[tuple]:
        return self.con.execute(query, params or {}).fetchall()

    def records(self, query: str, params: dict | None = None) -> list[tuple]:
        """A query's rows as named tuples of exact Python values (Decimal, date, str,
        None): for the command line, which prints a few rows and need not import pandas."""
        cur = self.con.execute(query, params or {})
        record = collections.namedtuple("Record", [d[0] for d in cur.description], rename=True)
        return [record(*r) for r in cur.fetchall()]

    @contextmanager
    def memory(self, limit: str):
        """DuckDB's memory bounded to ``limit`` (e.g. "2GB") for a block: it spills to its
        temp directory rather than grow. A setting of this process's engine, so of every
        ledger the process has open: a tighter bound set before (a notebook's own ``SET
        memory_limit``) is kept, and what was set before is set back after (DuckDB's
        default exactly; another bound as DuckDB prints it, to a tenth of its unit)."""
        before = self._memory_limit()
        self.execute(f"SET memory_limit = '{limit}'")  # a constant of recon's, never input
        if _size_bytes(before) < _size_bytes(self._memory_limit()):
            self._set_memory_limit(before)
        try:
            yield
        finally:
            self.execute("RESET memory_limit")
            if self._memory_limit() != before:
                self._set_memory_limit(before)

    def _set_memory_limit(self, printed: str) -> None:
        """Set a bound DuckDB printed ("476.8 MiB") again. It prints sizes cut to a tenth of
        their unit, so the printed size itself would come back smaller (476.7 MiB) and shrink
        a little at every run: the middle of what it stands for comes back as printed."""
        m = _SIZE.fullmatch(printed)
        if m is None:
            self.execute(f"SET memory_limit = '{printed}'")  # DuckDB's own words, not input
            return
        places = len(m[1].partition(".")[2])
        size = (Decimal(m[1]) + Decimal(5).scaleb(-places - 1)) * _UNIT[m[2].lower()]
        self.execute(f"SET memory_limit = '{int(size)} bytes'")

    def _memory_limit(self) -> str:
        return self.scalar("SELECT current_setting('memory_limit')")

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
            "INSERT INTO audit_log (audit_id, logged_at, os_user, command, batch_id, invoices_created,"
            " items_created, links_changed, totals, detail)"
            " SELECT coalesce(max(audit_id), 0) + 1, $at, $user, $command, $batch, $inv, $items, $links,"
            " $totals, $detail FROM audit_log",
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


_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(bytes|[KMGTP]i?B)\s*", re.IGNORECASE)
_UNIT = {"bytes": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15,
         "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50}


def _size_bytes(text: str) -> float:
    """A size as DuckDB prints it ("762.9 MiB") in bytes; infinite when it reads otherwise."""
    m = _SIZE.fullmatch(text or "")
    return int(Decimal(m[1]) * _UNIT[m[2].lower()]) if m else math.inf


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers): fall back to the uid
        return str(os.getuid())


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
