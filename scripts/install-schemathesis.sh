#!/usr/bin/env bash
# Installs `schemathesis` into its own virtual environment, tests/.venv-schemathesis, for the
# schema-driven tests (crates/verbatim/tests/verbatim/schema_fuzz.rs): it generates requests from
# the server's own OpenAPI document and checks every response against it. Skips the work when
# the pinned version is already there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Pinned: its checks and its report's format are those of this release.
SCHEMATHESIS_VERSION=4.32.5
VENV="$REPO_ROOT/tests/.venv-schemathesis"

if [[ -x "$VENV/bin/schemathesis" ]] \
    && [[ "$("$VENV/bin/python" -c 'from importlib.metadata import version; print(version("schemathesis"))' 2>/dev/null)" == "$SCHEMATHESIS_VERSION" ]]; then
    say "have schemathesis $SCHEMATHESIS_VERSION in $VENV"
    exit 0
fi
say "schemathesis $SCHEMATHESIS_VERSION -> $VENV"
python3 -m venv "$VENV" \
    || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" \
    || die "pip install schemathesis==$SCHEMATHESIS_VERSION failed"
