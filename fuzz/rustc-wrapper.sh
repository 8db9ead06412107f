#!/bin/sh
# cargo-afl builds every crate with overflow checks and debug assertions (via RUSTFLAGS, which
# no profile can override per crate). Keep them for our own crates, where a wrap-around is a
# bug to find, but build the dependencies as a release build does: symphonia's wrap-arounds
# are not panics in production, and as panics they drown every other finding.
# Cargo does not fingerprint the wrapper: after changing it, delete fuzz/target.
rustc="$1"
shift
case " $* " in
*" --crate-name audio "* | *" --crate-name verbatim_fuzz "* | *" --crate-name audio_probe_decode "*) exec "$rustc" "$@" ;;
esac
exec "$rustc" "$@" -C overflow-checks=off -C debug-assertions=off
