#!/usr/bin/env bash
# Installs what the web dashboard's browser test (crates/verbatim/tests/verbatim/dashboard.rs)
# drives: Debian's headless Chromium and its WebDriver (chromium, chromium-driver), and the
# pinned `selenium` Python package in its own virtual environment, tests/.venv-browser.
# Skips each part that is already there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Pinned: the test's driver script is written against this release's API. (4.52.0, the newest,
# wants a certifi release newer than the package index this project is built from has.)
SELENIUM_VERSION=4.51.0
VENV="$REPO_ROOT/tests/.venv-browser"
PACKAGES=(chromium chromium-driver)

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    say "have ${PACKAGES[*]}"
else
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
        SUDO="sudo"
    fi
    say "apt-get install ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ -x "$VENV/bin/python" ]] \
    && [[ "$("$VENV/bin/python" -c 'import selenium; print(selenium.__version__)' 2>/dev/null)" == "$SELENIUM_VERSION" ]]; then
    say "have selenium $SELENIUM_VERSION in $VENV"
    exit 0
fi
say "selenium $SELENIUM_VERSION -> $VENV"
python3 -m venv "$VENV" \
    || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "selenium==$SELENIUM_VERSION" \
    || die "pip install selenium==$SELENIUM_VERSION failed"
