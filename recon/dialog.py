"""An interactive credit dialog for JupyterLab, mirroring the platform's screens.

Account → its unpaid debit invoices → tick items and edit quantities → the credit
amounts the engine computes (a dry run: cumulative rounding, caps) → Save → the new
credit invoice and the debit's new unpaid amount and status. A bad quantity is shown
next to its field and never saved. All arithmetic is the engine's; the dialog only
collects choices and displays results.

```python
from recon.dialog import CreditDialog
CreditDialog(lg)        # the last expression of a cell shows the dialog
```
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import ipywidgets as w
import pandas as pd

from .errors import BadInput
from .ledger import Ledger
from .money import format_money, plain_decimal


@dataclass
class ItemRow:
    """One line of the picker: tick, quantity, and the message beside it."""

    item_id: str
    creditable: Decimal
    tick: w.Checkbox
    quantity: w.Text
    error: w.HTML

    @property
    def box(self) -> w.HBox:
        return w.HBox([self.tick, self.quantity, self.error])


class CreditDialog:
    def __init__(self, ledger: Ledger, *, date: str | None = None):
        self.lg = ledger
        self.credit_id: str | None = None  # the credit invoice being filled, after a save
        accounts = sorted(set(ledger.accounts().account_id))
        self.account = w.Dropdown(options=accounts, value=None, description="Account")
        self.debit = w.Dropdown(options=[], value=None, description="Invoice",
                                layout=w.Layout(width="480px"))
        self.reason = w.Text(description="Reason", placeholder="e.g. Service outage SLA credit")
        self.date = w.Text(value=date or "", description="Credit date", placeholder="YYYY-MM-DD (default today)")
        self.same_credit = w.Checkbox(value=False, description="Add to the credit just saved",
                                      disabled=True)
        self.items_box = w.VBox([])
        self.preview_button = w.Button(description="Preview credit", icon="calculator")
        self.save_button = w.Button(description="Save credit", button_style="primary", icon="save")
        self.preview = w.HTML()
        self.message = w.HTML()
        self.rows: list[ItemRow] = []
        self.account.observe(self._on_account, names="value")
        self.debit.observe(self._on_debit, names="value")
        self.preview_button.on_click(lambda _: self.show_preview())
        self.save_button.on_click(lambda _: self.save())
        self.widget = w.VBox([
            w.HTML("<b>New credit invoice</b> — insert from invoice"),
            w.HBox([self.account, self.debit]),
            self.items_box,
            w.HBox([self.reason, self.date]),
            self.same_credit,
            w.HBox([self.preview_button, self.save_button]),
            self.preview,
            self.message,
        ])

    def _ipython_display_(self):  # pragma: no cover - Jupyter display hook
        from IPython.display import display

        display(self.widget)

    # -- choosing ------------------------------------------------------------------------
    def _on_account(self, change) -> None:
        debits = self.lg.unpaid_debits(change["new"]) if change["new"] else pd.DataFrame()
        self.debit.options = [
            (f"{r.invoice_id} · {r.invoice_date} · unpaid {format_money(r.unpaid_amount, r.currency)} {r.currency}",
             r.invoice_id)
            for r in debits.itertuples()
        ]
        self.debit.value = None
        self._set_rows(None)

    def _on_debit(self, change) -> None:
        self._set_rows(change["new"])

    def _set_rows(self, debit_id: str | None) -> None:
        self.rows = []
        self.preview.value = ""
        if debit_id:
            cur = self.lg.invoice(debit_id).iloc[0].currency
            for it in self.lg.creditable_items(debit_id).itertuples():
                left = it.creditable_quantity
                label = (f"{it.line_no}. {it.description} — {format_money(it.creditable_amount, cur)} {cur}"
                         f" creditable")
                self.rows.append(ItemRow(
                    item_id=it.item_id,
                    creditable=left,
                    tick=w.Checkbox(value=False, description=label, disabled=left <= 0,
                                    layout=w.Layout(width="520px"), indent=False),
                    quantity=w.Text(value=plain_decimal(left), description="Qty", layout=w.Layout(width="180px")),
                    error=w.HTML(),
                ))
        self.items_box.children = [r.box for r in self.rows]

    # -- checking, previewing, saving -----------------------------------------------------------
    def chosen(self) -> dict[str, str] | None:
        """The ticked items and quantities, or None when a field is wrong (shown beside it)."""
        picks, ok = {}, True
        for r in self.rows:
            r.error.value = ""
            if not r.tick.value:
                continue
            text = r.quantity.value.strip()
            try:
                q = Decimal(text)
                if not q.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                r.error.value = _red(f"{html.escape(text)!s} is not a number")
                ok = False
                continue
            if q <= 0:
                r.error.value = _red("must be greater than 0")
                ok = False
            elif q > r.creditable:
                r.error.value = _red(f"at most {plain_decimal(r.creditable)} can be credited")
                ok = False
            elif q.as_tuple().exponent < -6:
                r.error.value = _red("at most 6 decimals")
                ok = False
            else:
                picks[r.item_id] = text
        if ok and not picks:
            self.message.value = _red("tick at least one item")
            return None
        return picks if ok else None

    def _credit(self, dry_run: bool):
        picks = self.chosen()
        if picks is None or not self.debit.value:
            return None
        try:
            return self.lg.credit(
                self.debit.value, picks, reason=self.reason.value.strip() or None,
                date=self.date.value.strip() or None,
                into=self.credit_id if self.same_credit.value else None, dry_run=dry_run)
        except BadInput as exc:
            self._show_problems(exc)
            return None

    def show_preview(self):
        self.message.value = ""
        res = self._credit(dry_run=True)
        if res is not None:
            cur = res.credits.iloc[0].currency
            self.preview.value = "<b>Preview (not saved)</b>" + _table(res.items, cur)
        return res

    def save(self):
        self.message.value = ""
        res = self._credit(dry_run=False)
        if res is None:
            return None
        self.credit_id = res.credit_invoice_id
        self.same_credit.disabled = False
        c = self.lg.invoice(self.credit_id).iloc[0]
        d = res.debits.iloc[0]
        self.message.value = (
            f"<b>Saved {html.escape(self.credit_id)}</b>: total {format_money(c.total, c.currency)} "
            f"{c.currency}, {c.status}. Debit {html.escape(d.debit_invoice_id)}: unpaid "
            f"{format_money(d.unpaid_before, d.currency)} → {format_money(d.unpaid_after, d.currency)} "
            f"{d.currency}, now <b>{d.status_after}</b>."
        )
        self.preview.value = _table(res.items, c.currency)
        self._set_rows(self.debit.value)  # quantities still creditable have changed
        return res

    def _show_problems(self, exc: BadInput) -> None:
        by_item = {r.item_id: r for r in self.rows}
        rest = []
        for p in exc.problems or []:
            row = by_item.get(str(p.value)) if p.column == "item_id" else None
            if row is not None:
                row.error.value = _red(html.escape(p.reason))
            else:
                rest.append(p.describe())
        if rest or not exc.problems:
            self.message.value = _red(html.escape("; ".join(rest) or exc.message))


def _red(text: str) -> str:
    return f"<span style='color:#b00020'>{text}</span>"


def _table(items: pd.DataFrame, currency: str) -> str:
    cols = ["credited_item_id", "description", "quantity", "net_amount", "tax_amount", "amount"]
    rows = "".join(
        "<tr>" + "".join(
            f"<td style='text-align:right'>{format_money(v, currency)}</td>" if c.endswith("amount")
            else f"<td>{html.escape(plain_decimal(v) if c == 'quantity' else str(v))}</td>" for c, v in zip(cols, r, strict=True)
        ) + "</tr>"
        for r in items[cols].itertuples(index=False)
    )
    head = "".join(f"<th>{c}</th>" for c in cols)
    return f"<table><tr>{head}</tr>{rows}</table>"
