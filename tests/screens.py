"""The real clients the screen tests drive: headless Chromium (Selenium) and LibreOffice.

Chromium and chromedriver come from Debian (``scripts/browser_setup.sh``, run by
``make install-test``); a test that needs one skips, saying why, only where it cannot be
installed. Screenshots go to ``artifacts/screenshots/`` (git-ignored; CI keeps them).
This machine's network is closed, so Chromium starts with everything that would phone
home switched off, and a fresh profile each time.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def chromium() -> tuple[str, str]:
    """(browser, driver) paths, or the test skips saying what is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.skip("Chromium and chromedriver are not installed and could not be "
                    "(scripts/browser_setup.sh: apt-get install chromium chromium-driver)")
    return browser, driver


def shot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def print_to_pdf(html: Path, pdf: Path, profile: Path) -> Path:
    """The page printed as Chromium prints it (its print stylesheet, no header or footer)."""
    browser, _ = chromium()
    subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", html.as_uri()], check=True, capture_output=True,
                   timeout=90)
    return pdf


def pdf_pages(pdf: Path) -> list[str]:
    """Each page's text, ligatures undone (a font's "ﬁ" reads as "fi"), spaces single."""
    import unicodedata

    from pypdf import PdfReader

    return [" ".join(unicodedata.normalize("NFKC", page.extract_text() or "").split())
            for page in PdfReader(pdf).pages]


def pdf_to_png(pdf: Path, name: str, pages: int = 2) -> list[Path]:
    """The first pages as PNG screenshots (pdftoppm), when poppler is installed."""
    if not shutil.which("pdftoppm"):
        return []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stem = SCREENSHOTS / name
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", str(pages), str(pdf), str(stem)],
                   check=True, capture_output=True, timeout=60)
    return sorted(SCREENSHOTS.glob(f"{name}-*.png"))


def webdriver(profile: Path, width: int = 1400, height: int = 1000):
    from selenium import webdriver as wd
    from selenium.webdriver.chrome.service import Service

    browser, driver = chromium()
    opts = wd.ChromeOptions()
    opts.binary_location = browser
    for flag in FLAGS + [f"--user-data-dir={profile}", f"--window-size={width},{height}"]:
        opts.add_argument(flag)
    return wd.Chrome(service=Service(executable_path=driver), options=opts)
