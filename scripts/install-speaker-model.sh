#!/usr/bin/env bash
# Installs the speaker-embedding model for diarization from PyPI: resemblyzer's trained voice
# encoder (a 3-layer LSTM d-vector model, shipped inside the `resemblyzer` wheel as pretrained.pt).
# Usage: scripts/install-speaker-model.sh [--dir DIR]   (default: $VERBATIM_MODELS_DIR or <repo>/models)
# Result: <models>/resemblyzer/pretrained.pt (as shipped) and encoder.safetensors (the same
# weights, converted with the Python standard library only; crates/diarize reads this one).
# The wheel is only downloaded and unzipped, never pip-installed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

models_dir_args 7 "$@"

PT_SHA=39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e
ST_SHA=0cb6d76aea2bdd43c5eaceb43cfdfdb0d92aaad82c17eec055762ee52f4de14d
dest="$MODELS_DIR/resemblyzer"

if [[ -f "$dest/pretrained.pt" && -f "$dest/encoder.safetensors" ]] \
    && [[ "$(sha256sum "$dest/pretrained.pt" | cut -d' ' -f1)" == "$PT_SHA" ]] \
    && [[ "$(sha256sum "$dest/encoder.safetensors" | cut -d' ' -f1)" == "$ST_SHA" ]]; then
    say "model resemblyzer: already installed in $dest"
    exit 0
fi
say "model resemblyzer: installing into $dest"
pip_fetch resemblyzer==0.1.4 "$CACHE_DIR" \
    Resemblyzer-0.1.4-py3-none-any.whl \
    8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f --only-binary :all:
tmp="$(mktemp -d "$MODELS_DIR/.resemblyzer.XXXXXX")"
unzip -q -o -j "$CACHE_DIR/Resemblyzer-0.1.4-py3-none-any.whl" resemblyzer/pretrained.pt -d "$tmp"
check_sha256 "$tmp/pretrained.pt" "$PT_SHA"
python3 "$REPO_ROOT/scripts/resemblyzer-to-safetensors.py" "$tmp/pretrained.pt" "$tmp/encoder.safetensors"
check_sha256 "$tmp/encoder.safetensors" "$ST_SHA"
replace_model "$tmp" "$dest" resemblyzer
