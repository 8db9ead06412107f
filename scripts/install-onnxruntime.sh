#!/usr/bin/env bash
# Puts the ONNX Runtime shared library into .ct2/lib (gitignored), beside CTranslate2's: the one
# inside the PyPI wheel onnxruntime==1.32.0. Verbatim does not link it: crates/vad opens it at run
# time (ort's load-dynamic) by its file name, which the dynamic loader finds through the same
# RUNPATH as CTranslate2 (.cargo/config.toml), or the system's library path in the image.
# Why the wheel: ort's own build step downloads ONNX Runtime from a CDN, and only the package
# registries are reachable from the machines this project builds on.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

VERSION=1.32.0
WHEEL="onnxruntime-$VERSION-cp311-cp311-manylinux_2_28_x86_64.whl"
SHA256=5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d
LIB_DIR="$REPO_ROOT/.ct2/lib"
LIBRARY="libonnxruntime.so.$VERSION"

if [[ -f "$LIB_DIR/$LIBRARY" && -f "$LIB_DIR/.onnxruntime-$VERSION" ]]; then
    say "ONNX Runtime $VERSION: present in $LIB_DIR"
    exit 0
fi
wheel="$(fetch_native_wheel "ONNX Runtime" "onnxruntime==$VERSION" "$WHEEL" "$SHA256")"
mkdir -p "$LIB_DIR"
tmp="$(mktemp -d "$LIB_DIR/.onnxruntime.XXXXXX")"; trap 'rm -rf "$tmp"' EXIT
unzip -q -o -j "$wheel" "onnxruntime/capi/$LIBRARY" -d "$tmp"
mv "$tmp/$LIBRARY" "$LIB_DIR/$LIBRARY"
touch "$LIB_DIR/.onnxruntime-$VERSION"
say "ONNX Runtime $VERSION: installed in $LIB_DIR"
