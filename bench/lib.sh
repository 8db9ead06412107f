# Shared steps of the bench scripts; sourced after scripts/lib/common.sh.

# build_verbatim BUILD BINARY: builds the release binary when BUILD is 1, then checks BINARY.
build_verbatim() {
    if [[ "$1" -eq 1 ]]; then
        say "cargo build --release -p verbatim"
        cargo build --release -p verbatim
    fi
    [[ -x "$2" ]] || die "$2 is missing (build it, or leave out --no-build)"
}

# new_out_dir PREFIX: creates bench/out/PREFIX<UTC timestamp>/ and prints its path.
new_out_dir() {
    local dir
    dir="$BENCH_DIR/out/$1$(date -u +%Y%m%dT%H%M%SZ)"
    mkdir -p "$dir"
    echo "$dir"
}

# audio_seconds FILE: the duration of FILE in seconds.
audio_seconds() {
    ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$1"
}
