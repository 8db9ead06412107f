"""Drives Verbatim's OpenAI-compatible routes with the official `openai` package, as a user of
that package would, and prints what came back as one JSON object for openai_compat.rs to check.

usage: openai_client.py BASE_URL API_KEY ENGLISH_AUDIO SPANISH_AUDIO
"""

import json
import sys

import openai


def main():
    base_url, api_key, audio, spanish = sys.argv[1:5]
    # max_retries=0: a refused request must show as refused, not be sent again.
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=600)
    out = {"openai_version": openai.__version__}

    out["models"] = [m.id for m in client.models.list()]

    def transcribe(**kwargs):
        with open(audio, "rb") as f:
            return client.audio.transcriptions.create(file=f, **kwargs)

    out["json"] = transcribe(model="whisper-1").model_dump()
    for fmt in ["text", "srt", "vtt"]:
        # The package returns these formats as plain strings.
        out[fmt] = transcribe(model="whisper-1", response_format=fmt)
    out["verbose_segments"] = transcribe(
        model="whisper-1", response_format="verbose_json"
    ).model_dump()
    out["verbose_words"] = transcribe(
        model="whisper-1", response_format="verbose_json", timestamp_granularities=["word"]
    ).model_dump()
    out["verbose_both"] = transcribe(
        model="whisper-1",
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
        language="en",
        temperature=0.0,
    ).model_dump()
    # Sampled from the first attempt on: every segment says so.
    out["verbose_hot"] = transcribe(
        model="whisper-1", response_format="verbose_json", temperature=0.8
    ).model_dump()
    out["diarized"] = transcribe(model="whisper-1", response_format="diarized_json").model_dump()
    with open(audio, "rb") as f:
        events = client.audio.transcriptions.create(file=f, model="whisper-1", stream=True)
        out["stream"] = [e.model_dump() for e in events]
    out["named_model"] = transcribe(
        model="tiny.en", response_format="json", prompt="Hello there, Verbatim."
    ).model_dump()

    with open(spanish, "rb") as f:
        out["translation"] = client.audio.translations.create(
            file=f, model="base", response_format="verbose_json"
        ).model_dump()

    errors = {}
    for name, kwargs in {
        "word_with_json": dict(model="whisper-1", timestamp_granularities=["word"]),
        "unknown_model": dict(model="no-such-model"),
        "unknown_format": dict(model="whisper-1", response_format="docx"),
    }.items():
        try:
            transcribe(**kwargs)
            errors[name] = None
        except openai.APIStatusError as e:
            errors[name] = {"status": e.status_code, "body": e.body, "message": e.message}
    try:
        # tiny.en is English-only: it cannot translate, and the job fails saying so.
        with open(spanish, "rb") as f:
            client.audio.translations.create(file=f, model="tiny.en")
        errors["english_only_translation"] = None
    except openai.APIStatusError as e:
        errors["english_only_translation"] = {"status": e.status_code, "body": e.body}
    # A key the server does not know: OpenAI's AuthenticationError, as from OpenAI.
    stranger = openai.OpenAI(base_url=base_url, api_key="sk-not-a-key", max_retries=0)
    try:
        stranger.models.list()
        errors["unknown_key"] = None
    except openai.APIStatusError as e:
        errors["unknown_key"] = {
            "status": e.status_code,
            "body": e.body,
            "class": type(e).__name__,
            "should_retry": e.response.headers.get("x-should-retry"),
        }
    out["errors"] = errors

    print(json.dumps(out))


if __name__ == "__main__":
    main()
