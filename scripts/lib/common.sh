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
