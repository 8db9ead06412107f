"""Submits every file at once to a running `verbatim serve` and waits for all the jobs.

Usage: service_throughput.py [--config JSON] BASE_URL API_KEY FILE...
  --config JSON   every job's transcription_config (default {"language": "en"})
Prints one line per job (id, status, seconds from the first submission to DONE, and
`diarization=<output_metadata.diarization>` when the job asked for it) and, last, the
wall time from the first submission to the last job's end as `wall_s <seconds>`. Only the Python
standard library: the multipart body is built by hand (one file part and the config part).
"""

import json
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

FINAL = {"DONE", "FAILED"}


def submit(base: str, key: str, path: str, config: str) -> str:
    boundary = uuid.uuid4().hex
    with open(path, "rb") as f:
        audio = f.read()
    name = path.rsplit("/", 1)[-1]
    body = b"".join([
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n".encode(), audio, b"\r\n",
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"transcription_config\"\r\n\r\n"
        f"{config}\r\n".encode(),
        f"--{boundary}--\r\n".encode(),
    ])
    request = urllib.request.Request(
        f"{base}/v1/batch/jobs", data=body, method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.load(response)["job_id"]


def job(base: str, key: str, job_id: str) -> dict:
    request = urllib.request.Request(f"{base}/v1/batch/jobs/{job_id}", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def main() -> int:
    args = sys.argv[1:]
    config = '{"language": "en"}'
    if args[:1] == ["--config"]:
        config, args = json.dumps(json.loads(args[1])), args[2:]
    base, key, files = args[0].rstrip("/"), args[1], args[2:]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(files)) as pool:
        ids = list(pool.map(lambda f: submit(base, key, f, config), files))
    finished = {}
    while len(finished) < len(ids):
        for job_id in ids:
            if job_id not in finished:
                j = job(base, key, job_id)
                if j["status"] in FINAL:
                    finished[job_id] = (j["status"], time.monotonic() - started, j.get("output_metadata") or {})
        time.sleep(0.2)
    for job_id in ids:
        s, at, meta = finished[job_id]
        diarization = f" diarization={meta['diarization']}" if "diarization" in meta else ""
        print(f"{job_id} {s} {at:.1f}{diarization}")
    wall = max(at for _, at, _ in finished.values())
    print(f"wall_s {wall:.2f}")
    return 0 if all(s == "DONE" for s, _, _ in finished.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
