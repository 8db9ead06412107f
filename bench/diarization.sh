#!/usr/bin/env bash
# Benchmark: what speaker diarization adds to a transcription's time. Runs
# `verbatim transcribe FILE` without and with `--diarization speaker`, alternating, ROUNDS times
# each, and prints the fastest wall time of each and the difference as a share of recognition
# (issue 13's budget: at most 15 %), and the same for CPU time (user + system: steadier than
# wall time on a machine shared with other work). The DER figures are the diarize crate's ignored test
# (`cargo test --release -p diarize --test diarize -- --ignored --nocapture figures`).
#
# Usage: bench/diarization.sh [options] [FILE]
#   FILE                audio (default: the fixture speakers/two_speakers_turns.wav, 62.7 s)
#   --operating-point P standard (tiny.en, default) or enhanced (base)
#   --threads N         CPU threads for each run (default: nproc)
#   --rounds N          runs of each kind (default 3)
#   --binary PATH       the verbatim binary to time (implies --no-build; e.g. a copy of an
#                       older build, to compare before and after a change)
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
        --binary) VERBATIM="$(realpath -- "$2")"; BUILD=0; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        -*) die "unknown option: $1 (see --help)" ;;
        *) [[ -z "$FILE" ]] || die "only one FILE"; FILE="$(realpath -m -- "$1")"; shift ;;
    esac
done
FILE="${FILE:-${VERBATIM_FIXTURES:-$REPO_ROOT/tests/fixtures/cache}/speakers/two_speakers_turns.wav}"
[[ -f "$FILE" ]] || die "$FILE is missing (scripts/fetch-test-data.sh)"
build_verbatim "$BUILD" "$VERBATIM"
out="$(new_out_dir diar-)"

# run KIND [ARGS...]: one transcription; prints its wall and CPU seconds.
run() {
    local kind="$1"; shift
    /usr/bin/time -f '%e %U %S' -o "$out/$kind.time" "$VERBATIM" transcribe "$FILE" --format json \
        --threads "$THREADS" --operating-point "$POINT" "$@" > "$out/$kind.json"
    awk '{print $1, $2 + $3}' "$out/$kind.time"
}

# least A B: the smaller of two numbers (B when A is empty).
least() { printf '%s\n' $1 "$2" | sort -g | head -1; }

best_plain=""; best_speaker=""; cpu_plain=""; cpu_speaker=""
for ((i = 1; i <= ROUNDS; i++)); do
    read -r plain plain_cpu < <(run plain)
    read -r speaker speaker_cpu < <(run speaker --diarization speaker)
    say "round $i: ${plain} s (CPU ${plain_cpu} s) without, ${speaker} s (CPU ${speaker_cpu} s) with speaker diarization"
    best_plain="$(least "$best_plain" "$plain")"; best_speaker="$(least "$best_speaker" "$speaker")"
    cpu_plain="$(least "$cpu_plain" "$plain_cpu")"; cpu_speaker="$(least "$cpu_speaker" "$speaker_cpu")"
done
seconds="$(audio_seconds "$FILE")"
printf 'file: %s (%.1f s), operating point %s, %s threads, best of %s\n' \
    "$(basename "$FILE")" "$seconds" "$POINT" "$THREADS" "$ROUNDS"
printf 'recognition: %.2f s; with speaker diarization: %.2f s; diarization adds %.2f s = %.0f %%\n' \
    "$best_plain" "$best_speaker" "$(echo "$best_speaker - $best_plain" | bc)" \
    "$(echo "100 * ($best_speaker - $best_plain) / $best_plain" | bc -l)"
printf 'CPU: recognition %.2f s; with speaker diarization %.2f s; diarization adds %.2f s = %.0f %%\n' \
    "$cpu_plain" "$cpu_speaker" "$(echo "$cpu_speaker - $cpu_plain" | bc)" \
    "$(echo "100 * ($cpu_speaker - $cpu_plain) / $cpu_plain" | bc -l)"
