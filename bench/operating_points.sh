#!/usr/bin/env bash
# Benchmark: operating_point standard against enhanced on the same real English speech, through
# `verbatim transcribe --operating-point`, so each point runs with the model and compute type the
# service gives it (VERBATIM_MODEL_STANDARD/--model, VERBATIM_MODEL_ENHANCED,
# VERBATIM_COMPUTE_TYPE_ENHANCED). Prints per point: WER with the project's normaliser and with
# Whisper's English normaliser (which forgives "seven"/"7", "mr"/"mister", fillers), the errors,
# wall time, CPU time and peak RSS. Accuracy and speed are measured here, never asserted.
#
# Usage: bench/operating_points.sh [options] [FILE]
#   FILE               audio (default: the fixture long/en_long.wav, 13 min, every English
#                      recording of the fixtures; its reference is FILE with .txt)
#   --threads N        CPU threads for each run (default: nproc)
#   --no-build         use the existing target/release/verbatim
#   --verbatim PATH    use this binary (implies --no-build)
# Transcripts and GNU time output are kept in bench/out/op-<timestamp>/.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$BENCH_DIR/../scripts/lib/common.sh"
source "$BENCH_DIR/lib.sh"

FILE=""; THREADS="$(nproc)"; BUILD=1; VERBATIM="$REPO_ROOT/target/release/verbatim"
WHISPER_NORMALIZER_VERSION=0.1.15
while [[ $# -gt 0 ]]; do
    case "$1" in
        --threads) THREADS="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --verbatim) VERBATIM="$(realpath -m -- "$2")"; BUILD=0; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        -*) die "unknown option: $1 (see --help)" ;;
        *) [[ -z "$FILE" ]] || die "only one FILE"; FILE="$(realpath -m -- "$1")"; shift ;;
    esac
done
[[ "$THREADS" =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive integer"
cd "$REPO_ROOT"

if [[ -z "$FILE" ]]; then
    bash scripts/fetch-test-data.sh
    FILE="$REPO_ROOT/tests/fixtures/cache/long/en_long.wav"
fi
REFERENCE="${FILE%.*}.txt"
[[ -f "$FILE" && -f "$REFERENCE" ]] || die "need $FILE and its reference $REFERENCE"
export VERBATIM_MODELS_DIR="${VERBATIM_MODELS_DIR:-$REPO_ROOT/models}"
[[ -f "$VERBATIM_MODELS_DIR/tiny.en/model.bin" && -f "$VERBATIM_MODELS_DIR/base/model.bin" ]] \
    || bash scripts/install-models.sh --dir "$VERBATIM_MODELS_DIR"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: run scripts/install-deps.sh"

# Whisper's English normaliser (the one OpenAI scores Whisper with), in the bench's own venv.
VENV="$BENCH_DIR/.venv"
[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
if ! "$VENV/bin/python" -c "import whisper_normalizer" 2>/dev/null; then
    say "pip install whisper-normalizer==$WHISPER_NORMALIZER_VERSION into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "whisper-normalizer==$WHISPER_NORMALIZER_VERSION"
fi

build_verbatim "$BUILD" "$VERBATIM"
AUDIO_S="$(audio_seconds "$FILE")"
OUT="$(new_out_dir op-)"
say "file: $FILE (${AUDIO_S} s); threads: $THREADS; results in $OUT"
# What each point runs, as `verbatim transcribe` resolves it (crates/verbatim/src/cli/transcribe.rs).
echo "${VERBATIM_MODEL:-tiny.en} int8" > "$OUT/standard.label"
echo "${VERBATIM_MODEL_ENHANCED:-base} ${VERBATIM_COMPUTE_TYPE_ENHANCED:-float32}" > "$OUT/enhanced.label"
for op in standard enhanced; do
    say "operating point: $op"
    OMP_NUM_THREADS="$THREADS" /usr/bin/time -v -o "$OUT/$op.time" \
        "$VERBATIM" transcribe "$FILE" --language en --operating-point "$op" --threads "$THREADS" \
        > "$OUT/$op.txt" 2> "$OUT/$op.err" < /dev/null \
        || { tail -n 20 "$OUT/$op.err" >&2; die "$op failed (log: $OUT/$op.err)"; }
done

echo
"$VENV/bin/python" "$BENCH_DIR/operating_points_report.py" "$OUT" "$REFERENCE" "$AUDIO_S" | tee "$OUT/report.txt"
