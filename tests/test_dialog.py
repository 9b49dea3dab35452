"""The credit dialog, driven from Python as an analyst drives it with the mouse."""

from __future__ import annotations

from decimal import Decimal as D

import recon
from recon.dialog import CreditDialog
from tests.conftest import assert_invariants


def test_pick_tick_edit_preview_save(sample_copy):
    with recon.Ledger(sample_copy) as lg:
        dlg = CreditDialog(lg, date="2026-10-30")
        dlg.account.value = "ACC-1001"
        assert "INV-2026-000177" in [v for _, v in dlg.debit.options]
        dlg.debit.value = "INV-2026-000177"
        assert [r.item_id for r in dlg.rows] == ["ITM-0000614", "ITM-0000615", "ITM-0000616", "ITM-0000617"]
        row = dlg.rows[1]  # Database licence, 45 cores at 134.44, tax 0.24
        row.tick.value = True
        row.quantity.value = "1"
        res = dlg.show_preview()
        assert res.dry_run and "166.71" in dlg.preview.value  # 134.44 + 32.27
        assert lg.table("invoice_items").credited_item_id.isna().all()  # nothing saved yet

        res = dlg.save()
        assert res.credit_invoice_id == "CN-2026-000001"
        assert "Saved CN-2026-000001" in dlg.message.value and "unpaid" in dlg.message.value
        d = lg.invoice("INV-2026-000177").iloc[0]
        assert d.unpaid_amount == D("29842.700") - D("166.710") and d.status == "unpaid"
        # the rows now show what is left
        assert dlg.rows[1].creditable == D("44")
        assert_invariants(lg)


def test_invalid_quantity_is_shown_beside_its_field_and_never_saved(sample_copy):
    with recon.Ledger(sample_copy) as lg:
        dlg = CreditDialog(lg)
        dlg.account.value = "ACC-1001"
        dlg.debit.value = "INV-2026-000177"
        for row, text in zip(dlg.rows[:3], ["abc", "0", "1000000"], strict=True):
            row.tick.value = True
            row.quantity.value = text
        assert dlg.save() is None
        for row, shown in zip(dlg.rows[:3], ["not a number", "greater than 0", "at most"], strict=True):
            assert shown in row.error.value
        assert len(lg.table("invoices").query("type == 'credit'")) == 0


def test_second_invoice_into_the_same_credit(sample_copy):
    with recon.Ledger(sample_copy) as lg:
        dlg = CreditDialog(lg, date="2026-10-30")
        dlg.account.value = "ACC-1001"
        dlg.debit.value = "INV-2026-000177"
        dlg.rows[0].tick.value = True
        first = dlg.save()
        dlg.debit.value = "INV-2026-000184"
        dlg.rows[0].tick.value = True
        dlg.same_credit.value = True
        second = dlg.save()
        assert second.credit_invoice_id == first.credit_invoice_id
        assert sorted(lg.show(first.credit_invoice_id)["links"].debit_invoice_id) == [
            "INV-2026-000177", "INV-2026-000184"]
