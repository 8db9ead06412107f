"""Prints the benchmark table from the files transcribe_vs_faster_whisper.sh leaves in OUT_DIR.

Usage: report.py OUT_DIR REFERENCE_FILE AUDIO_SECONDS
OUT_DIR holds <engine>.<round>.time (GNU time -v output) and <engine>.<round>.txt (transcript).
Per engine: median wall time over the rounds, real-time factor (wall / audio duration), the
largest peak RSS, the WER of each round's transcript (equal across rounds when decoding is
deterministic, so the mean is shown), and the median user + system CPU time, which a busy
machine disturbs less than wall time. Then each other engine's median wall and CPU time over
verbatim's.
"""

import glob
import os
import re
import statistics
import sys

from wer import word_errors


def parse_time(path: str) -> tuple[float, int, int, float]:
    """(wall seconds, peak RSS in kB, exit status, user + system CPU seconds) from GNU time -v."""
    text = open(path, encoding="utf-8").read()
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    if not m:
        raise SystemExit(f"{path}: no wall time (did /usr/bin/time run?)")
    parts = [float(x) for x in m.group(1).split(":")]
    wall = 0.0
    for x in parts:
        wall = wall * 60 + x
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    status_m = re.search(r"Exit status: (\d+)", text)
    status = int(status_m.group(1)) if status_m else 0
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", text))
    return wall, rss, status, cpu


def main() -> int:
    out_dir, ref_path, audio_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
    reference = open(ref_path, encoding="utf-8").read()
    engines = {}
    for path in sorted(glob.glob(os.path.join(out_dir, "*.time"))):
        engine, rnd = os.path.basename(path)[: -len(".time")].rsplit(".", 1)
        wall, rss, status, cpu = parse_time(path)
        if status != 0:
            raise SystemExit(f"{engine} round {rnd} exited {status}: see {path[:-5]}.err")
        hyp = open(path[: -len(".time")] + ".txt", encoding="utf-8").read()
        errors, n = word_errors(reference, hyp)
        engines.setdefault(engine, []).append((wall, rss, errors / n, cpu))

    print(f"audio: {audio_s:.1f} s; rounds: {max(len(v) for v in engines.values())}")
    header = (f"{'engine':<16}{'wall (s)':>10}{'RTF':>9}{'CPU (s)':>10}{'peak RSS (MB)':>15}{'WER':>8}"
              "   walls per round")
    print(header)
    print("-" * len(header))
    medians = {}
    for engine in sorted(engines):
        runs = engines[engine]
        wall = statistics.median(r[0] for r in runs)
        medians[engine] = wall
        rss_mb = max(r[1] for r in runs) / 1024
        wer = statistics.mean(r[2] for r in runs)
        cpu = statistics.median(r[3] for r in runs)
        walls = " ".join(f"{r[0]:.1f}" for r in runs)
        print(f"{engine:<16}{wall:>10.2f}{wall / audio_s:>9.4f}{cpu:>10.1f}{rss_mb:>15.0f}{wer:>8.2%}   {walls}")
    if "verbatim" in medians:
        cpu = {e: statistics.median(r[3] for r in runs) for e, runs in engines.items()}
        for other in sorted(medians):
            if other == "verbatim":
                continue
            ratio = medians[other] / medians["verbatim"]
            line = f"speed ratio {other}/verbatim (median wall): {ratio:.2f}"
            line += f"  ({'verbatim faster' if ratio > 1 else other + ' faster'})"
            if cpu["verbatim"] > 0:
                line += f"; CPU time ratio {cpu[other] / cpu['verbatim']:.2f}"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
