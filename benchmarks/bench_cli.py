"""Benchmark of the everyday commands against the floor of starting Python with DuckDB.

    python benchmarks/bench_cli.py [--items 1000000] [--runs 5]

On the ledger ``recon init --from`` makes of a platform export of ``--items`` items
(benchmarks/inputs.py, cached), each round takes a fresh copy and runs, each in a fresh
process as typed at the prompt: ``recon --help``, ``recon show`` of a debit, a one-item
``recon credit`` of it (which links the credit to it), ``recon show`` of the credit,
``recon unlink`` and ``recon link`` of the two, and ``recon void`` of the credit. Before
or after each command (alternating by round) it times the floor, ``python -c "import
duckdb"``: no recon command can start faster than the library that opens the ledger.

Prints each command's median wall and CPU time beside the floor's from the same rounds,
and the target: at most 0.35 s wall each (issue 15). The machine is shared: the CPU time
and the ratio are steadier than the wall time; the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Pair, fresh_copy, load, run, save, uptime  # noqa: E402

TARGET_S = 0.35
DEBIT = "INV-00000002"  # an unpaid EUR debit of inputs.export (5 items)
ITEM = "ITM-000000010"
DATE = "2026-11-20"  # after every fact of the export, in an open month


def commands(ledger: Path) -> list[tuple[str, list[str]]]:
    """The commands of one round, in the order they change the ledger; ``{credit}`` is the
    credit invoice the credit command prints."""
    lg = ["--ledger", str(ledger)]
    return [
        ("--help", ["--help"]),
        ("show (a debit)", ["show", *lg, DEBIT]),
        ("credit (one item)", ["credit", *lg, DEBIT, "--item", f"{ITEM}=1", "--reason", "Goodwill",
                               "--date", DATE]),
        ("show (the credit)", ["show", *lg, "{credit}"]),
        ("unlink", ["unlink", *lg, "{credit}", DEBIT, "--date", DATE]),
        ("link", ["link", *lg, "{credit}", DEBIT, "--date", DATE]),
        ("void", ["void", *lg, "{credit}", "--date", DATE]),
    ]


def main() -> None:
    import inputs

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    base = inputs.ledger(args.items)
    print(f"recon commands against `python -c 'import duckdb'`, on a {args.items:,}-item ledger"
          f" made by `recon init`; {uptime()}", flush=True)
    pairs: dict[str, Pair] = {}
    floor = ["python", "-c", "import duckdb"]
    for i in range(args.runs):
        copy = fresh_copy(base, "run-cli.duckdb")
        credit = None
        for name, argv in commands(copy):
            argv = [a.replace("{credit}", credit or "") for a in argv]
            pair = pairs.setdefault(name, Pair(f"recon {name}", TARGET_S))
            order = ("floor", "job") if i % 2 == 0 else ("job", "floor")
            for which in order:
                pair.loads.append(load())
                r = run(floor) if which == "floor" else run(["python", "-m", "recon", *argv])
                getattr(pair, which).append(r)
                if which == "job" and name.startswith("credit"):
                    credit = r.stdout.strip().splitlines()[-1]
    for pair in pairs.values():
        print(line(pair), flush=True)
    print(f"saved {save('cli', list(pairs.values()))}; {uptime()}")


def line(pair: Pair) -> str:
    """Wall and CPU medians of the command and of the floor; met: wall <= 0.35 s."""
    from harness import med

    wall, cpu = med(r.wall for r in pair.job), med(r.cpu for r in pair.job)
    fwall, fcpu = med(r.wall for r in pair.floor), med(r.cpu for r in pair.floor)
    return (f"{pair.name:<26} {wall:5.2f}s wall (CPU {cpu:4.2f}s)   floor {fwall:5.2f}s (CPU {fcpu:4.2f}s)"
            f"   ratio {wall / fwall:4.2f}x, CPU {cpu / max(fcpu, 1e-9):4.2f}x   target <= {TARGET_S}s wall:"
            f" {'met' if wall <= TARGET_S else 'NOT MET'}   load {min(pair.loads):.1f}-{max(pair.loads):.1f}")


if __name__ == "__main__":
    main()
