"""The SQL layer: every statement recon runs lives in a .sql file in this folder.

Statements take values only as named parameters (``$name``); nothing is pasted in.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib.resources import files


@cache
def load(name: str) -> str:
    """The text of ``recon/sql/<name>.sql``."""
    return files(__package__).joinpath(f"{name}.sql").read_text(encoding="utf-8")


def statements(name: str) -> list[str]:
    """A .sql file of several statements, split on ``;`` at line ends."""
    parts = [s.strip() for s in load(name).split(";\n")]
    return [p for p in parts if p and not all(line.startswith("--") for line in p.splitlines())]


def used(stmt: str, params: dict | None) -> dict:
    """The ``params`` that ``stmt`` uses: DuckDB refuses a parameter a statement does not
    use, and a ``$name`` in a comment is no parameter."""
    code = re.sub(r"--[^\n]*", "", stmt)
    return {k: v for k, v in (params or {}).items() if re.search(rf"\${k}\b", code)}


# A branch of a UNION ALL that can only find rows where one of these columns is filled
# says so on a comment line of its own: "-- only with: amount, percent".
_ONLY_WITH = re.compile(r"^\s*-- only with: ([\w, ]+)$", re.MULTILINE)


@lru_cache(maxsize=64)
def pruned(name: str, empty: frozenset[str]) -> str:
    """``recon/sql/<name>.sql``, a statement of UNION ALL (or UNION ALL BY NAME) branches,
    without the branches marked "-- only with: ..." whose names are all in ``empty``: the
    request columns empty in every row of the run, or the kinds of request it has none of
    (credits.py). Those branches could find nothing, and DuckDB plans every branch it is
    given; a one-item credit spent more time planning its checks than running them. A
    last line ``ORDER BY ...`` orders what is left."""
    text = load(name)
    *head, last = text.rstrip().rsplit("\n", 1)
    order = ""
    if last.lstrip().upper().startswith("ORDER BY"):
        text, order = head[0], "\n" + last
    first, *rest = _UNION.split(text)
    kept = [first]
    for sep, branch in zip(rest[::2], rest[1::2], strict=True):
        marks = _ONLY_WITH.findall(branch.split("SELECT", 1)[0])
        cols = {c.strip() for m in marks for c in m.split(",") if c.strip()}
        if not cols or not cols <= empty:
            kept += [sep, branch]
    return "".join(kept) + order


# a branch's separator, kept (captured) to join what is left
_UNION = re.compile(r"(\nUNION ALL(?: BY NAME)?\n)")
