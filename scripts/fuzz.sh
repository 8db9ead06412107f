#!/usr/bin/env bash
# Coverage-guided fuzzing of the audio path (sniff, probe, decode) with cargo-afl, stable Rust.
#   scripts/fuzz.sh [SECONDS]   build the target, fuzz for SECONDS (default 3600), print stats
#   scripts/fuzz.sh stats       stats of the current or last run
#   scripts/fuzz.sh repro FILE  run the target once on FILE, outside afl (shows the panic)
#   scripts/fuzz.sh cmin        minimise seeds + queue; copy a few new small inputs into the corpus
# Findings land in fuzz/findings/default/{crashes,hangs}; copy each into fuzz/regressions/,
# where `cargo test -p audio --test audio fuzz_corpus` replays it from then on. A second run resumes
# the first. Env: FUZZ_NICE (19), FUZZ_TIMEOUT_MS (3000), FUZZ_MEMORY_MB (4096),
# FUZZ_PROMOTE_MAX (10).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# repro's FILE is relative to where the script was called from.
[[ "${1:-}" == repro && -f "${2:-}" ]] && set -- repro "$(realpath "$2")"
cd "$REPO_ROOT/fuzz"

TARGET=audio_probe_decode
BIN="target/release/$TARGET"
OUT=findings
NICE=(nice -n "${FUZZ_NICE:-19}")

ensure_afl() {
    if ! cargo afl --version >/dev/null 2>&1; then
        say "installing cargo-afl"
        "${NICE[@]}" cargo install --locked cargo-afl
    fi
    # Builds AFL++ itself once per rustc version; says so (and fails) when already built.
    "${NICE[@]}" cargo afl config --build >/dev/null 2>&1 || true
}

build() {
    say "building $TARGET with afl instrumentation"
    "${NICE[@]}" cargo afl build --release --bin "$TARGET"
}

stats() {
    local f="$OUT/default/fuzzer_stats"
    [[ -f "$f" ]] || die "no $f: nothing has run yet"
    grep -E '^(start_time|last_update|run_time|execs_done|execs_per_sec|corpus_count|bitmap_cvg|edges_found|total_edges|stability|saved_crashes|saved_hangs|last_find) ' "$f"
    local c h
    c=$(find "$OUT/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
    h=$(find "$OUT/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
    echo "crash inputs: $c in fuzz/$OUT/default/crashes, hang inputs: $h in fuzz/$OUT/default/hangs"
}

fuzz() {
    local seconds="${1:-3600}"
    [[ "$seconds" =~ ^[0-9]+$ ]] || die "SECONDS must be a number, not '$seconds'"
    ensure_afl
    build
    say "fuzzing $TARGET for ${seconds}s -> fuzz/$OUT"
    # No UI without a terminal; no CPU pinning, which fails when a build holds the cores; a run
    # that finds fuzz/findings already there continues it; a seed that times out is skipped
    # rather than aborting (the replay test still sees it).
    AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
        AFL_AUTORESUME=1 AFL_IGNORE_SEED_PROBLEMS=1 \
        "${NICE[@]}" cargo afl fuzz -i corpus/audio -o "$OUT" -V "$seconds" \
        -t "${FUZZ_TIMEOUT_MS:-3000}" -m "${FUZZ_MEMORY_MB:-4096}" -- "$BIN" || say "afl-fuzz exited with $?"
    rm -f /dev/shm/verbatim-fuzz-*.bin
    stats
}

cmin() {
    ensure_afl
    [[ -x "$BIN" ]] || build
    local all min=corpus-min
    all=$(mktemp -d)
    cp corpus/audio/* "$all"/
    cp "$OUT"/default/queue/id:* "$all"/ 2>/dev/null || true
    rm -rf "$min"
    "${NICE[@]}" cargo afl cmin -i "$all" -o "$min" -t "${FUZZ_TIMEOUT_MS:-3000}" -- "$BIN"
    rm -rf "$all"
    # Promote the smallest new inputs only: the checked-in corpus stays a few hundred KB.
    local n=0 f sum
    while read -r f; do
        sum=$(sha256sum "$min/$f" | cut -c1-12)
        if ! sha256sum corpus/audio/* | cut -c1-12 | grep -qx "$sum"; then
            cp "$min/$f" "corpus/audio/queue-$sum"
            n=$((n + 1))
            (( n < ${FUZZ_PROMOTE_MAX:-10} )) || break
        fi
    done < <(find "$min" -type f -size -20k -printf '%s %f\n' | sort -n | cut -d' ' -f2-)
    say "fuzz/$min holds the minimised set; $n new inputs copied into fuzz/corpus/audio"
}

case "${1:-}" in
    stats) stats ;;
    repro)
        [[ -f "${2:-}" ]] || die "usage: scripts/fuzz.sh repro FILE"
        [[ -x "$BIN" ]] || build
        # Outside afl the target reads one input from stdin. The fuzzer's memory cap, or a
        # memory finding takes the machine's RAM instead of aborting; an abort skips the
        # target's own clean-up.
        rc=0
        (ulimit -v $((${FUZZ_MEMORY_MB:-4096} * 1024)) && RUST_BACKTRACE=1 "$BIN" < "$2") || rc=$?
        rm -f /dev/shm/verbatim-fuzz-*.bin
        exit "$rc"
        ;;
    cmin) cmin ;;
    *) fuzz "${1:-3600}" ;;
esac
