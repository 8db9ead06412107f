"""Normalises transcript text for references and word error rate.

One rule set shared by the fixture builder (scripts/fetch-test-data.sh writes references with it)
and the benchmark's WER (bench/wer.py), so a reference and a hypothesis are compared on equal terms.
Rules: Unicode NFC, lower case, hyphens and dashes split words, every character that is not a
letter, a digit or a word-internal apostrophe becomes a space, runs of spaces collapse.
Used as a command: reads text on stdin, prints the normalised single line.
"""

import sys
import unicodedata

_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'"}


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower()
    out = []
    for ch in text:
        ch = _APOSTROPHES.get(ch, ch)
        cat = unicodedata.category(ch)
        if ch == "'" or cat[0] in ("L", "N") or cat == "Mn":
            out.append(ch)
        else:
            out.append(" ")
    words = []
    for word in "".join(out).split():
        # Quotes used as quotation marks, not contractions ("'tis" stays, "'hello'" loses them).
        word = word.strip("'") if word.count("'") > 1 or word.endswith("'") else word
        if word:
            words.append(word)
    return " ".join(words)


if __name__ == "__main__":
    print(normalise(sys.stdin.read()))
