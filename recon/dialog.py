"""An interactive credit dialog for JupyterLab, mirroring the platform's screens.

Find an invoice by its number (or pick the account, then one of its unpaid debit
invoices) → tick items and edit quantities → **Preview**: the credit the engine computes
(a dry run: cumulative rounding, caps), its total, and what happens to each debit (unpaid
before → after, the amount linked, what stays available on the credit) → **Save** saves
exactly the credit previewed → **Void** undoes it.

A dialog that cannot mislead: any change to a field clears the preview and disables
Save, so figures on screen are always those of the fields as they stand; a bad quantity
or date is shown next to its field and nothing is previewed or saved. All arithmetic is
the engine's; the dialog only collects choices and displays results, money with the
currency's decimals (``recon.formats``).

```python
from recon.dialog import CreditDialog
CreditDialog(lg)        # the last expression of a cell shows the dialog
```
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from dataclasses import dataclass
from decimal import Decimal

import ipywidgets as w
import pandas as pd

from . import formats, views
from .errors import BadInput
from .ledger import Ledger

#: a quantity as an analyst types it: digits, optionally a point and up to 6 decimals
QUANTITY = re.compile(r"^\d+(\.\d{1,6})?$")
#: command-line words that mean nothing in the dialog, and what to say instead
PLAIN = {"--date": "credit date", "--item ": "item ", "--into": "the credit to add to",
         "(--allow-paid)": "", "--period": "billing period"}


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


@dataclass(frozen=True)
class Request:
    """What a preview was computed for: Save saves exactly this."""

    debit_id: str
    picks: tuple[tuple[str, str], ...]
    reason: str | None
    date: str | None
    into: str | None


class CreditDialog:
    def __init__(self, ledger: Ledger, *, date: str | None = None):
        self.lg = ledger
        self.credit_id: str | None = None     # the credit just saved (to add to, or void)
        self.credit_account: str | None = None
        self.pending: Request | None = None   # the request the preview on screen shows
        self.names = views.account_names(ledger.db)
        accounts = sorted(set(ledger.accounts().account_id))
        self.account = w.Dropdown(options=[(self._account_label(a), a) for a in accounts], value=None,
                                  description="Account", layout=w.Layout(width="420px"))
        self.search = w.Text(description="Find invoice", placeholder="invoice number, e.g. 000177",
                             continuous_update=False, layout=w.Layout(width="420px"))
        self.debit = w.Dropdown(options=[], value=None, description="Invoice",
                                layout=w.Layout(width="640px"))
        self.reason = w.Text(description="Reason", placeholder="e.g. Service outage SLA credit")
        self.date = w.Text(value=date or "", description="Credit date", placeholder="YYYY-MM-DD (default today)")
        self.date_error = w.HTML()
        self.same_credit = w.Checkbox(value=False, description="Add to the credit just saved",
                                      disabled=True)
        self.items_box = w.VBox([])
        self.preview_button = w.Button(description="Preview credit", icon="calculator")
        self.save_button = w.Button(description="Save credit", button_style="primary", icon="save",
                                    disabled=True)
        self.void_button = w.Button(description="Void saved credit", icon="undo", button_style="warning",
                                    disabled=True, tooltip="void the credit just saved: its links end",
                                    layout=w.Layout(width="auto"))
        self.preview = w.HTML()
        self.message = w.HTML()
        self.balance = w.HTML()  # the picked account's balance today (recon.balances)
        self.rows: list[ItemRow] = []
        for widget, css in ((self.account, "recon-account"), (self.search, "recon-search"),
                            (self.debit, "recon-invoice"), (self.reason, "recon-reason"),
                            (self.date, "recon-date"), (self.same_credit, "recon-same-credit"),
                            (self.preview_button, "recon-preview-button"), (self.save_button, "recon-save"),
                            (self.void_button, "recon-void"), (self.preview, "recon-preview"),
                            (self.message, "recon-message"), (self.date_error, "recon-date-error"),
                            (self.balance, "recon-balance")):
            widget.add_class(css)
        self.account.observe(self._on_account, names="value")
        self.search.observe(self._on_search, names="value")
        self.debit.observe(self._on_debit, names="value")
        for field in (self.reason, self.date, self.same_credit):
            field.observe(self._changed, names="value")
        self.preview_button.on_click(lambda _: self.show_preview())
        self.save_button.on_click(lambda _: self.save())
        self.void_button.on_click(lambda _: self.void())
        self.widget = w.VBox([
            w.HTML("<b>New credit invoice</b> — insert from invoice"),
            w.HBox([self.search]),
            w.HBox([self.account, self.debit]),
            self.balance,
            self.items_box,
            w.HBox([self.reason, self.date, self.date_error]),
            self.same_credit,
            w.HBox([self.preview_button, self.save_button, self.void_button]),
            self.message,
            self.preview,
        ])

    def _ipython_display_(self):  # pragma: no cover - Jupyter display hook
        from IPython.display import display

        display(self.widget)

    def _account_label(self, account_id: str) -> str:
        name = self.names.get(account_id)
        return f"{account_id} — {name}" if name else account_id

    # -- choosing ------------------------------------------------------------------------
    def _changed(self, _change=None) -> None:
        """Any change: the preview on screen no longer matches the fields; clear it."""
        self.pending = None
        self.preview.value = ""
        self.save_button.disabled = True
        self.message.value = ""

    def _debit_options(self, account_id: str | None) -> list[tuple[str, str]]:
        debits = self.lg.unpaid_debits(account_id) if account_id else pd.DataFrame()
        return [(f"{r.invoice_id} · {r.invoice_date} · unpaid {formats.money(r.unpaid_amount, r.currency, code=True)}",
                 r.invoice_id) for r in debits.itertuples()]

    def _balance_html(self, account_id: str | None) -> str:
        """What the account owes (or is owed) today, per currency, and what makes it up."""
        if not account_id:
            return ""
        lines = []
        for b in self.lg.balance(account_id).itertuples():
            m = functools.partial(formats.money, currency=b.currency, code=True)
            who = (f"owes {m(b.net_receivable)}" if b.net_receivable >= 0
                   else f"is owed {m(-b.net_receivable)}")
            due = f"; oldest unpaid due {b.oldest_due_date}" if pd.notna(b.oldest_due_date) else ""
            lines.append(f"<b>{html.escape(account_id)} {who}</b> (unpaid {m(b.unpaid_debits)}, credit "
                         f"available {m(b.credit_available)}, overpaid {m(b.overpaid)}{due})")
        return "<br>".join(lines)

    def _on_account(self, change) -> None:
        account = change["new"]
        self.balance.value = self._balance_html(account)
        self.debit.options = self._debit_options(account)
        self.debit.value = None
        # the credit just saved belongs to its account: it cannot take another's items
        self.same_credit.value = False
        self.same_credit.disabled = self.credit_id is None or account != self.credit_account
        self._set_rows(None)
        self._changed()

    def _on_search(self, change) -> None:
        text = (change["new"] or "").strip()
        if not text:
            return
        found = views.find_unpaid_debits(self.lg.db, text)
        if found.empty:
            self.message.value = _red(f"no unpaid debit invoice number contains {html.escape(text)!s}")
            return
        exact = found[found["invoice_id"].str.upper() == text.upper()]
        if len(found) > 1 and exact.empty:
            shown = ", ".join(html.escape(i) for i in found["invoice_id"].head(10))
            self.message.value = (f"{len(found)}{'+' if len(found) == 10 else ''} unpaid debit invoices "
                                  f"match: {shown}; type more of the number")
            return
        hit = (exact if len(exact) else found).iloc[0]
        self.account.value = hit.account_id
        self.debit.value = hit.invoice_id
        self.message.value = ""

    def _on_debit(self, change) -> None:
        self._set_rows(change["new"])
        self._changed()

    def _set_rows(self, debit_id: str | None) -> None:
        self.rows = []
        if debit_id:
            cur = self.lg.invoice(debit_id).iloc[0].currency
            for i, it in enumerate(self.lg.creditable_items(debit_id).itertuples()):
                left = it.creditable_quantity
                label = (f"{it.line_no}. {it.description} — {formats.money(it.creditable_amount, cur, code=True)}"
                         f" creditable")
                row = ItemRow(
                    item_id=it.item_id,
                    creditable=left,
                    tick=w.Checkbox(value=False, description=label, disabled=left <= 0,
                                    layout=w.Layout(width="560px"), indent=False),
                    quantity=w.Text(value=formats.quantity(left), description="Qty",
                                    layout=w.Layout(width="200px")),
                    error=w.HTML(),
                )
                row.tick.add_class(f"recon-tick-{i}")
                row.quantity.add_class(f"recon-qty-{i}")
                row.error.add_class(f"recon-error-{i}")
                row.tick.observe(self._changed, names="value")
                row.quantity.observe(self._changed, names="value")
                self.rows.append(row)
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
            if not QUANTITY.match(text):
                r.error.value = _red(f"{html.escape(text)!s} is not a quantity: write it like 2 or 0.5"
                                     " (at most 6 decimals)" if text else "give a quantity")
                ok = False
                continue
            q = Decimal(text)
            if q <= 0:
                r.error.value = _red("must be greater than 0")
                ok = False
            elif q > r.creditable:
                r.error.value = _red(f"at most {formats.quantity(r.creditable)} can be credited")
                ok = False
            else:
                picks[r.item_id] = text
        if ok and not picks:
            self.message.value = _red("tick at least one item")
            return None
        return picks if ok else None

    def _date(self) -> tuple[bool, str | None]:
        text = self.date.value.strip()
        self.date_error.value = ""
        if not text:
            return True, None
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            self.date_error.value = _red(f"{html.escape(text)} is not a date: write it as YYYY-MM-DD, "
                                         "e.g. 2026-10-31")
            return False, None
        return True, text

    def request(self) -> Request | None:
        """The credit the fields ask for, or None (the reason is shown beside the field)."""
        if not self.debit.value:
            self.message.value = _red("choose an invoice first: find it by its number, or pick the account")
            return None
        picks = self.chosen()
        date_ok, date = self._date()
        if picks is None or not date_ok:
            return None
        into = self.credit_id if self.same_credit.value and not self.same_credit.disabled else None
        return Request(self.debit.value, tuple(picks.items()), self.reason.value.strip() or None, date, into)

    def _run(self, req: Request, dry_run: bool):
        try:
            return self.lg.credit(req.debit_id, dict(req.picks), reason=req.reason, date=req.date,
                                  into=req.into, dry_run=dry_run)
        except BadInput as exc:
            self._show_problems(exc)
            return None

    def show_preview(self):
        self._changed()
        req = self.request()
        res = self._run(req, dry_run=True) if req is not None else None
        if res is not None:
            self.pending = req
            self.preview.value = "<b>Preview (not saved)</b>" + preview_html(res)
            self.save_button.disabled = False
        return res

    def save(self):
        """Save the credit previewed: exactly that request, whatever the fields say now."""
        req = self.pending
        if req is None:
            self.message.value = _red("preview the credit first: Save saves the credit previewed")
            return None
        res = self._run(req, dry_run=False)
        if res is None:
            return None
        self.pending = None
        self.save_button.disabled = True
        credit = res.credits.iloc[0]
        self.credit_id, self.credit_account = credit.invoice_id, credit.account_id
        self.same_credit.disabled = False
        self.void_button.disabled = False
        self.message.value = f"<b>Saved {html.escape(credit.invoice_id)}</b>: " + saved_text(res)
        self.preview.value = "<b>Saved</b>" + preview_html(res)
        self.balance.value = self._balance_html(self.account.value)
        # the invoice list shows the new unpaid amounts; the rows what is still creditable
        debit = self.debit.value
        options = self._debit_options(self.account.value)
        self.debit.unobserve(self._on_debit, names="value")
        self.debit.options = options
        self.debit.value = debit if debit in [v for _, v in options] else None
        self.debit.observe(self._on_debit, names="value")
        self._set_rows(self.debit.value)
        return res

    def void(self):
        """Void the credit just saved: its links end, its debits' unpaid amounts come back."""
        if self.credit_id is None:
            return None
        credit_id = self.credit_id
        try:
            changed = self.lg.void(credit_id)
        except BadInput as exc:
            self.message.value = _red(html.escape(_plain(exc.message)))
            return None
        self.credit_id = self.credit_account = None
        self.same_credit.value = False
        self.same_credit.disabled = True
        self.void_button.disabled = True
        back = [f"{html.escape(r.invoice_id)} unpaid again {formats.money(r.unpaid_after, r.currency, code=True)}"
                for r in changed.itertuples() if r.invoice_id != credit_id]
        self.message.value = f"<b>Voided {html.escape(credit_id)}</b>: its links ended" + (
            "; " + ", ".join(back) if back else "")
        account = self.account.value
        self.debit.unobserve(self._on_debit, names="value")
        debit = self.debit.value
        self.debit.options = self._debit_options(account)
        self.debit.value = debit if debit in [v for _, v in self.debit.options] else None
        self.debit.observe(self._on_debit, names="value")
        self._set_rows(self.debit.value)
        self.preview.value = ""
        self.balance.value = self._balance_html(account)
        return changed

    def _show_problems(self, exc: BadInput) -> None:
        by_item = {r.item_id: r for r in self.rows}
        rest = []
        for p in exc.problems or []:
            row = by_item.get(str(p.value)) if p.column == "item_id" else None
            if row is not None:
                row.error.value = _red(html.escape(_plain(p.reason)))
            else:
                rest.append(_plain(p.describe()))
        if rest or not exc.problems:
            self.message.value = _red(html.escape("; ".join(rest) or _plain(exc.message)))


def _plain(text: str) -> str:
    """A message in the dialog's words: no command-line flags, no commands to run."""
    text = re.sub(r"\s*\(?`recon [^`]*`[^)]*\)?", "", text)
    for flag, words in PLAIN.items():
        text = text.replace(flag, words)
    return re.sub(r"\s{2,}", " ", text).strip()


def _red(text: str) -> str:
    return f"<span style='color:#b00020'>{text}</span>"


def saved_text(res) -> str:
    """What the saved credit is, in words: its total, what it applied and what is left."""
    credit = res.credits.iloc[0]
    cur = credit.currency
    applied = res.links["amount"].sum() if len(res.links) else Decimal(0)
    text = f"credit note for {formats.money(credit.total, cur, code=True)}"
    if credit.available == 0:
        text += f", all of it applied to the debit ({formats.money(applied, cur, code=True)})"
    elif applied:
        text += (f", {formats.money(applied, cur, code=True)} applied to the debit and "
                 f"{formats.money(credit.available, cur, code=True)} still available (not applied)")
    else:
        text += ", all of it available (not applied to any debit)"
    debits = "; ".join(
        f"debit {html.escape(d.debit_invoice_id)} unpaid {formats.money(d.unpaid_before, d.currency)} → "
        f"{formats.money(d.unpaid_after, d.currency, code=True)}, now {html.escape(d.status_after)}"
        for d in res.debits.itertuples())
    return f"{text}. {debits}."


def preview_html(res) -> str:
    """The credit's items with a total row, then each debit's change and the credit's rest."""
    credit = res.credits.iloc[0]
    cur = credit.currency
    items = res.items
    cols = [("credited_item_id", "Item", False), ("description", "Description", False),
            ("quantity", "Quantity", True), ("net_amount", f"Net ({cur})", True),
            ("tax_amount", f"Tax ({cur})", True), ("amount", f"Amount ({cur})", True)]
    cell = "padding:2px 8px;border-bottom:1px solid #dde"
    head = "".join(f"<th style='{cell};text-align:{'right' if n else 'left'}'>{h}</th>" for _, h, n in cols)

    def show(col, v):
        if col in ("net_amount", "tax_amount", "amount"):
            return formats.money(v, cur)
        return formats.quantity(v) if col == "quantity" else html.escape(str(v))

    body = "".join(
        "<tr>" + "".join(f"<td style='{cell};text-align:{'right' if n else 'left'}'>{show(c, getattr(r, c))}</td>"
                         for c, _, n in cols) + "</tr>"
        for r in items.itertuples())
    totals = {c: items[c].sum() for c in ("net_amount", "tax_amount", "amount")}
    total_row = ("<tr style='font-weight:600'>" + f"<td style='{cell}' colspan='3'>Total</td>"
                 + "".join(f"<td style='{cell};text-align:right' class='recon-total-{c}'>"
                           f"{formats.money(totals[c], cur)}</td>" for c in totals) + "</tr>")
    table = f"<table style='border-collapse:collapse'><tr>{head}</tr>{body}{total_row}</table>"
    linked = {r.debit_invoice_id: r.amount for r in res.links.itertuples()}
    lines = []
    for d in res.debits.itertuples():
        link = linked.get(d.debit_invoice_id, Decimal(0))
        lines.append(
            f"<li class='recon-debit'>Debit <b>{html.escape(d.debit_invoice_id)}</b>: unpaid "
            f"<span class='recon-unpaid-before'>{formats.money(d.unpaid_before, d.currency, code=True)}</span> → "
            f"<span class='recon-unpaid-after'>{formats.money(d.unpaid_after, d.currency, code=True)}</span>"
            f" ({html.escape(d.status_before)} → {html.escape(d.status_after)}); linked "
            f"{formats.money(link, d.currency, code=True)}</li>")
    verb = "would stay" if res.dry_run else "stays"
    rest = ("all of it applied" if credit.available == 0 else
            f"<span class='recon-available'>{formats.money(credit.available, cur, code=True)}</span> "
            f"{verb} available on the credit (not applied to any debit)")
    lines.append(f"<li>Credit {html.escape(credit.invoice_id)}: total "
                 f"<span class='recon-credit-total'>{formats.money(credit.total, cur, code=True)}</span>; {rest}</li>")
    return table + "<ul style='margin:6px 0'>" + "".join(lines) + "</ul>"
