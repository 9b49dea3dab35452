"""The SQL layer: every statement recon runs lives in a .sql file in this folder.

Statements take values only as named parameters (``$name``); nothing is pasted in.
"""

from __future__ import annotations

from functools import cache
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
    import re

    code = re.sub(r"--[^\n]*", "", stmt)
    return {k: v for k, v in (params or {}).items() if re.search(rf"\${k}\b", code)}
