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

# start_server BINARY DATA_DIR LOG [SERVE_ARGS...]: starts `BINARY serve` on a free local port
# over DATA_DIR (embedded: SQLite and a local folder), logging to LOG, and waits until it
# answers. Sets SERVER_PID, SERVER_URL and SERVER_KEY (an API key of a new organisation).
start_server() {
    local binary="$1" data="$2" log="$3" port; shift 3
    mkdir -p "$data"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    SERVER_KEY=$(VERBATIM_DATA_DIR="$data" "$binary" keys create --organisation bench)
    VERBATIM_DATA_DIR="$data" "$binary" serve --addr "127.0.0.1:$port" "$@" > "$log" 2>&1 &
    SERVER_PID=$!
    SERVER_URL="http://127.0.0.1:$port"
    for _ in $(seq 100); do
        curl -sf "$SERVER_URL/health" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "the server did not answer within 20 s (see $log)"
}
