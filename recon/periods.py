"""Closing a month: sign-off, the lock on closed months, reopening (SPEC §2 and §7).

A controller closes October once its report ties: ``close`` checks the report (the
roll-forward ties, no exception as the ledger stood at the month's end), stores who
closed it, when, and a digest of each of the report's tables. From then on:

- **the books do not move**: every change carries the day it takes effect (history.py),
  and nothing may be dated on or before the end of the last closed month
  (:func:`refuse_if_locked`, and the ``period_closed`` checks of bulk runs and imports);
- **the report reads as signed off**: a later report of October recomputes its tables
  and compares their digests with the stored ones (:func:`close_state`); a difference is
  an exception naming the table, and the report exits 1.

Months close in order: a month closes only when every earlier month with activity is
closed, and reopens only when no later month is closed. Every close, review and reopen
is recorded in ``period_events`` (who, when, why) and in the audit log. The lock runs to
the end of the last closed month, so a month without activity before it is locked too
(a fact dated there would change the closed month's opening balance).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from typing import TYPE_CHECKING

from . import sql
from .db import Database
from .errors import BadInput

if TYPE_CHECKING:
    import pandas as pd

_PERIOD = re.compile(r"^([0-9]{4})-([0-9]{2})$")  # ASCII digits only (\d takes ٢٠٢٦)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
#: report tables that are not part of a close's digest: the GL comparison depends on a
#: file given at report time, not on the ledger
NOT_DIGESTED = ("gl",)


def parse_date(value, what: str) -> dt.date:
    """A day given as a date or as YYYY-MM-DD text exactly (fromisoformat alone also takes
    20261001 and 2026-W40); ``what`` names it in the refusal."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if _ISO_DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise BadInput(f"{what} {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-10-31")


def parse_period(period: str) -> tuple[dt.date, dt.date]:
    """'2026-10' -> (first day, last day) of that calendar month."""
    m = _PERIOD.match(str(period).strip())
    # from 1900: the report rebuilds the ledger at the end of the month before (0001-01
    # has none: OverflowError, exit 3)
    if not m or not 1 <= int(m[2]) <= 12 or not 1900 <= int(m[1]) <= 9998:
        raise BadInput(f"--period {period!r}: give a calendar month as YYYY-MM (1900-01 to 9998-12), e.g. 2026-10")
    start = dt.date(int(m[1]), int(m[2]), 1)
    nxt = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def month_of(day: dt.date) -> str:
    return f"{day:%Y-%m}"


def _next_month(period_end: dt.date) -> str:
    return month_of(period_end + dt.timedelta(days=1))


# -- the lock ---------------------------------------------------------------------------------


def lock(db: Database) -> dict | None:
    """The last closed month (period, period_end, closed_by, closed_at), or None."""
    rows = db.rows("SELECT period, period_end, closed_by, closed_at FROM period_closes"
                   " ORDER BY period_end DESC LIMIT 1")
    if not rows:
        return None
    period, end, by, at = rows[0]
    return {"period": period, "period_end": end, "closed_by": by, "closed_at": at}


def locked_through(db: Database) -> dt.date | None:
    """Nothing may be dated on or before this day (the end of the last closed month)."""
    found = lock(db)
    return found["period_end"] if found else None


def lock_params(db: Database) -> dict:
    """What the SQL checks of a run need to refuse rows dated in a closed month:
    $locked_through (NULL when nothing is closed), $lock_note (the closed month, who
    closed it and when) and $first_open (the first month that can take the row)."""
    found = lock(db)
    if found is None:
        return {"locked_through": None, "lock_note": None, "first_open": None}
    return {"locked_through": found["period_end"], "lock_note": _note(found),
            "first_open": _next_month(found["period_end"])}


def _note(found: dict) -> str:
    return f"{found['period']} (closed on {found['closed_at']:%Y-%m-%d} by {found['closed_by']})"


def refuse_if_locked(db: Database, day: dt.date, what: str) -> None:
    """Refuse a change whose effect would be dated ``day`` inside (or before) a closed month.

    ``what`` names the date as the user gave it (``--date 2026-10-15``)."""
    found = lock(db)
    if found is None or day > found["period_end"]:
        return
    inside = "falls in" if month_of(day) == found["period"] else "falls before the end of"
    raise BadInput(
        f"{what} {inside} closed period {_note(found)}; date it in {_next_month(found['period_end'])} "
        f"or later, or reopen {found['period']} (`recon reopen --period {found['period']} --by NAME "
        "--reason TEXT`)")


# -- the list of months -------------------------------------------------------------------------


def periods(db: Database) -> pd.DataFrame:
    """Every month from the first with activity to the last with activity or a close:
    its state (open/closed), how many facts are dated in it, who closed and reviewed it."""
    return db.frame(sql.load("periods"))


# -- digests of a report's tables ---------------------------------------------------------------


def table_digests(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """sha256 of each report table as CSV (exact values, fixed row order)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    out = {}
    for name, df in tables.items():
        if name in NOT_DIGESTED:
            continue
        buf = io.BytesIO()
        pacsv.write_csv(pa.Table.from_pandas(df, preserve_index=False), buf)
        out[name] = hashlib.sha256(buf.getvalue()).hexdigest()
    return out


def overall(digests: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()


def close_state(db: Database, period: str, tables: dict[str, pd.DataFrame]) -> dict | None:
    """None for an open month; for a closed one, who closed and reviewed it and whether
    the report's tables still read as they did at the close (``changed_tables``)."""
    rows = db.rows("SELECT closed_by, closed_at, reviewed_by, reviewed_at, digest, table_digests"
                   " FROM period_closes WHERE period = $p", {"p": period})
    if not rows:
        return None
    by, at, rev_by, rev_at, digest, stored = rows[0]
    stored = json.loads(stored)
    now = table_digests(tables)
    # a table a later recon added to the report was not signed off: only the tables of
    # the close are compared
    changed = [t for t in stored if now.get(t) != stored[t]]
    return {"state": "closed", "closed_by": by, "closed_at": at, "reviewed_by": rev_by,
            "reviewed_at": rev_at, "digest": digest, "digest_matches": not changed,
            "changed_tables": changed}


# -- close, review, reopen -----------------------------------------------------------------------


def _name(value: str | None, flag: str) -> str:
    text = (value or "").strip()
    if not text:
        raise BadInput(f"{flag}: give the name of the person (e.g. {flag} 'Maria Rossi')")
    if len(text) > 200:
        raise BadInput(f"{flag}: a name of at most 200 characters")
    return text


def close(db: Database, period: str, by: str, *, reviewed_by: str | None = None,
          today: dt.date | None = None) -> dict:
    """Close ``period`` after checking its report; returns the stored close."""
    from .report import build

    start, end = parse_period(period)
    period = month_of(start)
    by = _name(by, "--by")
    reviewer = _name(reviewed_by, "--reviewed-by") if reviewed_by is not None else None
    if reviewer is not None and reviewer.casefold() == by.casefold():
        raise BadInput(f"--reviewed-by {reviewer!r}: the reviewer must be another person than "
                       "the one who closes the month")
    today = today or dt.date.today()
    with db.transaction():
        if db.scalar("SELECT count(*) FROM period_closes WHERE period = $p", {"p": period}):
            found = db.rows("SELECT closed_by, closed_at FROM period_closes WHERE period = $p",
                            {"p": period})[0]
            raise BadInput(f"{period} is already closed (on {found[1]:%Y-%m-%d} by {found[0]}); "
                           f"reopen it first to close it again")
        if end >= today:
            raise BadInput(f"{period} has not ended yet (its last day is {end}); close it from "
                           f"{end + dt.timedelta(days=1)} on")
        later = db.scalar("SELECT min(period) FROM period_closes WHERE period > $p", {"p": period})
        if later:
            raise BadInput(f"{period} lies before the closed month {later}; reopen {later} first")
        open_before = [p for (p,) in db.rows(
            f"SELECT period FROM ({sql.load('periods')}) WHERE period < $p AND state = 'open'"
            " AND facts > 0 ORDER BY period", {"p": period})]
        if open_before:
            raise BadInput(f"{period} cannot be closed while earlier months with activity are open: "
                           f"{', '.join(open_before)}; close them first, in order")
        rep = build(db, period)
        problems = []
        for table, what in (("rollforward", "the roll-forward"),
                            ("credit_rollforward", "the credit roll-forward")):
            bad = rep.tables[table]
            bad = bad[bad["difference"] != 0]
            if len(bad):
                problems.append(f"{what} does not tie ("
                                + ", ".join(f"{r.currency} difference {r.difference}" for r in bad.itertuples())
                                + ")")
        exc = rep.tables["exceptions"]
        if not exc.empty:
            problems.append(f"{len(exc)} exception(s) as of {end}: {_counts(exc)}")

        if problems:
            raise BadInput(f"{period} cannot be closed: {'; '.join(problems)}; see "
                           f"`recon report --period {period}`, correct the ledger and close again")
        digests = table_digests(rep.tables)
        digest = overall(digests)
        now = dt.datetime.now().replace(microsecond=0)
        db.execute("INSERT INTO period_closes VALUES ($p, $s, $e, $by, $at, $d, $t, $rb, $ra)",
                   {"p": period, "s": start, "e": end, "by": by, "at": now, "d": digest,
                    "t": json.dumps(digests, sort_keys=True), "rb": reviewer,
                    "ra": now if reviewer else None})
        _event(db, period, "close", by, now, None, digest)
        if reviewer:
            _event(db, period, "review", reviewer, now, None, digest)
        db.audit("close", detail={"period": period, "by": by, "reviewed_by": reviewer, "digest": digest})
    return {"period": period, "closed_by": by, "closed_at": now, "reviewed_by": reviewer,
            "digest": digest}


def _counts(exc: pd.DataFrame) -> str:
    counts = exc["rule"].value_counts().sort_index()
    return ", ".join(f"{r} {n}" for r, n in counts.items())


def review(db: Database, period: str, by: str) -> dict:
    """Record the reviewer of a closed month (another person than the one who closed it)."""
    start, _ = parse_period(period)
    period = month_of(start)
    by = _name(by, "--by")
    with db.transaction():
        rows = db.rows("SELECT closed_by, digest FROM period_closes WHERE period = $p", {"p": period})
        if not rows:
            raise BadInput(f"{period} is not closed; close it first (`recon close --period {period} --by NAME`)")
        closer, digest = rows[0]
        if closer.casefold() == by.casefold():
            raise BadInput(f"--by {by!r}: {period} was closed by {closer}; the review needs another person")
        now = dt.datetime.now().replace(microsecond=0)
        db.execute("UPDATE period_closes SET reviewed_by = $b, reviewed_at = $at WHERE period = $p",
                   {"b": by, "at": now, "p": period})
        _event(db, period, "review", by, now, None, digest)
        db.audit("review", detail={"period": period, "by": by})
    return {"period": period, "reviewed_by": by, "reviewed_at": now}


def reopen(db: Database, period: str, by: str, reason: str) -> dict:
    """Reopen a closed month (the last one closed), audited with who and why."""
    start, _ = parse_period(period)
    period = month_of(start)
    by = _name(by, "--by")
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("--reason: say why the month is reopened (it is kept in the audit)")
    with db.transaction():
        rows = db.rows("SELECT digest FROM period_closes WHERE period = $p", {"p": period})
        if not rows:
            raise BadInput(f"{period} is not closed; nothing to reopen")
        later = db.scalar("SELECT max(period) FROM period_closes WHERE period > $p", {"p": period})
        if later:
            raise BadInput(f"{period} cannot be reopened while the later month {later} is closed; "
                           f"reopen {later} first")
        now = dt.datetime.now().replace(microsecond=0)
        db.execute("DELETE FROM period_closes WHERE period = $p", {"p": period})
        _event(db, period, "reopen", by, now, reason, rows[0][0])
        db.audit("reopen", detail={"period": period, "by": by, "reason": reason})
    return {"period": period, "reopened_by": by, "reopened_at": now, "reason": reason}


def _event(db: Database, period: str, action: str, by: str, at: dt.datetime, reason, digest) -> None:
    db.execute("INSERT INTO period_events SELECT coalesce(max(event_id), 0) + 1, $p, $a, $b, $at, $r, $d"
               " FROM period_events",
               {"p": period, "a": action, "b": by, "at": at, "r": reason, "d": digest})
