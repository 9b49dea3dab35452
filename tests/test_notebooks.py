"""The notebooks: stored without outputs, thin over the API (the suite also runs them
with nbmake: `pytest --nbmake notebooks`)."""

from __future__ import annotations

import json
from pathlib import Path

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_at_least_five_worked_stories():
    assert len(NOTEBOOKS) >= 5


def test_stored_without_outputs():
    for nb in NOTEBOOKS:
        cells = json.loads(nb.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), nb.name


def test_no_business_logic_in_notebooks():
    # They call the API; they never write SQL against the ledger's tables to change them.
    for nb in NOTEBOOKS:
        cells = json.loads(nb.read_text())["cells"]
        src = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for sql in ("INSERT INTO", "UPDATE ", "DELETE FROM", "lg.db."):
            assert sql.lower() not in src.lower(), (nb.name, sql)
