#!/usr/bin/env bash
# THE test command: installs everything the tests need, then runs the whole test suite.
#   scripts/test.sh [extra cargo test arguments...]
# Works from a fresh clone on a fresh Debian 12 machine (root or sudo, Rust, Python 3 + pip);
# every step skips what is already there, so a second run goes straight to the tests.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"

install_prerequisites "step 1/4: system packages" "step 2/4: Whisper models"

say "step 3/4: real-speech fixtures"
bash scripts/fetch-test-data.sh
export VERBATIM_FIXTURES="$REPO_ROOT/tests/fixtures/cache"
# The official OpenAI Python client, for the OpenAI-compatibility tests.
bash scripts/install-openai-client.sh
# schemathesis, for the schema-driven tests against the server's OpenAPI document.
bash scripts/install-schemathesis.sh
# Headless Chromium, its WebDriver and selenium, for the web dashboard's browser test.
bash scripts/install-browser.sh

# ---- services the tests need -----------------------------------------------------------------
# PostgreSQL and an S3 server (s3s-fs) for the fleet backends, bound to 127.0.0.1 with their
# data under temporary folders; stopped by the EXIT trap. Exports VERBATIM_TEST_DATABASE_URL,
# VERBATIM_TEST_S3_ENDPOINT, VERBATIM_TEST_S3_DIR and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
say "services: PostgreSQL, S3"
trap 'stop_test_services' EXIT
source scripts/start-test-services.sh
# ------------------------------------------------------------------------------------------------

say "step 4/4: gates and tests"
# The gates first: they take seconds to a few minutes and fail fast. clippy runs on the release
# profile so that it shares the build scripts' output (sqlite, ring, ct2rs) with the tests' build.
for tool in rustfmt clippy; do
    cargo "${tool/rustfmt/fmt}" --version >/dev/null 2>&1 || rustup component add "$tool" \
        || die "cargo ${tool/rustfmt/fmt} is missing and rustup could not add $tool"
done
say "cargo fmt --all --check"
cargo fmt --all --check
say "cargo clippy --release --workspace --all-targets -- -D warnings"
cargo clippy --release --workspace --all-targets -- -D warnings
say "python3 -m unittest (bench helpers)"
python3 -m unittest discover -s bench -p 'test_*.py'
# --no-fail-fast: one failing test binary must not hide the results of the others.
say "cargo test --release --workspace --no-fail-fast $*"
cargo test --release --workspace --no-fail-fast "$@"
