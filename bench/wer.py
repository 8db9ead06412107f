"""Word error rate of a hypothesis against a reference, after the shared text normalisation.

Usage: python3 bench/wer.py REFERENCE_FILE HYPOTHESIS_FILE   -> prints "wer errors ref_words"
Hand-written (a word-level Levenshtein is a dozen lines) so the benchmark needs no extra package
and the exact same normalisation as the fixture references (scripts/lib/textnorm.py).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "lib"))
from textnorm import normalise  # noqa: E402


def word_errors(reference: str, hypothesis: str, first=None) -> tuple[int, int]:
    """(substitutions + deletions + insertions, number of reference words). `first`, when
    given, is another normaliser applied to both texts before the shared one."""
    if first is not None:
        reference, hypothesis = first(reference), first(hypothesis)
    ref = normalise(reference).split()
    hyp = normalise(hypothesis).split()
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1], len(ref)


def errors_per_reference_word(reference: str, hypothesis: str, first=None) -> list[int]:
    """The errors of one minimal alignment, charged to reference words: a substitution or
    deletion to its word, an insertion to the reference word after it (the last one at the
    end). Sums to `word_errors`; used to resample a transcript by blocks of reference words."""
    if first is not None:
        reference, hypothesis = first(reference), first(hypothesis)
    ref = normalise(reference).split()
    hyp = normalise(hypothesis).split()
    if not ref:
        return []
    table = [list(range(len(hyp) + 1))]
    for i, r in enumerate(ref, 1):
        prev, cur = table[-1], [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        table.append(cur)
    charged = [0] * len(ref)
    i, j = len(ref), len(hyp)
    while i > 0 or j > 0:
        if i > 0 and j > 0 and table[i][j] == table[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            charged[i - 1] += ref[i - 1] != hyp[j - 1]
            i, j = i - 1, j - 1
        elif i > 0 and table[i][j] == table[i - 1][j] + 1:
            charged[i - 1] += 1
            i -= 1
        else:
            charged[min(i, len(ref) - 1)] += 1
            j -= 1
    return charged


def wer(reference: str, hypothesis: str) -> float:
    errors, n = word_errors(reference, hypothesis)
    if n == 0:
        return 0.0 if errors == 0 else float("inf")
    return errors / n


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: wer.py REFERENCE_FILE HYPOTHESIS_FILE")
    with open(sys.argv[1], encoding="utf-8") as f:
        ref_text = f.read()
    with open(sys.argv[2], encoding="utf-8") as f:
        hyp_text = f.read()
    e, n = word_errors(ref_text, hyp_text)
    print(f"{(e / n if n else 0.0):.4f} {e} {n}")
