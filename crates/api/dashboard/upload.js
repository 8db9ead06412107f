// Uploading recordings: each file becomes a job, sent as multipart (one request), or through the
// contract's presigned flow when it is large (create the upload, PUT the bytes to the signed URL,
// then create the job), so that a big file goes straight to the store. XMLHttpRequest, not
// fetch: only it reports upload progress.

import { apiKey, call, errorMessage } from "./api.js";

/** Files over this many bytes take the presigned flow. `?presign_over_mb=N` in the page's address
 *  changes it (0: every file), to try the flow with a small file. */
export function presignThreshold() {
  const asked = new URLSearchParams(location.search).get("presign_over_mb");
  const mb = asked === null ? NaN : Number(asked);
  return (Number.isFinite(mb) && mb >= 0 ? mb : 50) * 1024 * 1024;
}

/** A name the presigned flow accepts: letters, digits, '.', '_' and '-', at most 255. */
export function safeFilename(name) {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "");
  return (cleaned || "audio").slice(-255);
}

/** Sends one request with XMLHttpRequest, calling onProgress(loaded, total) as bytes go out.
 *  Resolves with the parsed JSON answer; rejects with an Error carrying the API's message. */
function send(method, url, headers, body, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(xhr.responseText ? JSON.parse(xhr.responseText) : null);
        } catch (_) {
          resolve(null);
        }
      } else {
        reject(new Error(errorMessage(xhr.status, xhr.responseText)));
      }
    });
    xhr.addEventListener("error", () => reject(new Error(errorMessage(0, ""))));
    xhr.addEventListener("abort", () => reject(new Error("The upload was stopped.")));
    xhr.send(body);
  });
}

/** Uploads `file` as a new job with `config` (transcription_config); resolves with the job's id.
 *  `onProgress(loaded, total)` follows the bytes. */
export async function uploadFile(file, config, onProgress) {
  const tracking = { title: file.name.slice(0, 255) };
  const auth = { Authorization: `Bearer ${apiKey()}` };
  if (file.size > presignThreshold()) {
    const step1 = await call("POST", "/v1/batch/jobs", {
      mode: "presign",
      filename: safeFilename(file.name),
      content_type: file.type || "application/octet-stream",
      transcription_config: config,
      tracking,
    });
    await send("PUT", step1.upload.url, step1.upload.headers || {}, file, onProgress);
    const job = await call("POST", "/v1/batch/jobs", {
      s3_key: step1.upload.s3_key,
      job_id: step1.job_id,
      transcription_config: config,
      tracking,
    });
    return job.job_id;
  }
  const form = new FormData();
  form.append("transcription_config", JSON.stringify(config));
  form.append("tracking", JSON.stringify(tracking));
  form.append("file", file, file.name);
  const job = await send("POST", "/v1/batch/jobs", auth, form, onProgress);
  return job.job_id;
}
