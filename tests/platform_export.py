"""The billing platform's side, for tests: its next export, as the ledger's export
changed the way the platform changes things (a debit voided, a payment received, a
credit created under the platform's own number, ...).

``PlatformExport.of(lg, folder)`` exports the ledger and keeps its platform tables as
text frames (every cell a string, empty = ""); the methods change them; ``write()``
writes the folder the platform would export. By default the stated figures (total,
unpaid amount, status other than void) are left out, so that the platform's figures are
what its own facts give, as they would be after the platform applied the changes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

TABLES = ("invoices", "invoice_items", "payments", "invoice_links", "refunds")


class PlatformExport:
    def __init__(self, folder: Path, frames: dict[str, pd.DataFrame]):
        self.folder = folder
        self.t = frames

    @classmethod
    def of(cls, lg, folder: Path) -> PlatformExport:
        raw = folder.with_name(folder.name + "-ledger")
        lg.export(raw, "csv")
        frames = {t: pd.read_csv(raw / f"{t}.csv", dtype=str, keep_default_na=False) for t in TABLES}
        return cls(folder, frames)

    # -- what the platform does -----------------------------------------------------------
    def void(self, invoice_id: str, on: str | None = None) -> None:
        inv = self.t["invoices"]
        inv.loc[inv.invoice_id == invoice_id, "status"] = "void"
        if on:
            inv.loc[inv.invoice_id == invoice_id, "voided_on"] = on

    def pay(self, payment_id: str, invoice_id: str, amount: str, on: str) -> None:
        self.add("payments", payment_id=payment_id, invoice_id=invoice_id, amount=amount, paid_on=on)

    def renumber(self, old: str, new: str) -> None:
        """A credit created in the platform under its own number (its items numbered too)."""
        for table, cols in (("invoices", ["invoice_id"]), ("invoice_items", ["invoice_id"]),
                            ("invoice_links", ["credit_invoice_id"]), ("refunds", ["credit_invoice_id"])):
            for c in cols:
                f = self.t[table]
                f.loc[f[c] == old, c] = new
        items = self.t["invoice_items"]
        mine = items.invoice_id == new
        items.loc[mine, "item_id"] = [f"{new}/{n}" for n in range(1, int(mine.sum()) + 1)]

    def drop(self, table: str, **match) -> None:
        f = self.t[table]
        keep = pd.Series(True, index=f.index)
        for c, v in match.items():
            keep &= f[c] != v
        self.t[table] = f[keep].reset_index(drop=True)

    def set(self, table: str, where: dict, **values) -> None:
        f = self.t[table]
        rows = pd.Series(True, index=f.index)
        for c, v in where.items():
            rows &= f[c] == v
        assert rows.any(), (table, where)
        for c, v in values.items():
            f.loc[rows, c] = v

    def add(self, table: str, **values) -> None:
        f = self.t[table]
        row = {c: values.pop(c, "") for c in f.columns}
        assert not values, f"unknown columns {values}"
        self.t[table] = pd.concat([f, pd.DataFrame([row])], ignore_index=True)

    # -- the files -------------------------------------------------------------------------
    def write(self, *, stated: bool = False) -> Path:
        """The export folder; ``stated``: keep the ledger's stated figures as they were."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for table, f in self.t.items():
            f = f.copy()
            if table == "invoices" and not stated:
                f = f.drop(columns=["total", "unpaid_amount"])
                f["status"] = f["status"].where(f["status"] == "void", "")
            f.to_csv(self.folder / f"{table}.csv", index=False)
        return self.folder
