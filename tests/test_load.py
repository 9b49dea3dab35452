"""Proof under load: three analysts on one ledger at the same time (issue 16).

For 18 seconds (each makes its first few operations in any case), three processes share
the sample ledger:

- a notebook: one long-lived ``recon.Ledger`` making a one-unit credit every 0.25 s;
- a bulk runner: ``recon apply`` of one 4-row corrections file after another, through
  the real command line, one file given twice;
- the controller: ``recon report`` and ``recon export`` in turn.

Afterwards every operation either succeeded or was refused with exit 2 after its full
wait; nothing was applied twice or half; every invariant holds; and what the workers
logged as done is exactly what the ledger holds, credit invoice by credit invoice and
amount by amount, per origin. Notebook and bulk runner credit different debit invoices
(even and odd ones), one unit of items of at least two, so no business rule refuses one.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal as D
from pathlib import Path

import pandas as pd

import recon
from recon.integrity import breaches
from tests.conftest import recon_command

WORKER = Path(__file__).with_name("load_worker.py")
DURATION = 18  # seconds of concurrent work; the slowest operation then finishes
WAIT = 10  # the default --wait
ROWS_PER_FILE = 4

# items of unpaid debit invoices without payments, quantity at least 2 (a one-unit credit
# leaves every such invoice unpaid); side: even or odd invoice, whose worker credits it
POOL = """
SELECT d.invoice_id AS debit, i.item_id AS item,
       row_number() OVER (PARTITION BY d.invoice_id ORDER BY i.line_no) AS nth,
       dense_rank() OVER (ORDER BY d.invoice_id) % 2 AS side
FROM invoices d JOIN invoice_items i USING (invoice_id)
WHERE d.type = 'debit' AND d.status = 'unpaid' AND i.quantity >= 2
  AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = d.invoice_id)
ORDER BY d.invoice_id, i.line_no
"""


def _plan(ledger: Path, work: Path) -> tuple[list, list[Path], dict[Path, int]]:
    with recon.Ledger(ledger).session() as db:
        pool = db.frame(POOL)
    picks = pool[pool.side == 0][["debit", "item"]].values.tolist()
    bulk_rows = pool[(pool.side == 1) & (pool.nth == 1)]
    files, rows = [], {}
    for n, start in enumerate(range(0, len(bulk_rows) - ROWS_PER_FILE + 1, ROWS_PER_FILE)):
        part = bulk_rows.iloc[start:start + ROWS_PER_FILE]
        path = work / f"corrections-{n:02}.csv"
        pd.DataFrame({"debit_invoice_id": part.debit, "item_id": part.item, "quantity": "1",
                      "reason": "Load test: bulk"}).to_csv(path, index=False)
        files.append(path)
        rows[path] = len(part)
    # the same bytes again under another name: the same batch, which must apply once
    again = work / "corrections-00-again.csv"
    again.write_bytes(files[0].read_bytes())
    rows[again] = rows[files[0]]
    files.insert(1, again)
    assert len(picks) >= 100 and len(files) >= 12
    return picks, files, rows


def _start(role: str, cfg: dict, work: Path) -> tuple[subprocess.Popen, Path]:
    log = work / f"{role}.jsonl"
    config = work / f"{role}.json"
    config.write_text(json.dumps(dict(cfg, log=str(log))))
    proc = subprocess.Popen([sys.executable, str(WORKER), role, str(config)], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return proc, log


def _refused_after_waiting(entry: dict) -> bool:
    text = entry.get("message") or entry.get("stderr", "")
    return entry["code"] == 2 and "is in use by" in text and f"waited {WAIT} s" in text


def _credited(stderr: str) -> dict[str, D]:
    """The totals `recon apply` reports: '... credited 1,212.40 EUR, 3.00 USD; ...'."""
    m = re.search(r"credited (.*?); ", stderr)
    pairs = re.findall(r"(-?[\d,]+(?:\.\d+)?) ([A-Z]{3})", m[1])
    assert pairs, m[1]
    return {cur: D(amount.replace(",", "")) for amount, cur in pairs}


def test_three_analysts_at_once(sample_copy, tmp_path):
    started = time.monotonic()
    picks, files, rows = _plan(sample_copy, tmp_path)
    common = {"ledger": str(sample_copy), "wait": WAIT, "recon": recon_command()}
    workers = {
        "notebook": _start("notebook", dict(common, picks=picks, pause=0.25, least=3), tmp_path),
        # the first two files are the same batch: applied once, then refused as done
        "bulk": _start("bulk", dict(common, files=[str(f) for f in files], pause=0.1, least=2),
                       tmp_path),
        "reports": _start("reports", dict(common, out=str(tmp_path / "out"), pause=0.1, least=1),
                          tmp_path),
    }
    try:
        for proc, _ in workers.values():
            assert proc.stdout.readline().strip() == "ready"
        for proc, _ in workers.values():  # all three start now
            proc.stdin.write(f"{DURATION}\n")
            proc.stdin.flush()
        for role, (proc, _) in workers.items():
            assert proc.wait(timeout=DURATION + 2 * WAIT + 60) == 0, role
    finally:
        for proc, _ in workers.values():
            proc.kill()
    logs = {role: [json.loads(line) for line in log.read_text().splitlines()]
            for role, (_, log) in workers.items()}

    # 1. every operation succeeded, or was refused with exit 2 after its whole wait
    refused = Counter()
    for role, entries in logs.items():
        for e in entries:
            if not e["ok"]:
                assert _refused_after_waiting(e), (role, e)
                refused[role] += 1
    done = {role: [e for e in entries if e["ok"]] for role, entries in logs.items()}

    lg = recon.Ledger(sample_copy)
    with lg.session() as db:
        # 2. every invariant holds
        found = breaches(db)
        assert found.empty, found.to_string()
        heads = db.frame("SELECT invoice_id, origin, batch_id, currency, total FROM invoices"
                         " WHERE type = 'credit'")
        lines = db.frame("SELECT c.batch_id, count(*) AS items FROM invoice_items ci"
                         " JOIN invoices c USING (invoice_id) WHERE c.origin = 'bulk' GROUP BY 1")
        audit = dict(db.rows("SELECT command, count(*) FROM audit_log GROUP BY 1"))

    # 3. the notebook's credits: exactly the ones it was told were made, to the cent
    made = done["notebook"]
    manual = heads[heads.origin == "manual"]
    assert sorted(e["credit"] for e in made) == sorted(manual.invoice_id)
    assert len(set(manual.invoice_id)) == len(manual)
    logged = defaultdict(D)
    for e in made:
        for cur, amount in e["totals"].items():
            logged[cur] += D(amount)
    assert dict(logged) == manual.groupby("currency").total.sum().to_dict()
    assert audit.get("credit", 0) == len(made)

    # 4. the bulk files: each batch applied once and whole; refused files left no trace
    applied, said, repeats = {}, defaultdict(D), []
    for e in done["bulk"]:
        again = re.search(r"batch (\S+) was already applied", e["stderr"])
        if again:
            repeats.append(again[1])
            continue
        batch = e["stdout"].strip().splitlines()[-1]
        assert batch not in applied, "a batch applied twice"
        applied[batch] = rows[Path(e["file"])]
        for cur, amount in _credited(e["stderr"]).items():
            said[cur] += amount
    assert all(b in applied for b in repeats)  # a file given again changed nothing
    if logs["bulk"][0]["ok"] and logs["bulk"][1]["ok"]:
        assert len(repeats) == 1
    bulk = heads[heads.origin == "bulk"]
    assert bulk.groupby("batch_id").size().to_dict() == applied  # one credit per row's debit
    assert dict(zip(lines.batch_id, lines["items"], strict=True)) == applied
    assert dict(said) == bulk.groupby("currency").total.sum().to_dict()
    assert audit.get("apply", 0) == len(applied)

    # 5. every report and export that ran saw whole batches only, and its files are there
    for e in done["reports"]:
        if e["op"] == "report":
            assert list(Path(e["out"]).glob("*.html")), e
        else:
            snap = pd.read_csv(Path(e["out"]) / "invoices.csv", dtype=str, keep_default_na=False)
            seen = snap[snap.origin == "bulk"].groupby("batch_id").size().to_dict()
            assert all(applied.get(b) == n for b, n in seen.items()), seen
            assert set(snap[snap.origin == "manual"].invoice_id) <= set(manual.invoice_id)

    counts = {role: (len(done[role]), sum(e["waited"] for e in done[role]), refused[role])
              for role in logs}
    print(f"\nload test: {time.monotonic() - started:.1f} s; (done, of which waited, refused after "
          f"{WAIT} s): {counts}; "
          f"{len(manual)} manual and {len(bulk)} bulk credit invoices, "
          f"{len(repeats)} repeated file(s) changed nothing")
    # every worker got its turns (most succeed: the waits are far longer than any hold)
    assert len(made) >= 1 and len(applied) >= 1 and done["reports"]
