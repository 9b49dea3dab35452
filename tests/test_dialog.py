"""The credit dialog, driven from Python as an analyst drives it with the mouse.

The browser test (tests/test_browser.py) drives the same dialog in JupyterLab.
"""

from __future__ import annotations

from decimal import Decimal as D

import recon
from recon import formats
from recon.dialog import CreditDialog
from tests.conftest import assert_invariants


def _credits(lg) -> int:
    return int((lg.table("invoices")["type"] == "credit").sum())


def test_pick_tick_edit_preview_save(sample_copy):
    with recon.Ledger(sample_copy) as lg:
        dlg = CreditDialog(lg, date="2026-10-30")
        dlg.account.value = "ACC-1001"
        assert "INV-2026-000177" in [v for _, v in dlg.debit.options]
        assert any("unpaid 29,842.70 EUR" in label for label, _ in dlg.debit.options)
        dlg.debit.value = "INV-2026-000177"
        assert [r.item_id for r in dlg.rows] == ["ITM-0000614", "ITM-0000615", "ITM-0000616", "ITM-0000617"]
        row = dlg.rows[1]  # Database licence, 45 cores at 134.44, tax 0.24
        row.tick.value = True
        row.quantity.value = "1"
        assert dlg.save_button.disabled                  # nothing previewed yet
        res = dlg.show_preview()
        assert res.dry_run and not dlg.save_button.disabled
        page = dlg.preview.value
        assert "Net (EUR)" in page and "166.71" in page   # 134.44 + 32.27, the total row
        assert "unpaid <span class='recon-unpaid-before'>29,842.70 EUR</span> → " \
               "<span class='recon-unpaid-after'>29,675.99 EUR</span>" in page
        assert "linked 166.71 EUR" in page and "all of it applied" in page
        assert lg.table("invoice_items").credited_item_id.isna().all()  # nothing saved yet

        res = dlg.save()
        assert res.credit_invoice_id == "CN-2026-000001"
        msg = dlg.message.value
        assert "Saved CN-2026-000001" in msg and "credit note for 166.71 EUR, all of it applied" in msg
        assert "unpaid 29,842.70 → 29,675.99 EUR, now unpaid" in msg
        d = lg.invoice("INV-2026-000177").iloc[0]
        assert d.unpaid_amount == D("29842.700") - D("166.710") and d.status == "unpaid"
        # the rows now show what is left, the invoice list the new unpaid amount
        assert dlg.rows[1].creditable == D("44")
        assert any("unpaid 29,675.99 EUR" in label for label, _ in dlg.debit.options)
        assert dlg.save_button.disabled and not dlg.void_button.disabled
        assert_invariants(lg)


def test_any_change_clears_the_preview_and_save_saves_what_was_previewed(sample_copy):
    with recon.Ledger(sample_copy) as lg:
        dlg = CreditDialog(lg, date="2026-10-30")
        dlg.account.value = "ACC-1001"
        dlg.debit.value = "INV-2026-000177"
        row = dlg.rows[1]
        row.tick.value = True
        row.quantity.value = "10"
        dlg.show_preview()
        assert "1,667.06" in dlg.preview.value           # 6,049.80 × 10/45 + 1,451.95 × 10/45
        row.quantity.value = "5"                          # typed after the preview
        assert dlg.preview.value == "" and dlg.save_button.disabled
        assert dlg.save() is None and "preview the credit first" in dlg.message.value
        assert _credits(lg) == 0
        # a bad quantity after a good one: no stale figures left on screen
        dlg.show_preview()
        assert "833.53" in dlg.preview.value              # 672.20 + 161.33
        row.quantity.value = "1e3"
        assert dlg.show_preview() is None and dlg.preview.value == ""
        assert "is not a quantity" in row.error.value
        row.quantity.value = "5"
        dlg.show_preview()
        res = dlg.save()
        assert res.items["quantity"].tolist() == [D("5")]
        assert lg.invoice(res.credit_invoice_id).iloc[0].total == D("833.53")


def test_invalid_quantity_or_date_is_shown_beside_its_field_and_never_saved(sample_copy):
    with recon.Ledger(sample_copy) as lg:
        dlg = CreditDialog(lg)
        dlg.account.value = "ACC-1001"
        dlg.debit.value = "INV-2026-000177"
        for row, text in zip(dlg.rows[:4], ["abc", "0", "1000000", "1e3"], strict=True):
            row.tick.value = True
            row.quantity.value = text
        assert dlg.show_preview() is None
        for row, shown in zip(dlg.rows[:4], ["not a quantity", "greater than 0", "at most", "not a quantity"],
                              strict=True):
            assert shown in row.error.value
        for row in dlg.rows:
            row.tick.value = False
        dlg.rows[0].tick.value = True
        dlg.rows[0].quantity.value = "1"
        dlg.date.value = "31/10/2026"
        assert dlg.show_preview() is None
        assert "31/10/2026 is not a date: write it as YYYY-MM-DD" in dlg.date_error.value
        assert "--" not in dlg.date_error.value + dlg.message.value
        dlg.date.value = "2026-01-01"                     # before the debit invoice
        assert dlg.show_preview() is None and "date the credit on or after" in dlg.message.value
        assert "--" not in dlg.message.value
        assert _credits(lg) == 0


def test_find_an_invoice_by_its_number(sample_copy):
    with recon.Ledger(sample_copy) as lg:
        dlg = CreditDialog(lg)
        dlg.search.value = "000177"
        assert dlg.account.value == "ACC-1001" and dlg.debit.value == "INV-2026-000177"
        assert len(dlg.rows) == 4
        dlg.search.value = "INV-2026-0001"                # many: say which, choose nothing
        assert "unpaid debit invoices match" in dlg.message.value and dlg.debit.value == "INV-2026-000177"
        dlg.search.value = "NOPE"
        assert "no unpaid debit invoice number contains NOPE" in dlg.message.value


def test_second_invoice_into_the_same_credit_and_switching_account_resets_it(sample_copy):
    with recon.Ledger(sample_copy) as lg:
        dlg = CreditDialog(lg, date="2026-10-30")
        dlg.account.value = "ACC-1001"
        dlg.debit.value = "INV-2026-000177"
        dlg.rows[0].tick.value = True
        dlg.show_preview()
        first = dlg.save()
        assert not dlg.same_credit.disabled
        dlg.debit.value = "INV-2026-000184"
        dlg.rows[0].tick.value = True
        dlg.same_credit.value = True
        dlg.show_preview()
        second = dlg.save()
        assert second.credit_invoice_id == first.credit_invoice_id
        assert sorted(lg.show(first.credit_invoice_id)["links"].debit_invoice_id) == [
            "INV-2026-000177", "INV-2026-000184"]
        dlg.same_credit.value = True
        dlg.account.value = "ACC-1002"                    # another account: a new credit
        assert dlg.same_credit.value is False and dlg.same_credit.disabled
        dlg.debit.value = dlg.debit.options[0][1]
        dlg.rows[0].tick.value = True
        dlg.show_preview()
        third = dlg.save()
        assert third.credit_invoice_id == "CN-2026-000002"


def test_void_the_credit_just_saved(sample_copy):
    with recon.Ledger(sample_copy) as lg:
        dlg = CreditDialog(lg, date="2026-10-30")
        dlg.search.value = "INV-2026-000186"
        for row in dlg.rows:
            row.tick.value = True
        dlg.show_preview()
        res = dlg.save()
        assert lg.invoice("INV-2026-000186").iloc[0].status == "paid"
        # paid now: the invoice leaves the list of unpaid debits
        assert dlg.debit.value is None
        dlg.void()
        assert lg.invoice(res.credit_invoice_id).iloc[0].status == "void"
        assert lg.invoice("INV-2026-000186").iloc[0].status == "unpaid"
        assert f"Voided {res.credit_invoice_id}" in dlg.message.value
        assert "INV-2026-000186 unpaid again 5,588.12 EUR" in dlg.message.value
        assert dlg.void_button.disabled
        assert_invariants(lg)


def test_a_credit_larger_than_the_debit_says_the_rest_stays_available(make_ledger):
    # JPY debit of 2,306,018 of which 562,557 paid: crediting all of it leaves
    # 562,557 on the credit, unapplied
    lg = make_ledger(
        "invoice_id,account_id,type,invoice_date,due_date,currency\nD1,A,debit,2026-10-01,,JPY\n",
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount\n"
        "I1,D1,1,Compute,1,2306018,0,2306018,0,2306018\n",
        "payment_id,invoice_id,amount,paid_on\nP1,D1,562557,2026-10-05\n")
    dlg = CreditDialog(lg, date="2026-10-30")
    dlg.search.value = "D1"
    dlg.rows[0].tick.value = True
    dlg.show_preview()
    page = dlg.preview.value
    assert "unpaid <span class='recon-unpaid-before'>1,743,461 JPY</span>" in page
    assert "linked 1,743,461 JPY" in page
    assert "<span class='recon-available'>562,557 JPY</span> would stay available on the credit" in page
    dlg.save()
    assert "1,743,461 JPY applied to the debit and 562,557 JPY still available" in dlg.message.value
    assert " paid" not in dlg.message.value.split("now")[0]   # the credit note is not "paid"


def test_account_names_where_the_export_has_them(sample_copy):
    with recon.Ledger(sample_copy) as lg:
        lg.db.execute("ALTER TABLE invoices ADD COLUMN IF NOT EXISTS account_name VARCHAR")
        lg.db.execute("UPDATE invoices SET account_name = 'Nordwind GmbH' WHERE account_id = 'ACC-1001'")
        dlg = CreditDialog(lg)
        labels = dict((v, k) for k, v in dlg.account.options)
        assert labels["ACC-1001"] == "ACC-1001 — Nordwind GmbH" and labels["ACC-1002"] == "ACC-1002"


def test_picking_an_account_shows_its_balance(sample_copy):
    with recon.Ledger(sample_copy) as lg:
        dlg = CreditDialog(lg, date="2026-10-30")
        assert dlg.balance.value == ""
        dlg.account.value = "ACC-1001"
        b = lg.balance("ACC-1001").iloc[0]
        shown = dlg.balance.value
        assert f"ACC-1001 owes {formats.money(b.net_receivable, 'EUR', code=True)}" in shown
        assert "credit available 0.00 EUR" in shown and f"oldest unpaid due {b.oldest_due_date}" in shown
        # a saved credit lowers what the customer owes, on screen at once
        dlg.debit.value = "INV-2026-000177"
        dlg.rows[1].tick.value = True
        dlg.rows[1].quantity.value = "1"
        dlg.show_preview()
        dlg.save()
        after = b.net_receivable - D("166.71")  # the credit of 166.71 EUR, applied to the invoice
        assert f"owes {formats.money(after, 'EUR', code=True)}" in dlg.balance.value
