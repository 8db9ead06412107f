#!/usr/bin/env bash
# Installs the official `openai` Python package into its own virtual environment,
# tests/.venv-openai, for the OpenAI-compatibility tests (crates/verbatim/tests/verbatim/
# openai_compat.rs). Skips the work when the pinned version is already there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Pinned: the tests claim compatibility with this release of the client.
OPENAI_VERSION=3.57.0
VENV="$REPO_ROOT/tests/.venv-openai"

if [[ -x "$VENV/bin/python" ]] \
    && [[ "$("$VENV/bin/python" -c 'import openai; print(openai.__version__)' 2>/dev/null)" == "$OPENAI_VERSION" ]]; then
    say "have openai $OPENAI_VERSION in $VENV"
    exit 0
fi
say "openai $OPENAI_VERSION -> $VENV"
python3 -m venv "$VENV" \
    || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "openai==$OPENAI_VERSION" \
    || die "pip install openai==$OPENAI_VERSION failed"
