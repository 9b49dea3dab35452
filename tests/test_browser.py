"""The credit dialog in a real browser: JupyterLab with the sample notebook, driven by
Selenium and Debian's headless Chromium, as an analyst uses it.

The test runs the notebook, finds an invoice by its number, ticks an item, types a bad
and then a good quantity, previews, saves, and reads what the page shows: no stale
preview, the totals, the debit's unpaid amount before and after. Screenshots of every
step: artifacts/screenshots/dialog-*.png. Bounded: about a minute on this machine.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.screens import ROOT, SCREENSHOTS, chromium, shot, webdriver

NOTEBOOK = "01_credit_items.ipynb"
DEADLINE = 90  # seconds for the whole browser session
#: an invoice of ACC-1001 that the notebook's own cells leave alone, and its item 2
#: (29 database licences)
DEBIT, LINE = "INV-2026-000067", 1


def _expected(tmp: Path) -> dict:
    """The figures the dialog must show, from the engine on a fresh sample ledger."""
    import recon
    from recon.formats import money
    from tests.conftest import DATA

    recon.init(tmp / "expected.duckdb", DATA)
    with recon.Ledger(tmp / "expected.duckdb") as lg:
        item = lg.creditable_items(DEBIT).item_id.iloc[LINE]
        out = {}
        for q in ("2", "1"):
            res = lg.credit(DEBIT, {item: q}, date="2026-10-30", dry_run=True)
            d = res.debits.iloc[0]
            out[q] = {"total": money(res.credits.total.iloc[0], "EUR"),
                      "before": money(d.unpaid_before, "EUR", code=True),
                      "after": money(d.unpaid_after, "EUR", code=True)}
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on a free local port with a token, serving a copy of the notebooks."""
    chromium()  # skip early, before starting a server, when there is no browser
    work = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", work)
    port, token = _free_port(), secrets.token_hex(16)
    jupyter = Path(sys.executable).parent / "jupyter"
    # a fresh configuration; no news to fetch (the network is closed)
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    env.pop("RECON_LEDGER", None)
    server = subprocess.Popen(
        [str(jupyter), "lab", "--allow-root", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={work}", "--ServerApp.password=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.news_url=", "--LabApp.extension_manager=readonly"],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"))
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail("jupyter lab stopped: " + (tmp_path / "lab.log").read_text()[-2000:])
                time.sleep(0.25)
        else:
            pytest.fail("jupyter lab did not answer in 30 s")
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def test_credit_dialog_in_jupyterlab(lab, tmp_path):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    url, token = lab
    want = _expected(tmp_path)
    start = time.monotonic()
    driver = webdriver(tmp_path / "profile", width=1400, height=1100)
    wait = WebDriverWait(driver, 45)

    def css(selector: str):
        return wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, selector)))

    def text(selector: str) -> str:
        return driver.find_element(By.CSS_SELECTOR, selector).text

    def until(check, what: str, seconds: float = 20):
        # the widgets re-render a list when its options change (after a save): an element
        # read in the middle of that is stale, and the check is simply asked again
        WebDriverWait(driver, seconds, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
                      ).until(lambda _: check(), message=what)

    def show(selector: str, name: str) -> None:
        """A screenshot with the part of the dialog that matters in view."""
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", css(selector))
        shot(driver, name)

    for old in SCREENSHOTS.glob("dialog-*.png"):
        old.unlink()

    try:
        driver.get(f"{url}/lab/tree/{NOTEBOOK}?token={token}")
        css(".jp-Notebook")
        # a fresh JupyterLab may ask which kernel to start: the notebook's own
        try:
            WebDriverWait(driver, 8).until(ec.element_to_be_clickable(
                (By.CSS_SELECTOR, ".jp-Dialog .jp-mod-accept"))).click()
        except Exception:  # no question asked
            pass
        # Run > Run All Cells, as an analyst does
        run_menu = wait.until(ec.element_to_be_clickable(
            (By.XPATH, "//li[contains(@class,'lm-MenuBar-item')][.//div[text()='Run']]")))
        run_menu.click()
        wait.until(ec.element_to_be_clickable(
            (By.XPATH, "//li[contains(@class,'lm-Menu-item')][.//div[text()='Run All Cells']]"))).click()
        search = css(".recon-search input")
        shot(driver, "dialog-1-ready")

        # pick the account, then find the invoice by its number
        Select(css(".recon-account select")).select_by_value("ACC-1001")
        search.send_keys(DEBIT.removeprefix("INV-2026-"), Keys.ENTER)
        tick, quantity, error = f".recon-tick-{LINE} input", f".recon-qty-{LINE} input", f".recon-error-{LINE}"
        until(lambda: len(driver.find_elements(By.CSS_SELECTOR, tick)) == 1, "the invoice's items appear")

        def chosen() -> str:
            return Select(css(".recon-invoice select")).first_selected_option.text

        until(lambda: chosen().startswith(DEBIT), "the invoice found is chosen")
        assert f"unpaid {want['2']['before']}" in chosen(), chosen()

        def type_quantity(value: str) -> None:
            field = css(quantity)
            field.send_keys(Keys.CONTROL, "a")
            field.send_keys(value, Keys.TAB)

        # tick the database licences, type a bad quantity: refused beside the field
        css(tick).click()
        type_quantity("1e3")
        css(".recon-preview-button").click()
        until(lambda: "is not a quantity" in text(error), "the bad quantity is named")
        assert text(".recon-preview") == ""
        assert not css(".recon-save").is_enabled()
        show(error, "dialog-2-bad-quantity")

        # a good quantity, then the preview: totals, unpaid before and after
        type_quantity("2")
        css(".recon-preview-button").click()
        until(lambda: "Preview (not saved)" in text(".recon-preview"), "the preview appears")
        preview = text(".recon-preview")
        assert "Total" in preview and want["2"]["total"] in preview
        assert f"unpaid {want['2']['before']} → {want['2']['after']}" in preview
        assert "Amount (EUR)" in preview and f"linked {want['2']['total']} EUR" in preview
        assert text(error) == ""
        show(".recon-preview", "dialog-3-preview")

        # typing after the preview clears it: no stale figures, Save disabled
        type_quantity("1")
        until(lambda: text(".recon-preview") == "", "the stale preview is cleared")
        assert not css(".recon-save").is_enabled()
        css(".recon-preview-button").click()
        until(lambda: want["1"]["total"] in text(".recon-preview"), "the new preview")
        assert f"unpaid {want['1']['before']} → {want['1']['after']}" in text(".recon-preview")
        show(".recon-preview", "dialog-4-preview-again")

        # save: the message says what the credit note is and what happened to the debit
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".recon-save"))).click()
        until(lambda: "Saved CN-2026-" in text(".recon-message"), "the saved message")
        message = text(".recon-message")
        assert f"credit note for {want['1']['total']} EUR, all of it applied" in message
        assert want["1"]["after"] in message
        until(lambda: f"unpaid {want['1']['after']}" in chosen(), "the list shows the new unpaid amount")
        assert css(".recon-void").is_enabled()
        show(".recon-message", "dialog-5-saved")
        assert time.monotonic() - start < DEADLINE, "the browser session took too long"
    except Exception:
        shot(driver, "dialog-failed")
        raise
    finally:
        driver.quit()
