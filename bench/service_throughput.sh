#!/usr/bin/env bash
# Benchmark: service throughput. Submits 8 recordings of 1 to 3 minutes at once to `verbatim serve`
# (embedded: SQLite, local folder, in-process workers) and prints audio seconds per wall second,
# beside the bare `verbatim transcribe` of the same files run one after another, and the ratio
# (the service should lose nothing to contention between its workers). Speed is only measured
# here, never asserted.
#
# Usage: bench/service_throughput.sh [options]
#   --workers N        in-process workers of the server (default: the server's default, 1)
#   --threads N        CPU threads of each bare run (default: nproc; the server splits nproc
#                      between its workers)
#   --no-build         use the existing target/release/verbatim
# The files are cut from the fixture long/en_long.wav; results stay in bench/out/svc-<timestamp>/.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$BENCH_DIR/../scripts/lib/common.sh"
source "$BENCH_DIR/lib.sh"

WORKERS=""; THREADS="$(nproc)"; BUILD=1; VERBATIM="$REPO_ROOT/target/release/verbatim"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --workers) WORKERS="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
cd "$REPO_ROOT"
bash scripts/fetch-test-data.sh
LONG="$REPO_ROOT/tests/fixtures/cache/long/en_long.wav"
build_verbatim "$BUILD" "$VERBATIM"
OUT="$(new_out_dir svc-)"

# Eight files, 60 to 180 s, from different places in the recording.
files=(); total=0; k=0
for seconds in 60 75 90 105 120 150 165 180; do
    k=$((k + 1))
    f="$OUT/part$k.wav"
    sox -D "$LONG" "$f" trim "$((k * 70))" "$seconds"
    files+=("$f"); total=$((total + seconds))
done
say "files: ${#files[@]}, ${total} s of audio; results in $OUT"

say "bare: verbatim transcribe, one file after another ($THREADS threads)"
bare_start=$(date +%s.%N)
for f in "${files[@]}"; do
    "$VERBATIM" transcribe "$f" --format txt --language en --threads "$THREADS" > "${f%.wav}.bare.txt"
done
bare_s=$(awk -v a="$bare_start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')

say "service: verbatim serve, every file submitted at once"
args=()
[[ -z "$WORKERS" ]] || args+=(--workers "$WORKERS")
start_server "$VERBATIM" "$OUT/data" "$OUT/serve.log" "${args[@]}"
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
python3 "$BENCH_DIR/service_throughput.py" "$SERVER_URL" "$SERVER_KEY" "${files[@]}" | tee "$OUT/jobs.txt"
service_s=$(awk '/^wall_s/ {print $2}' "$OUT/jobs.txt")

echo
printf '%-40s%10s%22s\n' "run" "wall (s)" "audio s per wall s"
awk -v total="$total" -v bare="$bare_s" -v svc="$service_s" -v workers="${WORKERS:-default}" 'BEGIN {
    printf "%-40s%10.1f%22.2f\n", "bare transcribe, one by one", bare, total / bare
    printf "%-40s%10.1f%22.2f\n", "serve, 8 jobs at once (workers " workers ")", svc, total / svc
    printf "service / bare throughput: %.2f\n", bare / svc
}'
