"""Prints the table of bench/operating_points.sh from the files it leaves in OUT_DIR.

Usage: operating_points_report.py OUT_DIR REFERENCE_FILE AUDIO_SECONDS
OUT_DIR holds <point>.time (GNU time -v), <point>.txt (transcript) and <point>.label (model and
compute type). WER is given twice: with the project's normaliser (scripts/lib/textnorm.py, as
every other figure of the project) and with Whisper's English normaliser first (PyPI
whisper-normalizer, OpenAI's EnglishTextNormalizer), which does not count spelling choices such as
"seven"/"7", "mr"/"mister" or dropped fillers as errors; it needs that package.
Then a paired bootstrap over blocks of reference words (both transcripts resampled with the same
blocks): how often enhanced makes fewer errors than standard, and a 95 % interval of the WER
difference, so a difference can be told from noise.
"""

import os
import random
import sys

from report import parse_time
from wer import errors_per_reference_word, word_errors

POINTS = ["standard", "enhanced"]
BLOCK_WORDS = 25
RESAMPLES = 2000


def paired_bootstrap(standard: list[int], enhanced: list[int]) -> tuple[float, float, float]:
    """(share of resamples where enhanced has fewer errors, 2.5th and 97.5th percentile of the
    WER difference enhanced - standard), resampling blocks of BLOCK_WORDS reference words."""
    n = len(standard)
    blocks = [(sum(standard[i:i + BLOCK_WORDS]), sum(enhanced[i:i + BLOCK_WORDS]), len(standard[i:i + BLOCK_WORDS]))
              for i in range(0, n, BLOCK_WORDS)]
    rng = random.Random(0)  # the same figures on every run over the same transcripts
    wins, diffs = 0, []
    for _ in range(RESAMPLES):
        sample = [rng.choice(blocks) for _ in blocks]
        s = sum(b[0] for b in sample)
        e = sum(b[1] for b in sample)
        words = sum(b[2] for b in sample)
        wins += e < s
        diffs.append((e - s) / words)
    diffs.sort()
    return wins / RESAMPLES, diffs[int(0.025 * RESAMPLES)], diffs[int(0.975 * RESAMPLES) - 1]


def main() -> int:
    out_dir, ref_path, audio_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
    from whisper_normalizer.english import EnglishTextNormalizer

    whisper_norm = EnglishTextNormalizer()
    reference = open(ref_path, encoding="utf-8").read()
    print(f"audio: {audio_s:.1f} s, reference: {len(reference.split())} words")
    header = (f"{'point':<10}{'model':<18}{'WER':>8}{'errors':>8}{'WER (whisper norm)':>20}{'errors':>8}"
              f"{'wall (s)':>10}{'CPU (s)':>10}{'CPU/audio':>11}{'RSS (MB)':>10}")
    print(header)
    print("-" * len(header))
    rows, charged = {}, {}
    for point in POINTS:
        base = os.path.join(out_dir, point)
        wall, rss, status, cpu = parse_time(base + ".time")
        if status != 0:
            raise SystemExit(f"{point} exited {status}: see {base}.err")
        hyp = open(base + ".txt", encoding="utf-8").read()
        label = open(base + ".label", encoding="utf-8").read().strip()
        errors, n = word_errors(reference, hyp)
        w_errors, w_n = word_errors(reference, hyp, first=whisper_norm)
        rows[point] = (errors / n, w_errors / w_n)
        charged[point] = errors_per_reference_word(reference, hyp, first=whisper_norm)
        print(f"{point:<10}{label:<18}{errors / n:>8.2%}{errors:>8}{w_errors / w_n:>20.2%}{w_errors:>8}"
              f"{wall:>10.1f}{cpu:>10.1f}{cpu / audio_s:>11.3f}{rss / 1024:>10.0f}")
    (s, ws), (e, we) = rows["standard"], rows["enhanced"]

    def relative(new: float, old: float) -> str:
        return f"{(new - old) / old:+.1%} relative" if old else "standard made no errors"

    print(f"enhanced vs standard: WER {100 * (e - s):+.2f} points ({relative(e, s)}); "
          f"with Whisper's normaliser {100 * (we - ws):+.2f} points ({relative(we, ws)})")
    share, low, high = paired_bootstrap(charged["standard"], charged["enhanced"])
    print(f"paired bootstrap ({RESAMPLES} resamples of {BLOCK_WORDS}-word blocks, Whisper's normaliser): "
          f"enhanced has fewer errors in {share:.1%} of resamples; WER difference 95 % interval "
          f"[{100 * low:+.2f}, {100 * high:+.2f}] points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
