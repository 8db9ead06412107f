#!/usr/bin/env bash
# Benchmark: what speaker diarization adds to a transcription's time. Runs
# `verbatim transcribe FILE` without and with `--diarization speaker`, alternating, ROUNDS times
# each, and prints the fastest wall time of each and the difference as a share of recognition
# (issue 13's budget: at most 15 %). The DER figures are the diarize crate's ignored test
# (`cargo test --release -p diarize --test diarize -- --ignored --nocapture figures`).
#
# Usage: bench/diarization.sh [options] [FILE]
#   FILE                audio (default: the fixture speakers/two_speakers_turns.wav, 62.7 s)
#   --operating-point P standard (tiny.en, default) or enhanced (base)
#   --threads N         CPU threads for each run (default: nproc)
#   --rounds N          runs of each kind (default 3)
#   --no-build          use the existing target/release/verbatim
# Transcripts are kept in bench/out/diar-<timestamp>/.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$BENCH_DIR/../scripts/lib/common.sh"
source "$BENCH_DIR/lib.sh"

FILE=""; THREADS="$(nproc)"; BUILD=1; ROUNDS=3; POINT=standard
VERBATIM="$REPO_ROOT/target/release/verbatim"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --operating-point) POINT="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        -*) die "unknown option: $1 (see --help)" ;;
        *) [[ -z "$FILE" ]] || die "only one FILE"; FILE="$(realpath -m -- "$1")"; shift ;;
    esac
done
FILE="${FILE:-${VERBATIM_FIXTURES:-$REPO_ROOT/tests/fixtures/cache}/speakers/two_speakers_turns.wav}"
[[ -f "$FILE" ]] || die "$FILE is missing (scripts/fetch-test-data.sh)"
build_verbatim "$BUILD" "$VERBATIM"
out="$(new_out_dir diar-)"

# run KIND [ARGS...]: one transcription; prints its wall seconds.
run() {
    local kind="$1" start end; shift
    start="$(date +%s.%N)"
    "$VERBATIM" transcribe "$FILE" --format json --threads "$THREADS" \
        --operating-point "$POINT" "$@" > "$out/$kind.json"
    end="$(date +%s.%N)"
    echo "$end - $start" | bc
}

best_plain=""; best_speaker=""
for ((i = 1; i <= ROUNDS; i++)); do
    plain="$(run plain)"
    speaker="$(run speaker --diarization speaker)"
    say "round $i: ${plain} s without, ${speaker} s with speaker diarization"
    best_plain="$(printf '%s\n' $best_plain "$plain" | sort -g | head -1)"
    best_speaker="$(printf '%s\n' $best_speaker "$speaker" | sort -g | head -1)"
done
seconds="$(audio_seconds "$FILE")"
printf 'file: %s (%.1f s), operating point %s, %s threads, best of %s\n' \
    "$(basename "$FILE")" "$seconds" "$POINT" "$THREADS" "$ROUNDS"
printf 'recognition: %.2f s; with speaker diarization: %.2f s; diarization adds %.2f s = %.0f %%\n' \
    "$best_plain" "$best_speaker" "$(echo "$best_speaker - $best_plain" | bc)" \
    "$(echo "100 * ($best_speaker - $best_plain) / $best_plain" | bc -l)"
