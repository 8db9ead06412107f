#!/usr/bin/env bash
# Benchmark: a worker's peak memory against the length of the recording. For each length (10 min,
# 1 h and 3 h by default) an MP3 is made by looping the fixture long/en_long.wav, one job is run
# through a fresh `verbatim serve` (embedded: SQLite, local folder, one in-process worker, tiny.en)
# and the server's peak RSS (VmHWM) is read when the job is DONE; beside it, faster-whisper
# (sequential, the same model, threads and compute type) transcribes the same file under
# /usr/bin/time. Verbatim decodes while it recognises, so its figure should stay flat; faster-whisper
# decodes the whole file first. With --speakers each length also runs as a job with
# `diarization: "speaker"` (CAM++ over the speech after recognition) in a fresh server of its
# own. Memory and time are only measured here, never asserted.
#
# Usage: bench/worker_memory.sh [options]
#   --minutes "10 60 180"  the lengths to run (default: 10 60 180)
#   --threads N            faster-whisper's CPU threads (default: nproc, what the server's
#                          one worker takes)
#   --peer-up-to M         run faster-whisper on lengths up to M minutes only (default 60: it
#                          holds the whole file in memory and takes 13 min for 3 h); 0: never
#   --batch-size N         the server's VERBATIM_BATCH_SIZE (default: its own, 8)
#   --speakers             also run each length with diarization: "speaker"
#   --speakers-only        run each length with diarization: "speaker" only (when only
#                          diarization changed between two binaries)
#   --binary PATH          the verbatim binary to measure (implies --no-build; e.g. a copy of
#                          an older build, to compare before and after a change)
#   --no-build             use the existing target/release/verbatim
# Results stay in bench/out/mem-<timestamp>/.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$BENCH_DIR/../scripts/lib/common.sh"
source "$BENCH_DIR/lib.sh"

MINUTES="10 60 180"; THREADS="$(nproc)"; PEER_UP_TO=60; BUILD=1; SPEAKERS=0; PLAIN=1
VERBATIM="$REPO_ROOT/target/release/verbatim"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --minutes) MINUTES="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --peer-up-to) PEER_UP_TO="$2"; shift 2 ;;
        --batch-size) export VERBATIM_BATCH_SIZE="$2"; shift 2 ;;
        --speakers) SPEAKERS=1; shift ;;
        --speakers-only) SPEAKERS=1; PLAIN=0; shift ;;
        --binary) VERBATIM="$(realpath -- "$2")"; BUILD=0; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
cd "$REPO_ROOT"
bash scripts/fetch-test-data.sh
LONG="$REPO_ROOT/tests/fixtures/cache/long/en_long.wav"
MODEL="$REPO_ROOT/models/tiny.en"
build_verbatim "$BUILD" "$VERBATIM"
[[ "$PEER_UP_TO" -eq 0 ]] || PY="$(faster_whisper_python)"
OUT="$(new_out_dir mem-)"
say "results in $OUT"

# serve_one FILE CONFIG: runs FILE as one job with transcription_config CONFIG through a fresh
# embedded server; prints "<peak kB> <wall s>".
serve_one() {
    local data="$OUT/data-$RANDOM" peak
    start_server "$VERBATIM" "$data" "$OUT/serve.log" --workers 1
    python3 "$BENCH_DIR/service_throughput.py" --config "$2" "$SERVER_URL" "$SERVER_KEY" "$1" > "$OUT/job.txt"
    if ! grep -q DONE "$OUT/job.txt" || { [[ "$2" == *speaker* ]] && ! grep -q 'diarization=done' "$OUT/job.txt"; }; then
        cat "$OUT/job.txt" "$OUT/serve.log" >&2; kill "$SERVER_PID"; die "the job did not end DONE (with its diarization done)"
    fi
    peak=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
    rm -rf "$data"
    echo "$peak $(awk '/^wall_s/ {print $2}' "$OUT/job.txt")"
}

rows=()
for minutes in $MINUTES; do
    seconds=$((minutes * 60))
    file="$OUT/loop-${minutes}min.mp3"
    # en_long is 801.6 s: loop it as often as needed, then cut.
    ffmpeg -v error -stream_loop $((seconds / 801 + 1)) -i "$LONG" -t "$seconds" -ac 1 -b:a 64k "$file"
    [[ "$PLAIN" -eq 0 ]] || say "$minutes min: verbatim serve"
    v_kb="-"; v_s="-"
    if [[ "$PLAIN" -eq 1 ]]; then
        read -r v_kb v_s < <(serve_one "$file" '{"language": "en"}')
    fi
    d_kb="-"; d_s="-"
    if [[ "$SPEAKERS" -eq 1 ]]; then
        say "$minutes min: verbatim serve, diarization: speaker"
        read -r d_kb d_s < <(serve_one "$file" '{"language": "en", "diarization": "speaker"}')
    fi
    f_kb="-"; f_s="-"
    if [[ "$minutes" -le "$PEER_UP_TO" ]]; then
        say "$minutes min: faster-whisper"
        start=$(date +%s.%N)
        /usr/bin/time -f '%M' -o "$OUT/fw-time.txt" "$PY" "$BENCH_DIR/fw_transcribe.py" --model "$MODEL" \
            --threads "$THREADS" --compute-type int8 --language en "$file" > "$OUT/fw-${minutes}min.txt"
        f_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
        f_kb=$(tail -1 "$OUT/fw-time.txt")
    fi
    rows+=("$minutes $v_kb $v_s $d_kb $d_s $f_kb $f_s")
done

echo
say "binary: $VERBATIM"
printf '%-10s%22s%14s%26s%16s%26s%18s\n' "audio" "verbatim peak RSS" "verbatim s" \
    "with speakers, peak RSS" "with speakers s" "faster-whisper peak RSS" "faster-whisper s"
for row in "${rows[@]}"; do
    read -r minutes v_kb v_s d_kb d_s f_kb f_s <<< "$row"
    awk -v m="$minutes" -v vk="$v_kb" -v vs="$v_s" -v dk="$d_kb" -v ds="$d_s" -v fk="$f_kb" -v fs="$f_s" '
    function mb(kb) { return (kb == "-") ? "-" : sprintf("%d MB", kb / 1024) }
    BEGIN {
        printf "%-10s%22s%14s%26s%16s%26s%18s\n", m " min", mb(vk), vs, mb(dk), ds, mb(fk), fs
    }'
done
