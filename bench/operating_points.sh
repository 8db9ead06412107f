#!/usr/bin/env bash
# Runs operating_point standard and enhanced on the same real English speech (the clips of
# tests/fixtures/cache/clips with their reference transcripts) and prints the WER and the speed
# (CPU seconds per audio second) of each. Usage: bench/operating_points.sh [verbatim binary]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/target/release/verbatim}"
clips="$root/tests/fixtures/cache/clips"
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
for op in standard enhanced; do
  for wav in "$clips"/en_*.wav; do
    name="$(basename "$wav" .wav)"
    # CPU time (user + sys) of the whole run, model load included, as the bench scripts do.
    /usr/bin/time -f "%U %S" -o "$out/$op.$name.time" \
      "$bin" transcribe "$wav" --language en --operating-point "$op" --threads 1 > "$out/$op.$name.txt"
  done
done
python3 - "$clips" "$out" <<'PY'
import re, subprocess, sys, pathlib
clips, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
norm = lambda s: re.sub(r"[^\w' ]", " ", s.lower()).split()
def edits(r, h):
    d = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        prev, d[0] = d[0], i
        for j, hw in enumerate(h, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (rw != hw))
    return d[len(h)]
def seconds(wav):
    return float(subprocess.check_output(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(wav)]))
audio = sum(seconds(w) for w in clips.glob("en_*.wav"))
for op in ["standard", "enhanced"]:
    e = n = 0; cpu = 0.0
    for ref in clips.glob("en_*.txt"):
        r = norm(ref.read_text()); h = norm((out / f"{op}.{ref.stem}.txt").read_text())
        e += edits(r, h); n += len(r)
        cpu += sum(map(float, (out / f"{op}.{ref.stem}.time").read_text().split()))
    print(f"{op:<9} WER {100*e/n:5.1f}%  ({n} words)  CPU {cpu:6.1f} s for {audio:.1f} s of audio  (x{cpu/audio:.2f} real time)")
PY
