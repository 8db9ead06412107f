"""Submits every file at once to a running `verbatim serve` and waits for all the jobs.

Usage: service_throughput.py BASE_URL API_KEY FILE...
Prints one line per job (id, status, seconds from the first submission to DONE) and, last, the
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


def submit(base: str, key: str, path: str) -> str:
    boundary = uuid.uuid4().hex
    with open(path, "rb") as f:
        audio = f.read()
    name = path.rsplit("/", 1)[-1]
    body = b"".join([
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n".encode(), audio, b"\r\n",
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"transcription_config\"\r\n\r\n"
        '{"language": "en"}\r\n'.encode(),
        f"--{boundary}--\r\n".encode(),
    ])
    request = urllib.request.Request(
        f"{base}/v1/batch/jobs", data=body, method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.load(response)["job_id"]


def status(base: str, key: str, job_id: str) -> str:
    request = urllib.request.Request(f"{base}/v1/batch/jobs/{job_id}", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["status"]


def main() -> int:
    base, key, files = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3:]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(files)) as pool:
        ids = list(pool.map(lambda f: submit(base, key, f), files))
    finished = {}
    while len(finished) < len(ids):
        for job_id in ids:
            if job_id not in finished:
                s = status(base, key, job_id)
                if s in FINAL:
                    finished[job_id] = (s, time.monotonic() - started)
        time.sleep(0.2)
    for job_id in ids:
        s, at = finished[job_id]
        print(f"{job_id} {s} {at:.1f}")
    wall = max(at for _, at in finished.values())
    print(f"wall_s {wall:.2f}")
    return 0 if all(s == "DONE" for s, _ in finished.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
