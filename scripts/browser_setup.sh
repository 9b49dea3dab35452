#!/usr/bin/env bash
# The real clients the screen tests drive (tests/test_browser.py, tests/test_report_print.py):
# Debian's Chromium and its driver, and LibreOffice Calc to open the workbook. Installed
# only when missing; a machine where they cannot be installed still runs every other
# test (those tests then skip, saying why).
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "browser set-up: cannot install ${need[*]} (needs apt-get as root); the browser tests will skip" >&2
    exit 0
fi
echo "browser set-up: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || echo "browser set-up: apt-get could not install ${need[*]}; the tests that need them will skip" >&2
exit 0
