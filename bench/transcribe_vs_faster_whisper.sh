#!/usr/bin/env bash
# Benchmark: `verbatim transcribe` against faster-whisper, sequential (`WhisperModel`) and batched
# (`BatchedInferencePipeline`), on the same real recording, model, thread count and compute type.
# Prints wall time, real-time factor, CPU time, peak RSS and WER per engine, then each
# faster-whisper's wall time over verbatim's. Speed is only measured here, never asserted.
#
# Usage: bench/transcribe_vs_faster_whisper.sh [options] [FILE]
#   FILE                 audio to transcribe (default: the >= 10 min fixture long/en_long.wav)
#   --reference PATH     its reference text (default: FILE with .txt instead of the extension)
#   --rounds N           rounds, each running both engines, alternating who goes first (default 3)
#   --threads N          CPU threads for both engines (default: nproc)
#   --compute-type T     CTranslate2 compute type for both (default: int8)
#   --model DIR          CTranslate2 Whisper model folder (default: models/tiny.en)
#   --language CODE      forced language for both (default: en)
#   --engines LIST       comma-separated subset of verbatim,faster-whisper,faster-whisper-batched
#                        (default: all three)
#   --batch-size N       windows decoded together by verbatim and faster-whisper-batched (default 8)
#   --no-build           use the existing target/release/verbatim
#   --verbatim PATH      use this verbatim binary (implies --no-build), e.g. a copy that a
#                        concurrent build cannot replace mid-benchmark
# Results (transcripts, GNU time output) are kept in bench/out/<timestamp>/.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$BENCH_DIR/../scripts/lib/common.sh"
source "$BENCH_DIR/lib.sh"

FILE=""; REFERENCE=""; ROUNDS=3; THREADS="$(nproc)"; COMPUTE_TYPE=int8
MODEL="$REPO_ROOT/models/tiny.en"; LANGUAGE=en; ENGINES="verbatim,faster-whisper,faster-whisper-batched"; BUILD=1
BATCH_SIZE=8
VERBATIM="$REPO_ROOT/target/release/verbatim"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --reference) REFERENCE="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --compute-type) COMPUTE_TYPE="$2"; shift 2 ;;
        --model) MODEL="$2"; shift 2 ;;
        --language) LANGUAGE="$2"; shift 2 ;;
        --engines) ENGINES="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --verbatim) VERBATIM="$2"; BUILD=0; shift 2 ;;
        --batch-size) BATCH_SIZE="$2"; shift 2 ;;
        -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
        -*) die "unknown option: $1 (see --help)" ;;
        *) [[ -z "$FILE" ]] || die "only one FILE"; FILE="$1"; shift ;;
    esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
[[ "$THREADS" =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive integer"
[[ "$BATCH_SIZE" =~ ^[1-9][0-9]*$ ]] || die "--batch-size must be a positive integer"
# Paths are as given from the caller's folder; the rest of the script runs at the repo root.
abs() { [[ -z "$1" ]] || realpath -m -- "$1"; }
FILE="$(abs "$FILE")"; REFERENCE="$(abs "$REFERENCE")"; MODEL="$(abs "$MODEL")"; VERBATIM="$(abs "$VERBATIM")"
cd "$REPO_ROOT"

if [[ -z "$FILE" ]]; then
    bash scripts/fetch-test-data.sh
    FILE="$REPO_ROOT/tests/fixtures/cache/long/en_long.wav"
fi
[[ -f "$FILE" ]] || die "no such file: $FILE"
[[ -n "$REFERENCE" ]] || REFERENCE="${FILE%.*}.txt"
[[ -f "$REFERENCE" ]] || die "no reference text at $REFERENCE (give --reference)"
[[ -f "$MODEL/model.bin" ]] || bash scripts/install-models.sh
[[ -f "$MODEL/model.bin" ]] || die "no CTranslate2 model at $MODEL"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: run scripts/install-deps.sh"

run_verbatim=0; run_fw=0
IFS=',' read -ra engine_list <<< "$ENGINES"
for e in "${engine_list[@]}"; do
    case "$e" in
        verbatim) run_verbatim=1 ;;
        faster-whisper|faster-whisper-batched) run_fw=1 ;;
        *) die "unknown engine: $e" ;;
    esac
done

if [[ $run_fw -eq 1 ]]; then
    FW_PYTHON="$(faster_whisper_python)"
fi

if [[ $run_verbatim -eq 1 ]]; then
    build_verbatim "$BUILD" "$VERBATIM"
fi

AUDIO_S="$(audio_seconds "$FILE")"
OUT="$(new_out_dir "")"
say "file: $FILE (${AUDIO_S} s); model: $MODEL; threads: $THREADS; compute type: $COMPUTE_TYPE; batch size: $BATCH_SIZE; rounds: $ROUNDS"
say "results in $OUT"

# run_engine ENGINE ROUND: one timed, complete process run (model load, decoding, recognition).
run_engine() {
    local engine="$1" round="$2" cmd
    case "$engine" in
        verbatim)
            cmd=("$VERBATIM" transcribe "$FILE" --format txt --model "$MODEL" --language "$LANGUAGE"
                 --threads "$THREADS" --compute-type "$COMPUTE_TYPE" --batch-size "$BATCH_SIZE") ;;
        faster-whisper*)
            cmd=("$FW_PYTHON" "$BENCH_DIR/fw_transcribe.py" "$FILE" --model "$MODEL" --language "$LANGUAGE"
                 --threads "$THREADS" --compute-type "$COMPUTE_TYPE")
            [[ $engine == faster-whisper ]] || cmd+=(--batched "$BATCH_SIZE") ;;
    esac
    say "round $round: $engine"
    # OMP_NUM_THREADS too, so neither engine's OpenMP pool grows past the thread count given.
    if ! OMP_NUM_THREADS="$THREADS" /usr/bin/time -v -o "$OUT/$engine.$round.time" "${cmd[@]}" \
            > "$OUT/$engine.$round.txt" 2> "$OUT/$engine.$round.err" < /dev/null; then
        tail -n 20 "$OUT/$engine.$round.err" >&2
        die "$engine failed in round $round (full log: $OUT/$engine.$round.err)"
    fi
}

for ((round = 1; round <= ROUNDS; round++)); do
    # Rotate who goes first so no engine always gets the warmer page cache or CPU.
    order=("${engine_list[@]}")
    for ((k = 1; k < round; k++)); do order=("${order[@]:1}" "${order[0]}"); done
    for engine in "${order[@]}"; do
        run_engine "$engine" "$round"
    done
done

echo
python3 "$BENCH_DIR/report.py" "$OUT" "$REFERENCE" "$AUDIO_S" | tee "$OUT/report.txt"
