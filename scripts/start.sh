#!/usr/bin/env bash
# THE run command: installs what Verbatim needs, builds it, and serves.
#   scripts/start.sh [verbatim serve arguments...]     (see: target/release/verbatim serve --help)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"

say "system packages"
bash scripts/install-deps.sh
bash scripts/install-ctranslate2.sh
bash scripts/install-onnxruntime.sh
say "Whisper models"
export VERBATIM_MODELS_DIR="${VERBATIM_MODELS_DIR:-$REPO_ROOT/models}"
bash scripts/install-models.sh --dir "$VERBATIM_MODELS_DIR"
say "cargo build --release -p verbatim"
cargo build --release -p verbatim
say "exec target/release/verbatim serve $*"
exec "$REPO_ROOT/target/release/verbatim" serve "$@"
