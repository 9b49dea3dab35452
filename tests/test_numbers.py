"""Numbers as files and options write them: ISO 4217 minor units, trailing zeros, what the
ledger can hold, mapping formats, strict parsing, messages in the file's own terms."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import recon
from recon import money
from recon.errors import BadInput
from recon.files import FileFormat
from tests.test_cli import fingerprint


def write(folder, name, text):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("\n".join(line.strip() for line in text.strip().splitlines()) + "\n",
                               encoding="utf-8")


INVOICE = "invoice_id,account_id,type,invoice_date,currency\nH1,A,debit,2026-10-01,{cur}\n"
ITEM_HEAD = "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount\n"


def folder_of(tmp_path, currency: str, item_row: str, name: str = "in"):
    """A folder with one debit invoice H1 in ``currency`` and one item row."""
    folder = tmp_path / name
    write(folder, "invoices.csv", INVOICE.format(cur=currency))
    write(folder, "invoice_items.csv", ITEM_HEAD + item_row)
    return folder


def refused(tmp_path, folder, mapping=None) -> BadInput:
    with recon.Ledger.create(tmp_path / "l.duckdb") as lg:
        before = fingerprint_of(lg)
        with pytest.raises(BadInput) as err:
            lg.import_dir(folder, mapping, rejects=tmp_path / "rejects.csv")
        assert fingerprint_of(lg) == before
    return err.value


def fingerprint_of(lg):
    return {t: lg.table(t).to_csv(index=False) for t in ("invoices", "invoice_items", "payments", "audit_log")}


# -- ISO 4217 minor units --------------------------------------------------------------------


def test_minor_units_are_iso_4217_not_cldr():
    # CLDR (babel) gives every one of these 0; ISO 4217 gives 2 (IQD 3)
    for code in ("HUF", "IDR", "COP", "LBP", "IRR", "ALL", "AFN", "MMK", "YER", "SYP", "SOS", "LAK", "MGA"):
        assert money.currency_digits(code) == 2, code
    assert money.currency_digits("IQD") == 3
    assert (money.currency_digits("EUR"), money.currency_digits("JPY"), money.currency_digits("BHD")) == (2, 0, 3)
    # no minor unit (gold) and 4 decimals (CLF) cannot be stored exactly: not offered
    assert not {"XAU", "CLF", "XXX"} & money.known_currencies()
    assert money.iso_published() >= "2026-01-01"


def test_a_new_ledger_holds_iso_digits_and_huf_keeps_its_fillér(tmp_path):
    folder = folder_of(tmp_path, "HUF", "H1-1,H1,1,Licence,3,33.50,0.27,100.50,27.14,127.64")
    with recon.Ledger.create(tmp_path / "l.duckdb") as lg:
        assert dict(lg.db.rows("SELECT currency, digits FROM currencies WHERE currency IN ('HUF', 'IQD')")) == \
            {"HUF": 2, "IQD": 3}
        lg.import_dir(folder)                          # HUF 100.50 was refused with CLDR's 0
        res = lg.credit("H1", {"H1-1": "1"}, date="2026-10-02")
        # 100.50 × 1/3 = 33.50, tax 27.14 × 1/3 = 9.0466… -> 9.05: forints and fillér, not whole forints
        assert (res.items.net_amount[0], res.items.tax_amount[0]) == (D("33.50"), D("9.05"))


def test_init_again_gives_a_ledger_made_with_cldr_digits_the_iso_ones(tmp_path):
    path = tmp_path / "old.duckdb"
    with recon.Ledger.create(path) as lg:  # as babel filled it
        lg.db.execute("UPDATE currencies SET digits = 0, step_milli = 1000 WHERE currency IN ('HUF', 'IQD')")
    recon.init(path)
    with recon.Ledger(path) as lg:
        assert dict(lg.db.rows("SELECT currency, digits FROM currencies WHERE currency IN ('HUF', 'IQD')")) == \
            {"HUF": 2, "IQD": 3}


def test_a_currency_iso_lacks_is_added_to_the_ledger(cli, tmp_path):
    ledger = tmp_path / "l.duckdb"
    assert cli("init", "--ledger", ledger)[0] == 0
    folder = folder_of(tmp_path, "XBT", "H1-1,H1,1,Mining,1,0.125,0,0.125,0,0.125")
    code, out, err = cli("import", "--ledger", ledger, folder)
    assert code == 2 and "value 'XBT': unknown currency" in err

    code, out, err = cli("add-currency", "--ledger", ledger, "XBT", "3")
    assert (code, out.strip()) == (0, "XBT: 3 decimals"), err
    code, out, err = cli("import", "--ledger", ledger, folder)
    assert code == 0, err
    code, out, err = cli("show", "--ledger", ledger, "H1")
    assert code == 0 and "total     0.125" in out, out      # its 3 decimals, known on reopening
    with recon.Ledger(ledger, read_only=True) as lg:
        assert lg.table("audit_log").command.tolist()[:1] == ["add-currency"]


def test_an_added_currency_survives_export_and_init_from(tmp_path):
    folder = folder_of(tmp_path, "XBT", "H1-1,H1,1,Mining,1,0.125,0,0.125,0,0.125")
    with recon.Ledger.create(tmp_path / "a.duckdb") as lg:
        lg.add_currency("XBT", 3)
        lg.import_dir(folder)
        lg.export(tmp_path / "out")
    recon.init(tmp_path / "b.duckdb", tmp_path / "out")
    with recon.Ledger(tmp_path / "b.duckdb", read_only=True) as lg:
        assert lg.invoice("H1").iloc[0].total == D("0.125")
        assert lg.db.scalar("SELECT digits FROM currencies WHERE currency = 'XBT'") == 3


def test_an_export_of_a_ledger_with_cldr_digits_restores_with_iso_ones(tmp_path):
    folder = folder_of(tmp_path, "HUF", "H1-1,H1,1,Licence,1,100,0,100,0,100")
    with recon.Ledger.create(tmp_path / "old.duckdb") as lg:
        lg.db.execute("UPDATE currencies SET digits = 0, step_milli = 1000 WHERE currency = 'HUF'")
        lg.import_dir(folder)
        lg.export(tmp_path / "out")
    recon.init(tmp_path / "new.duckdb", tmp_path / "out")   # whole forints are valid fillér too
    with recon.Ledger(tmp_path / "new.duckdb", read_only=True) as lg:
        assert lg.db.scalar("SELECT digits FROM currencies WHERE currency = 'HUF'") == 2


@pytest.mark.parametrize("code, digits, message", [
    ("EUR", "2", "EUR is an ISO 4217 currency with 2 decimals already"),
    ("xbt", "2", "give a three-letter code in capitals"),
    ("XB1", "2", "give a three-letter code in capitals"),
    ("XBT", "4", "give the currency's decimals as 0, 1, 2 or 3"),
    ("XBT", "1_0", "give the currency's decimals as 0, 1, 2 or 3"),
    ("XBT", "1.5", "give the currency's decimals as 0, 1, 2 or 3"),
])
def test_adding_a_currency_is_checked(tmp_path, code, digits, message):
    with recon.Ledger.create(tmp_path / "l.duckdb") as lg:
        with pytest.raises(BadInput, match=message):
            lg.add_currency(code, digits)


def test_an_added_currency_keeps_its_decimals(tmp_path):
    with recon.Ledger.create(tmp_path / "l.duckdb") as lg:
        assert lg.add_currency("XTC", "2") == ("XTC", 2)
        assert lg.add_currency("XTC", 2) == ("XTC", 2)       # the same again: nothing changes
        with pytest.raises(BadInput, match="XTC is in the ledger already, with 2 decimals"):
            lg.add_currency("XTC", 0)
        assert lg.table("audit_log").command.tolist() == ["add-currency"]


# -- trailing zeros, and messages naming the currency's decimals ----------------------------------


def test_trailing_zeros_are_accepted(tmp_path):
    # 12.5000 has one significant decimal: a EUR amount, however many zeros follow
    folder = folder_of(tmp_path, "EUR", "H1-1,H1,1,Licence,1.000000000,12.5000,0.2400000,12.5000,3.0000,15.50000")
    with recon.Ledger.create(tmp_path / "l.duckdb") as lg:
        lg.import_dir(folder)
        assert lg.invoice("H1").iloc[0].total == D("15.50")


def test_parquet_decimal_38_10_holding_cents_is_accepted(tmp_path):
    folder = tmp_path / "in"
    write(folder, "invoices.csv", INVOICE.format(cur="GBP"))
    dec = pa.decimal128(38, 10)
    pq.write_table(pa.table({
        "item_id": ["H1-1"], "invoice_id": ["H1"], "line_no": pa.array([1], pa.int32()),
        "description": ["Licence"], "quantity": pa.array([D("2")], dec),
        "unit_price": pa.array([D("6.25")], dec), "tax_rate": pa.array([D("0.2")], dec),
        "net_amount": pa.array([D("12.50")], dec), "tax_amount": pa.array([D("2.50")], dec),
        "amount": pa.array([D("15.00")], dec)}), folder / "invoice_items.parquet")
    with recon.Ledger.create(tmp_path / "l.duckdb") as lg:
        lg.import_dir(folder)
        assert lg.invoice("H1").iloc[0].total == D("15.00")


@pytest.mark.parametrize("row, column, value, reason", [
    # a third decimal on GBP: the ledger could store it, the currency has none
    ("H1-1,H1,1,Licence,1,12.505,0,12.505,0,12.505", "net_amount", "12.505", "GBP has 2 decimals"),
    # a fourth: more than the ledger stores, still worded with the currency's own two
    ("H1-1,H1,1,Licence,1,12.5001,0,12.5001,0,12.5001", "net_amount", "12.5001", "GBP has 2 decimals"),
])
def test_too_many_decimals_names_the_currencys_own(tmp_path, row, column, value, reason):
    err = refused(tmp_path, folder_of(tmp_path, "GBP", row))
    p = next(p for p in err.problems if p.column == column)
    assert (p.row, p.value, p.reason) == (2, value, reason)
    assert "at most 3" not in err.summary()


def test_messages_quote_the_files_value_not_the_converted_one(tmp_path):
    # JPY has no decimals: the message quotes '12.5' as the file has it, not '12.500'
    err = refused(tmp_path, folder_of(tmp_path, "JPY", "H1-1,H1,1,Licence,1,12.5,0,12.5,0,12.5"))
    assert "value '12.5': JPY has no decimals" in err.summary()
    assert "12.500" not in err.summary()


# -- what the ledger can hold ---------------------------------------------------------------------


@pytest.mark.parametrize("row, column, reason", [
    ("H1-1,H1,1,Licence,1000000000000,0,0,0,0,0", "quantity", "below 10^12"),
    ("H1-1,H1,1,Licence,1,1000000000000.5,0,0,0,0", "unit_price", "below 10^12"),
    ("H1-1,H1,1,Licence,1,1,1000,1.00,0,1.00", "tax_rate", "too large for a rate"),
    ("H1-1,H1,1,Licence,1,1,0,1000000000000000,0,1000000000000000", "net_amount", "below 10^15"),
    ("H1-1,H1,9999999999,Licence,1,1,0,1.00,0,1.00", "line_no", "at most 9 digits"),
])
def test_values_beyond_the_ledger_are_bad_input(tmp_path, row, column, reason):
    err = refused(tmp_path, folder_of(tmp_path, "EUR", row))
    p = next(p for p in err.problems if p.column == column)
    assert p.row == 2 and p.file.endswith("invoice_items.csv") and reason in p.reason, err.summary()


def test_an_invoice_total_beyond_decimal_18_3_is_refused(tmp_path, recon_main):
    # each item fits; their sum (1.8 × 10^15) does not
    folder = folder_of(tmp_path, "EUR", "H1-1,H1,1,A,1000,900000000000,0,900000000000000.00,0,900000000000000.00\n"
                                        "H1-2,H1,2,B,1000,900000000000,0,900000000000000.00,0,900000000000000.00")
    ledger = tmp_path / "l.duckdb"
    recon.init(ledger)
    before = fingerprint(ledger)
    code, out, err = recon_main("import", "--ledger", ledger, folder)
    assert code == 2, err
    assert "row 2, column amount, value '900000000000000.00': the invoice's items add up to 1800000000000000.000" in err
    assert fingerprint(ledger) == before


# -- mappings: number formats and bad settings --------------------------------------------------------


def test_thousands_equal_to_the_decimal_mark_is_refused(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('thousands = "."\n')  # on a dot-decimal export: 136.40 would be 13640
    with pytest.raises(BadInput, match="thousands '.' is also the decimal mark"):
        FileFormat.from_toml(mapping)


@pytest.mark.parametrize("toml, message", [
    ('delimiter = ";;"', "delimiter ';;': give one character"),
    ("thousands = 5", "thousands = 5: give it as text in quotes"),
    ("columns = 5", "columns must be a table"),
    ('decimal = ";"', "decimal ';'"),
    ('date_format = "YYYY"', "date_format 'YYYY' cannot write and read a date"),
    ("net_may_differ = 1", "net_may_differ = 1: use true or false"),
    ('[columns]\n"Qty" = "quantity"\n"Menge" = "quantity"', "both mapped to 'quantity'"),
    ("colums = 1", "unknown setting(s) colums"),
])
def test_bad_mapping_values_are_bad_input(recon_main, tmp_path, toml, message):
    mapping = tmp_path / "m.toml"
    mapping.write_text(toml + "\n")
    code, out, err = recon_main("init", "--ledger", tmp_path / "l.duckdb", "--from", tmp_path, "--mapping", mapping)
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not (tmp_path / "l.duckdb").exists()


def test_a_mapped_name_the_file_already_has_is_refused(tmp_path):
    folder = folder_of(tmp_path, "EUR", "H1-1,H1,1,Licence,1,1,0,1.00,0,1.00")
    (tmp_path / "m.toml").write_text('[columns]\n"description" = "invoice_id"\n')
    err = refused(tmp_path, folder, tmp_path / "m.toml")
    assert "renames column 'description' to 'invoice_id', but the file has a column 'invoice_id' too" in err.summary()


def test_thousands_must_separate_groups_of_three_digits(tmp_path):
    (tmp_path / "m.toml").write_text('thousands = ","\n')
    good = folder_of(tmp_path, "EUR", "H1-1,H1,1,A,1,\"1,234,567.89\",0,\"1,234,567.89\",0,\"1,234,567.89\"", "good")
    with recon.Ledger.create(tmp_path / "good.duckdb") as lg:
        lg.import_dir(good, tmp_path / "m.toml")
        assert lg.invoice("H1").iloc[0].total == D("1234567.89")
    # "1,5" is a decimal comma, not fifteen: refused, quoting the file's cell
    bad = folder_of(tmp_path, "EUR", 'H1-1,H1,1,A,1,"1,5",0,1.50,0,1.50', "bad")
    err = refused(tmp_path, bad, tmp_path / "m.toml")
    p = next(p for p in err.problems if p.column == "unit_price")
    assert (p.row, p.value, p.code) == (2, "1,5", "number_format")
    assert "thousands ',' between groups of three digits" in p.reason


def test_a_dot_in_a_decimal_comma_file_is_refused(tmp_path):
    (tmp_path / "m.toml").write_text('delimiter = ";"\ndecimal = ","\n')
    folder = tmp_path / "in"
    write(folder, "invoices.csv", INVOICE.format(cur="EUR").replace(",", ";"))
    write(folder, "invoice_items.csv", ITEM_HEAD.replace(",", ";") + "H1-1;H1;1;A;1;136.40;0;136,40;0;136,40")
    err = refused(tmp_path, folder, tmp_path / "m.toml")
    p = next(p for p in err.problems if p.column == "unit_price")
    assert (p.value, p.code) == ("136.40", "number_format")


# -- strict parsing: what Decimal() alone would take ------------------------------------------------


@pytest.mark.parametrize("qty", ["1_0", "\u0661", "\uff11", "1e1", "NaN", " "])
def test_item_quantities_are_plain_ascii_numbers(recon_main, sample_copy, qty):
    before = fingerprint(sample_copy)
    code, out, err = recon_main("credit", "--ledger", sample_copy, "INV-2026-000177", "--item",
                                f"ITM-0000614={qty}", "--dry-run")
    assert code == 2 and "is not a number" in err, err
    assert fingerprint(sample_copy) == before


@pytest.mark.parametrize("ask", ["@1_0", "@\u0661", "@1e1", "@NaN"])
def test_credit_amounts_are_plain_ascii_numbers(recon_main, sample_copy, ask):
    before = fingerprint(sample_copy)
    code, out, err = recon_main("credit", "--ledger", sample_copy, "INV-2026-000177", "--item",
                                f"ITM-0000614={ask}", "--dry-run")
    assert code == 2 and err.startswith("recon credit: --item ITM-0000614: amount") and "is not a number" in err, err
    assert fingerprint(sample_copy) == before


def test_percentages_are_plain_ascii_numbers():
    with pytest.raises(BadInput, match="not a number"):
        recon.Percent("1_0")


def test_an_amount_or_percentage_with_trailing_zeros_is_its_value():
    # 20.0000 is 20: its zeros are no fourth decimal (the currency's decimals are checked later)
    assert recon.Amount("20.0000").checked("I1").value == D("20")
    assert recon.Percent("15.0000000").checked("I1").value == D("15")
    with pytest.raises(BadInput, match="more than 3 decimals"):
        recon.Amount("20.0001").checked("I1")


@pytest.mark.parametrize("amount", ["1_0", "\u0661\u0662", "1e1"])
def test_link_amounts_are_plain_ascii_numbers(amount):
    with pytest.raises(BadInput, match="not a number"):
        recon.links._amount(amount, "EUR", 2)


@pytest.mark.parametrize("cell", ["1_0", "\u0661", "\uff11", "1e3"])
def test_file_cells_are_plain_ascii_numbers(tmp_path, cell):
    err = refused(tmp_path, folder_of(tmp_path, "EUR", f"H1-1,H1,1,A,{cell},1,0,1.00,0,1.00"))
    p = next(p for p in err.problems if p.column == "quantity")
    assert (p.value, p.reason) == (cell, "not a number")


@pytest.mark.parametrize("period", ["10000-01", "9999-12", "0001-01", "1899-12",
                                    "\u0662\u0660\u0662\u0666-\u0661\u0660", "2026-13"])
def test_report_periods_out_of_range_are_bad_input(recon_main, sample_copy, tmp_path, period):
    code, out, err = recon_main("report", "--ledger", sample_copy, "--period", period, "--out", tmp_path / "r")
    assert code == 2 and "give a calendar month as YYYY-MM (1900-01 to 9998-12)" in err, err


@pytest.fixture
def iso_cache(tmp_path, monkeypatch):
    """ISO 4217's digits with an empty cache folder of the test's own, parsed or cached
    afresh by each call of ``digits()``; ``parses`` counts the XML parses."""
    monkeypatch.setenv("RECON_CACHE_DIR", str(tmp_path / "cache"))
    parses = []
    parse = money._parse_iso
    monkeypatch.setattr(money, "_parse_iso", lambda: parses.append(1) or parse())

    def digits():
        money._iso_digits.cache_clear()
        return money._iso_digits()

    yield digits, parses, tmp_path / "cache" / "iso4217-digits.json"
    money._iso_digits.cache_clear()


def test_iso_digits_are_parsed_once_then_read_from_the_cache(iso_cache):
    digits, parses, cache = iso_cache
    first = digits()
    assert (first["EUR"], first["JPY"], first["BHD"], first["HUF"], first["IQD"]) == (2, 0, 3, 2, 3)
    assert parses == [1] and cache.exists()
    assert digits() == first and parses == [1]  # the next command reads what the first kept


@pytest.mark.parametrize("kept", [
    '{"table": "another-table", "digits": {"EUR": 3}}',  # a table before an upgrade
    '{"table": "KEY", "digits": {"EUR": 7}}',  # digits no ledger can hold
    '{"table": "KEY", "digits": {}}',
    "not json",
])
def test_a_stale_or_damaged_iso_cache_is_parsed_afresh(iso_cache, kept):
    digits, parses, cache = iso_cache
    right = digits()
    key = json.loads(cache.read_text())["table"]
    cache.write_text(kept.replace("KEY", key))
    assert digits() == right and parses == [1, 1]
    assert digits() == right and parses == [1, 1]  # and kept right again


def test_an_unwritable_iso_cache_only_costs_a_parse(iso_cache, tmp_path, monkeypatch):
    digits, parses, _ = iso_cache
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("RECON_CACHE_DIR", str(blocker / "cache"))  # a folder under a file
    assert digits()["EUR"] == 2 and digits()["JPY"] == 0 and parses == [1, 1]


def test_no_home_means_no_iso_cache_and_never_one_in_the_current_folder(iso_cache, tmp_path, monkeypatch):
    digits, parses, _ = iso_cache
    for name in ("RECON_CACHE_DIR", "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(money.os.path, "expanduser", lambda path: path)  # no home to be found
    monkeypatch.chdir(tmp_path)
    assert digits()["EUR"] == 2 and digits()["BHD"] == 3 and parses == [1, 1]
    assert list(tmp_path.iterdir()) == []
