#!/usr/bin/env bash
# THE run command: installs what Verbatim needs, builds it, and serves.
#   scripts/start.sh [verbatim serve arguments...]     (see: target/release/verbatim serve --help)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"

install_prerequisites "system packages" "Whisper models"
say "cargo build --release -p verbatim"
cargo build --release -p verbatim
say "exec target/release/verbatim serve $*"
exec "$REPO_ROOT/target/release/verbatim" serve "$@"
