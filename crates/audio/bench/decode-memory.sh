#!/usr/bin/env bash
# Peak memory and speed of decoding a long file: a 48 kHz stereo recording of HOURS hours
# (default 3) decoded to 16 kHz mono, whole (decode) and in 30 s windows (decode_stream).
# The whole decode should peak near HOURS × 220 MiB (16 kHz mono f32), the streaming one at a
# few MB whatever the length.
#
# Usage: crates/audio/bench/decode-memory.sh [HOURS] [FORMAT: flac|mp3|wav|opus]
set -euo pipefail
hours=${1:-3}
format=${2:-flac}
root=$(cd "$(dirname "$0")/../../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/h-audio}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seconds=$((hours * 3600))
case $format in
  flac) codec=(-c:a flac) ;;
  mp3) codec=(-c:a libmp3lame -b:a 128k) ;;
  wav) codec=(-c:a pcm_s16le) ;;
  opus) codec=(-c:a libopus -b:a 64k -f ogg) ;;
  *) echo "unknown format $format" >&2; exit 2 ;;
esac
file=$work/long.$format
echo "making ${hours} h of 48 kHz stereo $format..."
ffmpeg -nostdin -v error -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$seconds" \
  -f lavfi -i "sine=frequency=1250:sample_rate=48000:duration=$seconds" \
  -filter_complex "[0:a][1:a]amerge=inputs=2[a]" -map "[a]" "${codec[@]}" "$file"
echo "file: $(du -h "$file" | cut -f1)"

cargo build -q --release -p audio --example decode
bin=$CARGO_TARGET_DIR/release/examples/decode
mono_mb=$(awk -v s="$seconds" 'BEGIN { printf "%.0f", s * 16000 * 4 / 1048576 }')
echo "16 kHz mono f32 of ${hours} h: ${mono_mb} MiB"
for mode in mix stream; do
  /usr/bin/time -f "%M %e" -o "$work/time" "$bin" "$file" "$mode" | sed 's/^/  /'
  read -r peak_kb wall < "$work/time"
  echo "$mode: peak RSS $((peak_kb / 1024)) MiB, wall ${wall} s"
done
