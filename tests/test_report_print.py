"""The month-end report in the clients a controller uses: the HTML page on a 1400-pixel
screen and printed by Chromium, the workbook opened by LibreOffice Calc.

Screenshots: artifacts/screenshots/report-*.png.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from recon import formats
from tests.screens import pdf_pages, pdf_to_png, print_to_pdf, shot, webdriver


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    """The demo's October report (credits, a bulk run, cancellations) and its tables."""
    import contextlib
    import io

    import recon
    from recon.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    with contextlib.redirect_stdout(io.StringIO()):
        assert run_demo(out) == 0
    with recon.Ledger(out / "ledger.duckdb", read_only=True) as lg:
        rep = lg.report("2026-10")
    return out / "report", rep


def test_printed_page_keeps_every_column(demo_report, tmp_path):
    folder, rep = demo_report
    pdf = print_to_pdf(folder / "recon-report-2026-10.html", tmp_path / "report.pdf", tmp_path / "profile")
    from pypdf import PdfReader

    first = PdfReader(pdf).pages[0]
    width, height = float(first.mediabox.width), float(first.mediabox.height)
    assert (round(width), round(height)) == (842, 595)        # A4 landscape, in points
    pages = pdf_pages(pdf)
    flat = pages
    # the first page: the header block, the sign-off and every figure of the summary
    for shown in ("Month-end reconciliation 2026-10", "Generated at", "recon version", "Prepared by",
                  "Reviewed by", "closed; by Demo Preparer", "reviewed by Demo Reviewer",
                  "figures as signed off", "Prepared by Demo Preparer", "no GL file given"):
        assert shown in flat[0], shown
    for col in rep.summary.columns:
        if col != "currency":
            assert formats.label(col) in flat[0], formats.label(col)
    for cur in rep.summary["currency"]:
        assert cur in flat[0]
    # every table's columns are on the page that holds it (nothing cut at the right edge)
    text = " ".join(flat)
    for name, df in rep.tables.items():
        for col in df.columns:
            label = formats.label(col)
            assert " ".join(label.split()) in text or all(w in text for w in label.split()), (name, label)
    # the widest table's last column is printed beside its first on the same page
    page = next(p for p in flat if "Credits issued in the period" in p)
    assert "Credit invoice" in page and "Status" in page
    pdf_to_png(pdf, "report-printed", pages=3)


def test_page_on_a_1400_pixel_screen_has_no_sideways_scroll(demo_report, tmp_path):
    folder, _ = demo_report
    driver = webdriver(tmp_path / "profile", width=1400, height=1000)
    try:
        driver.get((folder / "recon-report-2026-10.html").as_uri())
        page = driver.execute_script("return document.documentElement.scrollWidth")
        view = driver.execute_script("return document.documentElement.clientWidth")
        assert page <= view, (page, view)
        boxes = driver.execute_script(
            "return [...document.querySelectorAll('.tbl')].map(b => [b.closest('section') ?"
            " b.closest('section').id : 'summary', b.scrollWidth, b.clientWidth])")
        cut = [b for b in boxes if b[1] > b[2] + 1]
        assert not cut, cut                                   # no table needs a sideways scroll
        shot(driver, "report-screen-1400")
        driver.execute_script("document.getElementById('credits_issued').scrollIntoView()")
        shot(driver, "report-screen-1400-credits")
    finally:
        driver.quit()


def test_workbook_in_libreoffice(demo_report, tmp_path):
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not installed (scripts/browser_setup.sh installs it)")
    folder, rep = demo_report
    src = tmp_path / "report.xlsx"
    shutil.copy(folder / "recon-report-2026-10.xlsx", src)
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=120)
    pdf = tmp_path / "report.pdf"
    pages = pdf_pages(pdf)
    text = " ".join(pages)
    from pypdf import PdfReader

    first = PdfReader(pdf).pages[0]
    assert float(first.mediabox.width) > float(first.mediabox.height)   # landscape
    assert "Month-end reconciliation 2026-10" in pages[0] and "Prepared by" in pages[0]
    for name, df in rep.tables.items():
        for col in df.columns:
            assert formats.label(col) in text, (name, formats.label(col))
    assert "nothing in this period" in text                      # the empty sheets say so
    eur = rep.rollforward.set_index("currency").loc["EUR", "closing_unpaid"]
    assert formats.money(eur, "EUR") in text and "," in formats.money(eur, "EUR")  # money as money
    pdf_to_png(pdf, "report-workbook-libreoffice", pages=4)
