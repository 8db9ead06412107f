// The jobs view: the upload form and the organisation's jobs, polled while any is running.

import { call, jobPath } from "./api.js";
import { uploadFile } from "./upload.js";
import { $, el, formatBytes, formatDuration, formatTime, showNotice } from "./ui.js";

// The hosted model's languages (the contract, section 4); the server says which it can do.
const LANGUAGES = {
  en: "English", ar: "Arabic", ba: "Bashkir", be: "Belarusian", bg: "Bulgarian", bn: "Bengali",
  ca: "Catalan", cs: "Czech", cy: "Welsh", da: "Danish", de: "German", el: "Greek", eo: "Esperanto",
  es: "Spanish", et: "Estonian", eu: "Basque", fa: "Persian", fi: "Finnish", fr: "French",
  ga: "Irish", gl: "Galician", he: "Hebrew", hi: "Hindi", hr: "Croatian", hu: "Hungarian",
  ia: "Interlingua", id: "Indonesian", it: "Italian", ja: "Japanese", ko: "Korean",
  lt: "Lithuanian", lv: "Latvian", mn: "Mongolian", mr: "Marathi", ms: "Malay", mt: "Maltese",
  nl: "Dutch", no: "Norwegian", pl: "Polish", pt: "Portuguese", ro: "Romanian", ru: "Russian",
  sk: "Slovak", sl: "Slovenian", sv: "Swedish", sw: "Swahili", ta: "Tamil", th: "Thai",
  tl: "Tagalog", tr: "Turkish", ug: "Uyghur", uk: "Ukrainian", ur: "Urdu", vi: "Vietnamese",
  zh: "Chinese",
};

const RUNNING = new Set(["QUEUED", "IN_PROGRESS", "DECODING", "POST_PROCESSING"]);
const PAGE_SIZE = 10;
const POLL_RUNNING_MS = 2000;
const POLL_IDLE_MS = 15000;

const state = { page: 1, pages: 1, timer: null, active: false, loading: false };

export function setUpJobs() {
  const language = $("#opt-language");
  for (const [code, name] of Object.entries(LANGUAGES)) {
    language.append(el("option", { value: code }, `${name} (${code})`));
  }
  const input = $("#file-input");
  input.addEventListener("change", () => {
    uploadAll([...input.files]);
    input.value = "";
  });
  const zone = $("#drop-zone");
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("dragging");
    uploadAll([...e.dataTransfer.files]);
  });
  $("#status-filter").addEventListener("change", () => {
    state.page = 1;
    refresh();
  });
  $("#page-prev").addEventListener("click", () => {
    if (state.page > 1) {
      state.page -= 1;
      refresh();
    }
  });
  $("#page-next").addEventListener("click", () => {
    if (state.page < state.pages) {
      state.page += 1;
      refresh();
    }
  });
}

export function showJobs() {
  state.active = true;
  refresh();
}

export function hideJobs() {
  state.active = false;
  clearTimeout(state.timer);
}

function transcriptionConfig() {
  return {
    language: $("#opt-language").value,
    operating_point: $("#opt-operating-point").value,
    diarization: $("#opt-diarization").value,
  };
}

/** Uploads the files one after the other (each with its progress bar), in the order given. */
async function uploadAll(files) {
  const config = transcriptionConfig();
  const rows = files.map((file) => uploadRow(file));
  for (const [i, file] of files.entries()) {
    const row = rows[i];
    try {
      const jobId = await uploadFile(file, config, (loaded, total) => {
        row.bar.max = total;
        row.bar.value = loaded;
        row.status.textContent = `${formatBytes(loaded)} of ${formatBytes(total)}`;
      });
      row.bar.value = row.bar.max;
      row.item.classList.add("ok");
      row.status.textContent = `Uploaded: job ${jobId}`;
      refresh();
    } catch (e) {
      row.item.classList.add("failed");
      row.status.textContent = `Not uploaded: ${e.message}`;
      row.status.setAttribute("role", "alert");
    }
  }
}

function uploadRow(file) {
  const bar = el("progress", { max: file.size || 1, value: 0, "aria-label": `Upload of ${file.name}` });
  const status = el("span", { class: "upload-status" }, "Waiting");
  const item = el("li", { class: "upload" }, el("span", { class: "upload-name" }, file.name), bar, status);
  $("#uploads").prepend(item);
  return { item, bar, status };
}

async function refresh() {
  clearTimeout(state.timer);
  if (!state.active) return;
  const params = new URLSearchParams({ page: state.page, page_size: PAGE_SIZE });
  const status = $("#status-filter").value;
  if (status) params.set("status", status);
  let anyRunning = false;
  try {
    const list = await call("GET", `/v1/batch/jobs?${params}`);
    state.pages = Math.max(1, list.meta.pages);
    if (state.page > state.pages) {
      state.page = state.pages;
      return refresh();
    }
    renderList(list.items);
    anyRunning = list.items.some((j) => RUNNING.has(j.status));
    $("#page-info").textContent = `Page ${state.page} of ${state.pages} (${list.meta.total} jobs)`;
    $("#page-prev").disabled = state.page <= 1;
    $("#page-next").disabled = state.page >= state.pages;
    $("#jobs-error").textContent = "";
  } catch (e) {
    $("#jobs-error").textContent = `Could not load the jobs: ${e.message}`;
  }
  if (state.active) {
    state.timer = setTimeout(refresh, anyRunning ? POLL_RUNNING_MS : POLL_IDLE_MS);
  }
}

/** Updates the table in place, cell by cell, so that a poll does not take the keyboard focus
 *  from a button that did not change. */
function renderList(items) {
  const body = $("#jobs-body");
  const existing = new Map([...body.children].map((row) => [row.dataset.jobId, row]));
  const rows = items.map((job) => {
    const fresh = jobRow(job);
    const row = existing.get(job.job_id);
    if (!row) return fresh;
    row.dataset.status = fresh.dataset.status;
    [...fresh.children].forEach((cell, i) => {
      if (row.children[i].outerHTML !== cell.outerHTML) row.children[i].replaceWith(cell);
    });
    return row;
  });
  const unchanged = rows.length === body.children.length && rows.every((row, i) => body.children[i] === row);
  if (!unchanged) body.replaceChildren(...rows);
  $("#jobs-empty").hidden = items.length > 0;
  $("#jobs-table").hidden = items.length === 0;
}

function jobRow(job) {
  const title = job.job_config?.tracking?.title || job.job_id;
  const done = job.status === "DONE";
  const name = done
    ? el("a", { href: `#/jobs/${job.job_id}`, class: "job-link" }, title)
    : el("span", {}, title);
  const progress = job.progress;
  const fraction = progress ? progress.fraction : job.status === "DONE" ? 1 : 0;
  const bar = el("progress", { max: 1, value: fraction, "aria-label": `Progress of ${title}` });
  const percent = `${Math.round(fraction * 100)}%`;
  const failure = job.error_message?.message;
  const actions = el("td", { class: "actions" });
  if (RUNNING.has(job.status)) {
    actions.append(actionButton("Cancel", title, () => act("POST", `${jobPath(job.job_id)}/cancel`, `Cancelled ${title}.`)));
  }
  if (job.status === "DONE" || job.status === "FAILED") {
    actions.append(actionButton("Delete", title, () => act("DELETE", jobPath(job.job_id), `Deleted ${title}.`), "danger"));
  }
  return el(
    "tr",
    { "data-job-id": job.job_id, "data-status": job.status },
    el("td", { "data-label": "Job" }, name, el("div", { class: "hint mono" }, job.job_id)),
    el("td", { "data-label": "Status" }, el("span", { class: `status status-${job.status.toLowerCase()}` }, job.status),
      failure ? el("div", { class: "hint" }, failure) : ""),
    el("td", { "data-label": "Stage" }, progress?.stage || "–"),
    el("td", { "data-label": "Progress" }, bar, ` ${percent}`),
    el("td", { "data-label": "Duration" }, formatDuration(job.input_metadata?.duration_seconds)),
    el("td", { "data-label": "Submitted" }, formatTime(job.submitted_at)),
    actions,
  );
}

function actionButton(label, title, onClick, kind = "secondary") {
  const button = el("button", { type: "button", class: kind, "aria-label": `${label} ${title}` }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    await onClick();
    button.disabled = false;
  });
  return button;
}

async function act(method, path, done) {
  try {
    await call(method, path);
    showNotice(done);
  } catch (e) {
    showNotice(e.message, true);
  }
  refresh();
}
