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

# The peer's version: faster-whisper, in bench/.venv.
FASTER_WHISPER_VERSION=1.2.1

# faster_whisper_python: makes bench/.venv with faster-whisper $FASTER_WHISPER_VERSION (first
# time only) and prints its python.
faster_whisper_python() {
    local venv="$BENCH_DIR/.venv"
    if [[ ! -x "$venv/bin/python" ]]; then
        say "creating $venv"
        python3 -m venv "$venv"
    fi
    if ! "$venv/bin/python" -c "import faster_whisper, sys; sys.exit(faster_whisper.__version__ != '$FASTER_WHISPER_VERSION')" 2>/dev/null; then
        say "pip install faster-whisper==$FASTER_WHISPER_VERSION into $venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "faster-whisper==$FASTER_WHISPER_VERSION" >&2
    fi
    echo "$venv/bin/python"
}
