"""recon compare: the ledger against the platform's next export (issue 19).

Worked examples, one planted difference each, on a tiny ledger: two debit invoices of
ACC-1 (D1 = 120.00 + 36.00 EUR, D2 = 48.00 EUR with 10.00 paid) and the credit recon
made of D1's second item, CN-2026-000001 (36.00), linked to D1. The platform's export is
the ledger's export with the planted change (tests/platform_export.py); its figures are what
its own facts give.
"""

from __future__ import annotations

from decimal import Decimal as D

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import recon
from tests.platform_export import PlatformExport

INVOICES = """
    invoice_id,account_id,type,invoice_date,due_date,currency
    D1,ACC-1,debit,2026-10-01,2026-10-31,EUR
    D2,ACC-1,debit,2026-10-02,2026-11-01,EUR
"""
ITEMS = """
    item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
    I1,D1,1,Licence,2,50,0.2,100.00,20.00,120.00
    I2,D1,2,Support,1,30,0.2,30.00,6.00,36.00
    I3,D2,1,Storage,4,10,0.2,40.00,8.00,48.00
"""
PAYMENTS = """
    payment_id,invoice_id,amount,paid_on
    P1,D2,10.00,2026-10-05
"""
CN = "CN-2026-000001"


@pytest.fixture
def books(make_ledger):
    lg = make_ledger(INVOICES, ITEMS, PAYMENTS)
    lg.credit("D1", {"I2": None}, reason="Outage", date="2026-10-20")
    return lg


def found(cmp) -> list[tuple]:
    """Each difference as (kind, invoice, platform invoice, id, column, ledger, platform, cause)."""
    d = cmp.differences
    return [tuple(None if pd.isna(v) else v for v in row) for row in d[
        ["kind", "invoice_id", "platform_invoice_id", "id", "column", "ledger_value", "platform_value",
         "cause"]].astype(object).itertuples(index=False)]


def compare(lg, tmp_path, change=None, **write):
    export = PlatformExport.of(lg, tmp_path / "platform")
    if change:
        change(export)
    return lg.compare(export.write(**write))


def test_an_unchanged_export_agrees(books, tmp_path):
    cmp = compare(books, tmp_path)
    assert cmp.agree and cmp.exit_code == 0
    assert cmp.differences.empty and cmp.matched.empty
    # with the stated figures too (a recon export compared with its own ledger)
    assert compare(books, tmp_path, stated=True).agree


def test_credit_not_in_the_platform_yet(books, tmp_path):
    def forget(e):
        for table, col in (("invoices", "invoice_id"), ("invoice_items", "invoice_id"),
                           ("invoice_links", "credit_invoice_id")):
            e.drop(table, **{col: CN})

    cmp = compare(books, tmp_path, forget)
    why = f"credit {CN} is not in the platform yet"
    assert found(cmp) == [
        ("invoice_only_in_ledger", CN, None, CN, "total", "36.00", None, why),
        ("link_only_in_ledger", CN, None, "D1", "amount", "36.00", None, why),
        # the platform's D1 owes the credited item still: 120.00 + 36.00
        ("invoice_differs", "D1", "D1", "D1", "unpaid_amount", "120.00", "156.00", why),
    ]
    assert cmp.exit_code == 1
    assert cmp.differences["difference"].tolist() == [D("-36"), D("-36"), D("36")]


def test_credit_created_under_the_platforms_number_is_matched_not_two_differences(books, tmp_path):
    cmp = compare(books, tmp_path, lambda e: e.renumber(CN, "PCN-77"))
    assert cmp.agree
    assert cmp.matched[["ledger_invoice_id", "platform_invoice_id"]].values.tolist() == [[CN, "PCN-77"]]
    assert cmp.matched["cause"].iloc[0] == f"credit {CN} created in the platform as PCN-77"


def test_credit_under_another_number_whose_link_differs(books, tmp_path):
    def change(e):
        e.renumber(CN, "PCN-77")
        e.set("invoice_links", {"credit_invoice_id": "PCN-77"}, amount="30.00")
        e.add("refunds", refund_id="R1", credit_invoice_id="PCN-77", amount="6.00", refunded_on="2026-10-25")

    cmp = compare(books, tmp_path, change)
    assert len(cmp.matched) == 1  # still the same credit: same account, currency, items, amounts
    assert found(cmp) == [
        ("refund_only_in_platform", CN, "PCN-77", None, "amount", None, "6.00",
         "refund made in the platform, not in recon"),
        ("link_differs", CN, "PCN-77", "D1", "amount", "36.00", "30.00", "the amount applied differs"),
        ("invoice_differs", "D1", "D1", "D1", "unpaid_amount", "120.00", "126.00",
         f"applied credits differ ({CN})"),
    ]


def test_debit_voided_in_the_platform(books, tmp_path):
    cmp = compare(books, tmp_path, lambda e: e.void("D2", "2026-11-03"))
    why = "debit voided in the platform"
    assert found(cmp) == [
        ("invoice_differs", "D2", "D2", "D2", "status", "unpaid", "void", why),
        ("invoice_differs", "D2", "D2", "D2", "unpaid_amount", "38.00", "0.00", why),
        ("invoice_differs", "D2", "D2", "D2", "voided_on", None, "2026-11-03", "the void date differs"),
    ]


def test_payment_received_in_the_platform(books, tmp_path):
    cmp = compare(books, tmp_path, lambda e: e.pay("P2", "D2", "38.00", "2026-11-02"))
    why = "payment P2 received in the platform, not imported yet"
    assert found(cmp) == [
        ("invoice_differs", "D2", "D2", "D2", "status", "unpaid", "paid", why),
        ("invoice_differs", "D2", "D2", "D2", "unpaid_amount", "38.00", "0.00", why),
        ("payment_only_in_platform", "D2", "D2", None, "amount", None, "38.00",
         "payment received in the platform, not imported yet"),
    ]


def test_payment_gone_from_the_platform(books, tmp_path):
    cmp = compare(books, tmp_path, lambda e: e.drop("payments", payment_id="P1"))
    assert found(cmp) == [
        ("invoice_differs", "D2", "D2", "D2", "unpaid_amount", "38.00", "48.00",
         "payment P1 is not in the platform: reversed or deleted there"),
        ("payment_only_in_ledger", "D2", "D2", "P1", "amount", "10.00", None,
         "payment is not in the platform: reversed or deleted there"),
    ]


def test_payment_that_differs(books, tmp_path):
    cmp = compare(books, tmp_path, lambda e: e.set("payments", {"payment_id": "P1"}, paid_on="2026-10-06"))
    assert found(cmp) == [("payment_differs", "D2", "D2", "P1", "paid_on", "2026-10-05", "2026-10-06",
                           "paid on changed in the platform")]


def test_due_date_moved_and_account_changed(books, tmp_path):
    def change(e):
        e.set("invoices", {"invoice_id": "D1"}, due_date="2026-11-30")
        e.set("invoices", {"invoice_id": "D2"}, account_id="ACC-9")

    assert found(compare(books, tmp_path, change)) == [
        ("invoice_differs", "D1", "D1", "D1", "due_date", "2026-10-31", "2026-11-30",
         "due date moved in the platform (recon import --update takes it)"),
        ("invoice_differs", "D2", "D2", "D2", "account_id", "ACC-1", "ACC-9", "account id changed in the platform"),
    ]


def test_items_that_differ(books, tmp_path):
    def change(e):
        e.set("invoice_items", {"item_id": "I3"}, description="Storage (TB)")
        e.add("invoice_items", item_id="I4", invoice_id="D2", line_no="2", description="Setup", quantity="1",
              unit_price="10", tax_rate="0.2", net_amount="10.00", tax_amount="2.00", amount="12.00")

    assert found(compare(books, tmp_path, change)) == [
        ("invoice_differs", "D2", "D2", "D2", "total", "48.00", "60.00", "items differ"),
        ("invoice_differs", "D2", "D2", "D2", "unpaid_amount", "38.00", "50.00", "items differ"),
        ("item_differs", "D2", "D2", "I3", "description", "Storage", "Storage (TB)",
         "description changed in the platform"),
        ("item_only_in_platform", "D2", "D2", None, "amount", None, "12.00", "item added to the debit in the platform"),
    ]


def test_invoices_on_one_side_only(books, tmp_path):
    def change(e):
        for table in ("invoices", "invoice_items", "payments"):
            e.drop(table, invoice_id="D2")
        e.add("invoices", invoice_id="D3", account_id="ACC-2", type="debit", invoice_date="2026-11-01",
              currency="EUR")
        e.add("invoice_items", item_id="I5", invoice_id="D3", line_no="1", quantity="1", unit_price="5",
              tax_rate="0", net_amount="5.00", tax_amount="0.00", amount="5.00")

    assert found(compare(books, tmp_path, change)) == [
        ("invoice_only_in_ledger", "D2", None, "D2", "total", "48.00", None,
         "debit D2 is not in the export: deleted in the platform, or the export is partial"),
        ("invoice_only_in_platform", None, "D3", None, "total", None, "5.00",
         "new debit in the platform, not imported yet (recon import brings it in)"),
    ]


def test_credit_made_in_the_platform_only(books, tmp_path):
    def change(e):
        e.add("invoices", invoice_id="PCN-9", account_id="ACC-1", type="credit", invoice_date="2026-10-28",
              currency="EUR")
        e.add("invoice_items", item_id="PCN-9/1", invoice_id="PCN-9", line_no="1", quantity="1",
              unit_price="10", tax_rate="0.2", net_amount="10.00", tax_amount="2.00", amount="12.00",
              credited_item_id="I3")
        e.add("invoice_links", credit_invoice_id="PCN-9", debit_invoice_id="D2", amount="12.00",
              linked_on="2026-10-28")

    why = "credit PCN-9 was made in the platform and is not in recon"
    assert found(compare(books, tmp_path, change)) == [
        ("invoice_differs", "D2", "D2", "D2", "unpaid_amount", "38.00", "26.00", why),
        ("invoice_only_in_platform", None, "PCN-9", None, "total", None, "12.00", why + " (recon import brings it in)"),
        ("link_only_in_platform", None, "PCN-9", "D2", "amount", None, "12.00", why),
    ]


def test_stated_figures_that_the_platforms_facts_do_not_give(books, tmp_path):
    cmp = compare(books, tmp_path, lambda e: e.set("invoices", {"invoice_id": "D1"}, unpaid_amount="119.99"),
                  stated=True)
    assert found(cmp) == [("invoice_differs", "D1", "D1", "D1", "unpaid_amount", "120.00", "119.99",
                           "no item, payment or link differs: the platform states a figure its own facts do "
                           "not give")]


def test_an_export_that_names_an_invoice_it_lacks_is_bad_input(books, tmp_path):
    export = PlatformExport.of(books, tmp_path / "platform")
    export.drop("invoices", invoice_id="D2")
    folder = export.write()
    with pytest.raises(recon.BadInput) as err:
        books.compare(folder)
    assert {(p.file.rsplit("/", 1)[-1], p.row, p.column, p.value) for p in err.value.problems} == {
        # file rows count the header: I3 follows I1, I2 and the credit's item CN-2026-000001/1
        ("invoice_items.csv", 5, "invoice_id", "D2"), ("payments.csv", 2, "invoice_id", "D2")}


def test_the_command_line_exit_codes_and_files(books, tmp_path, cli):
    export = PlatformExport.of(books, tmp_path / "platform")
    same = export.write()
    code, out, err = cli("compare", "--ledger", books.path, same)
    assert code == 0 and "agree" in out, err
    export.void("D2", "2026-11-03")
    code, out, err = cli("compare", "--ledger", books.path, export.write(), "--out", tmp_path / "cmp")
    assert code == 1, err
    assert "3 difference(s)" in out and "→ debit voided in the platform" in out
    assert sorted(p.name for p in (tmp_path / "cmp").iterdir()) == [
        "compare.html", "compare.xlsx", "differences.csv", "matched.csv", "summary.csv"]
    text = (tmp_path / "cmp" / "differences.csv").read_text()
    assert "invoice_differs,D2,D2,debit,D2,D2,unpaid_amount,38.00,0.00,EUR,-38.00,debit voided in the platform" in text
    code, out, err = cli("compare", "--ledger", books.path, tmp_path / "nowhere")
    assert code == 2 and "not a folder" in err


# -- property: the differences are exactly the platform's changes -----------------------------

DEBITS = "\n".join(f"D{n},ACC-{n % 2 + 1},debit,2026-10-{n:02d},,EUR" for n in range(1, 9))
DEBIT_ITEMS = "\n".join(f"I{n},D{n},1,Item {n},{n},10,0.2,{10 * n}.00,{2 * n}.00,{12 * n}.00" for n in range(1, 9))


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    """Eight debits, two of them paid in part, four credits made in recon (links to D1–D4)."""
    from tests.conftest import _frame

    folder = tmp_path_factory.mktemp("busy")
    lg = recon.Ledger.create(folder / "l.duckdb")
    from recon.transfer import import_frames

    import_frames(lg.db, {
        "invoices": _frame("invoice_id,account_id,type,invoice_date,due_date,currency\n" + DEBITS, "invoices"),
        "invoice_items": _frame("item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,"
                                "tax_amount,amount\n" + DEBIT_ITEMS, "invoice_items"),
        "payments": _frame("payment_id,invoice_id,amount,paid_on\nP5,D5,10.00,2026-10-20\nP6,D6,72.00,2026-10-20",
                           "payments"),
    })
    lg.close()
    for n in range(1, 5):
        lg.credit(f"D{n}", {f"I{n}": "1"}, date="2026-10-25")
    return lg


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(voids=st.sets(st.sampled_from(["D5", "D6", "D7"])),
       paid=st.dictionaries(st.sampled_from(["D1", "D2", "D8"]), st.integers(1, 100), max_size=3),
       renumbered=st.sets(st.sampled_from([f"CN-2026-00000{n}" for n in range(1, 5)])))
def test_compare_reports_exactly_the_platforms_changes(busy, tmp_path_factory, voids, paid, renumbered):
    lg = busy
    export = PlatformExport.of(lg, tmp_path_factory.mktemp("p") / "platform")
    inv = lg.table("invoices").set_index("invoice_id")
    expected = set()
    for d in sorted(voids):
        export.void(d)
        expected.add(("invoice_differs", d, "status"))
        if inv.loc[d, "unpaid_amount"] > 0:
            expected.add(("invoice_differs", d, "unpaid_amount"))
    for d, percent in sorted(paid.items()):
        unpaid = inv.loc[d, "unpaid_amount"]
        amount = (unpaid * percent / 100).quantize(D("0.01"))
        if amount == 0:
            continue
        export.pay(f"PAY-{d}", d, f"{amount:.2f}", "2026-11-02")
        expected |= {("payment_only_in_platform", d, "amount"), ("invoice_differs", d, "unpaid_amount")}
        if amount == unpaid:
            expected.add(("invoice_differs", d, "status"))
    for n, credit in enumerate(sorted(renumbered)):
        export.renumber(credit, f"PLT-{n}")
    cmp = lg.compare(export.write())
    got = set(cmp.differences[["kind", "invoice_id", "column"]].itertuples(index=False, name=None))
    assert got == expected
    assert set(cmp.matched["ledger_invoice_id"]) == renumbered
    assert cmp.exit_code == (1 if expected else 0)


def test_a_void_given_by_its_status_alone_agrees_with_the_ledgers_void(books, tmp_path):
    # the platform voided D2 and recon took it (import --update, on the import's day)
    export = PlatformExport.of(books, tmp_path / "platform")
    export.void("D2")
    books.import_dir(export.write(), date="2026-11-05", update=True)
    assert books.compare(export.folder).agree


def test_a_credit_voided_in_recon_before_it_reached_the_platform(books, tmp_path):
    export = PlatformExport.of(books, tmp_path / "platform")
    for table, col in (("invoices", "invoice_id"), ("invoice_items", "invoice_id"),
                       ("invoice_links", "credit_invoice_id")):
        export.drop(table, **{col: CN})
    folder = export.write()
    books.void(CN, date="2026-10-21")
    assert found(books.compare(folder)) == [
        ("invoice_only_in_ledger", CN, None, CN, "total", "36.00", None,
         f"credit {CN} was voided in recon: nothing to create in the platform")]


def test_the_bundled_next_month_export_is_what_its_script_makes(tmp_path):
    # data/next_month/ (the demo's compare step) is made by scripts/make_next_month.py from
    # the demo's own ledger: a change to the demo that moves it must make it again
    import subprocess
    import sys

    from tests.conftest import DATA

    script = DATA.parent / "scripts" / "make_next_month.py"
    out = tmp_path / "next_month"
    subprocess.run([sys.executable, str(script), str(out)], check=True, capture_output=True, timeout=600)
    made = sorted(p.name for p in out.iterdir())
    assert made == sorted(p.name for p in (DATA / "next_month").iterdir())
    for name in made:
        assert (out / name).read_bytes() == (DATA / "next_month" / name).read_bytes(), (
            f"data/next_month/{name} differs from what scripts/make_next_month.py makes: run it again")
