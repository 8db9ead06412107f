#!/usr/bin/env bash
# Puts the CTranslate2 shared library that Verbatim links into .ct2/lib (gitignored): the one
# inside the PyPI wheel ctranslate2==4.8.4, the same binary faster-whisper runs on.
#
# Why a prebuilt library instead of ct2rs compiling CTranslate2 itself: ct2rs can only compile
# CTranslate2 with ruy (slow int8/float GEMMs on x86) or oneDNN from source (~30 min on two
# cores). The wheel's library carries oneDNN and MKL and picks the faster for the CPU (oneDNN on
# AMD, MKL on Intel): measured ~1.5x faster encoder and 2-3x faster beam search than the ruy
# build, identical transcripts, and no C++ compile in the build at all. The version must match
# the headers ct2rs 0.10.3 compiles its bridge against (its vendored CTranslate2 is 4.8.4), so
# crates/asr pins ct2rs exactly. .cargo/config.toml points the linker and the binaries' RUNPATH here.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

VERSION=4.8.4
WHEEL="ctranslate2-$VERSION-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
SHA256=1037b3f51d18f1546120686670d71fcdaf85a0500fffccc56d8439ded5d284e5
LIB_DIR="$REPO_ROOT/.ct2/lib"
SONAME=libctranslate2-42c542ff.so.4.8.4

if [[ -f "$LIB_DIR/$SONAME" && -f "$LIB_DIR/.version-$VERSION" ]]; then
    say "CTranslate2 $VERSION: present in $LIB_DIR"
    exit 0
fi
wheel="$(fetch_native_wheel CTranslate2 "ctranslate2==$VERSION" "$WHEEL" "$SHA256")"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
python3 -m zipfile -e "$wheel" "$tmp/x"
# Only CTranslate2's own files are replaced: ONNX Runtime (scripts/install-onnxruntime.sh) lives here too.
rm -f "$LIB_DIR"/.version-*; mkdir -p "$LIB_DIR"
cp "$tmp"/x/ctranslate2.libs/*.so* "$LIB_DIR/"
ln -sf "$SONAME" "$LIB_DIR/libctranslate2.so"
# ct2rs 0.10.3's `system` mode also names these static libraries on every Linux build (its
# build.rs links cpu_features and the CUDA static libraries unconditionally); the wheel's library
# already contains what it needs, so empty archives satisfy the linker.
for l in cpu_features cublas_static cublasLt_static culibos; do ar rcs "$LIB_DIR/lib$l.a"; done
touch "$LIB_DIR/.version-$VERSION"
say "CTranslate2 $VERSION: installed in $LIB_DIR"
