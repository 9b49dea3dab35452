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


def test_notebooks_leave_no_scratch_ledger_behind():
    # a TemporaryDirectory is removed when the kernel stops; the stories that end close
    # the ledger and remove it themselves
    for nb in NOTEBOOKS:
        src = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"]
                        if c["cell_type"] == "code")
        assert "tempfile.TemporaryDirectory(" in src and "mkdtemp" not in src, nb.name
        if "CreditDialog" not in src:  # the dialog keeps its ledger open for the analyst
            assert "scratch.cleanup()" in src, nb.name


def _run(nb: Path, tmp: Path) -> list[str]:
    """Execute a notebook as JupyterLab would; every output as text and HTML."""
    import os

    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(nb, as_version=4)
    os.environ["TMPDIR"] = str(tmp)  # the scratch folder lands where the test can look
    try:
        NotebookClient(book, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(nb.parent)}}).execute()
    finally:
        os.environ.pop("TMPDIR", None)
    texts = []
    for cell in book.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            texts.append(out.get("text", "") + data.get("text/plain", "") + data.get("text/html", ""))
    return texts


def test_what_the_notebooks_show(tmp_path):
    """Money as money, no cut text, no advice to run a command, no scratch folder left."""
    import re

    for nb in NOTEBOOKS:
        if nb.name.startswith("01"):
            continue  # the dialog's notebook: tests/test_browser.py runs it in JupyterLab
        out = "\n".join(_run(nb, tmp_path))
        assert "`recon " not in out and "recon show" not in out, nb.name
        assert "…" not in out, nb.name                      # nothing cut short
        # no amount without its thousands separators (29842.70), no float's digits
        # (a quantity in a message stays exact: "at most 3005.92 can be credited")
        money = r"(?<![\d.,])-?\d{4,}\.\d{2}(?![\d%])"
        if not nb.name.startswith("03"):
            assert not re.search(money, out), (nb.name, re.findall(money, out)[:5])
        else:  # the problems, whole: reason and fix
            assert "quantity exceeds the 3005.92 still creditable on item ITM-0000005" in out
            assert "lower the quantity to at most 3005.92" in out
        assert not re.search(r"\d\.\d{7,}", out), nb.name
        assert "Decimal(" not in out and "'33.330'" not in out, nb.name
        assert list(tmp_path.glob("recon-notebook-*")) == [], nb.name
