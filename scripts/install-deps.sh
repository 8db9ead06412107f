#!/usr/bin/env bash
# Installs the Debian packages that building and testing Verbatim needs.
# Idempotent: asks dpkg first and runs apt-get only when something is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# cmake/clang/libclang-dev/pkg-config/build-essential: CTranslate2 (C++) and bindgen for ct2rs.
# libssl-dev: TLS for crates that link OpenSSL. ffmpeg/sox: decoding fallback, test fixtures.
# python3-venv: the benchmark's virtualenv. unzip/curl/xz-utils: unpacking fixture sources.
# time: /usr/bin/time -v for peak memory in the benchmark. sqlite3: inspecting the job store.
PACKAGES=(
    build-essential cmake clang libclang-dev pkg-config libssl-dev
    ffmpeg sox
    python3 python3-pip python3-venv
    unzip curl ca-certificates xz-utils time sqlite3
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg -s "$pkg" >/dev/null 2>&1 || ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    say "Debian packages: all ${#PACKAGES[@]} present"
    exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
    SUDO="sudo"
fi

say "Debian packages missing: ${missing[*]}"
say "apt-get update"
$SUDO apt-get update -qq
say "apt-get install ${missing[*]}"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
