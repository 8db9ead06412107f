"""Transcribes one file with faster-whisper and prints the plain text, one segment a line.

The benchmark's counterpart of `verbatim transcribe FILE --format txt`: same model folder, same
thread count and compute type, beam size 5, word timestamps on (verbatim always computes word
timings, so faster-whisper pays for its alignment pass too).
Sequential (`WhisperModel.transcribe`): no VAD filter, faster-whisper's default, which keeps its
accuracy. With --batched N: `BatchedInferencePipeline.transcribe` with batch size N, which runs
its Silero VAD to cut the recording into chunks, as it always does.
Usage: fw_transcribe.py --model DIR --threads N --compute-type T [--language xx] [--batched N] FILE
"""

import argparse
import sys

from faster_whisper import BatchedInferencePipeline, WhisperModel


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--model", required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--compute-type", required=True)
    p.add_argument("--language", default=None)
    p.add_argument("--beam-size", type=int, default=5)
    p.add_argument("--batched", type=int, default=0, metavar="N")
    a = p.parse_args()
    model = WhisperModel(a.model, device="cpu", compute_type=a.compute_type, cpu_threads=a.threads)
    if a.batched > 0:
        segments, _info = BatchedInferencePipeline(model=model).transcribe(
            a.file, language=a.language, beam_size=a.beam_size, word_timestamps=True,
            batch_size=a.batched,
        )
    else:
        segments, _info = model.transcribe(
            a.file, language=a.language, beam_size=a.beam_size, word_timestamps=True, vad_filter=False
        )
    out = sys.stdout
    for segment in segments:  # a generator: recognition happens while iterating
        out.write(segment.text.strip() + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
