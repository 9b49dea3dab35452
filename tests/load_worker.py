"""One analyst of the load test (tests/test_load.py), run as its own process.

    python tests/load_worker.py ROLE CONFIG.json

ROLE ``notebook``: one long-lived ``recon.Ledger`` making a credit every few hundred ms;
``bulk``: ``recon apply`` of one corrections file after another, through the real CLI;
``reports``: ``recon report`` and ``recon export`` in turn. Each says "ready" once
started, waits for the common deadline on stdin (so all three run at the same time),
makes at least its first ``least`` operations, stops at the deadline, and writes one
JSON line per operation to its log: what it asked, what came back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def notebook(cfg: dict, log) -> None:
    import recon
    from recon import db

    said = []
    db.say_waiting = said.append  # noted in the log instead of on stderr
    lg = recon.Ledger(cfg["ledger"], wait=cfg["wait"])  # kept for the whole session
    for n, (debit, item) in enumerate(cfg["picks"]):
        if n >= cfg["least"] and time.time() >= cfg["deadline"]:
            break
        t0 = time.monotonic()
        said.clear()
        entry = {"op": "credit", "debit": debit, "item": item}
        try:
            res = lg.credit(debit, {item: "1"}, reason="Load test: notebook", allow_paid=True)
            entry.update(ok=True, credit=res.credit_invoice_id, totals=res.totals,
                         items=res.item_count)
        except recon.LedgerInUse as exc:
            entry.update(ok=False, code=2, message=str(exc))
        except Exception as exc:  # anything else is a failure the test reports
            entry.update(ok=False, code=None, message=f"{type(exc).__name__}: {exc}")
        entry.update(seconds=time.monotonic() - t0, waited=bool(said))
        log.write(json.dumps(entry) + "\n")
        log.flush()
        time.sleep(cfg["pause"])


def _run(cfg: dict, log, op: str, args: list[str], **extra) -> None:
    t0 = time.monotonic()
    p = subprocess.run(cfg["recon"] + args + ["--ledger", cfg["ledger"], "--wait", str(cfg["wait"])],
                       capture_output=True, text=True, timeout=120)
    log.write(json.dumps({"op": op, "ok": p.returncode == 0, "code": p.returncode,
                          "stdout": p.stdout, "stderr": p.stderr,
                          "seconds": time.monotonic() - t0, "waited": "waiting up to" in p.stderr,
                          **extra}) + "\n")
    log.flush()


def bulk(cfg: dict, log) -> None:
    for n, path in enumerate(cfg["files"]):
        if n >= cfg["least"] and time.time() >= cfg["deadline"]:
            break
        _run(cfg, log, "apply", ["apply", path], file=path)
        time.sleep(cfg["pause"])


def reports(cfg: dict, log) -> None:
    out = Path(cfg["out"])
    n = 0
    while n < cfg["least"] or time.time() < cfg["deadline"]:
        n += 1
        _run(cfg, log, "report", ["report", "--period", "2026-10", "--out", str(out / f"report-{n}")],
             out=str(out / f"report-{n}"))
        _run(cfg, log, "export", ["export", "--out", str(out / f"export-{n}")], out=str(out / f"export-{n}"))
        time.sleep(cfg["pause"])


if __name__ == "__main__":
    role, config = sys.argv[1], json.loads(Path(sys.argv[2]).read_text())
    import recon  # noqa: F401  (the imports done before the clock starts)

    print("ready", flush=True)
    config["deadline"] = time.time() + float(sys.stdin.readline())
    with open(config["log"], "w") as log:
        {"notebook": notebook, "bulk": bulk, "reports": reports}[role](config, log)
