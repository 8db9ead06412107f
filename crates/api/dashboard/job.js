// The job view: play the recording and read along (the word being spoken is highlighted, a word
// seeks the audio), search, name the speakers and fix words (saved through the corrections API,
// docs/extensions.md), download every format and copy the text.

import { ApiError, call, jobPath } from "./api.js";
import { $, el, formatDuration, formatTime, showNotice } from "./ui.js";

const SPEAKER_COLOURS = 6;
const POLL_MS = 2000;
// A pause this long after a sentence's end starts a new paragraph (speakers aside).
const PARAGRAPH_PAUSE_S = 1.5;

const state = {
  jobId: null,
  view: null, // the corrections view: {words, speakers, revision, ...}
  buttons: [], // one per word, by index
  starts: [], // the words' start times, for the search of the word being spoken
  current: -1, // the highlighted word
  selected: -1, // the word in the editor
  matches: [], // word indexes that start a search match
  matchCursor: -1,
  frame: 0,
  pollTimer: null,
  restoreArmedUntil: 0,
};

export function setUpJob() {
  const player = $("#player");
  player.addEventListener("timeupdate", () => highlightAt(player.currentTime));
  player.addEventListener("seeked", () => highlightAt(player.currentTime));
  player.addEventListener("play", followPlayback);
  player.addEventListener("error", () => {
    if (state.jobId) $("#job-error").textContent = "The recording could not be played in this browser.";
  });
  const transcript = $("#transcript");
  transcript.addEventListener("click", (e) => {
    const word = e.target.closest("button.word");
    if (word) activateWord(Number(word.dataset.index));
  });
  transcript.addEventListener("keydown", onTranscriptKey);
  $("#search").addEventListener("input", runSearch);
  $("#search").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      nextMatch();
    }
  });
  $("#search-next").addEventListener("click", nextMatch);
  $("#speakers-form").addEventListener("submit", saveSpeakers);
  $("#word-form").addEventListener("submit", saveWord);
  $("#word-undo").addEventListener("click", undoWord);
  $("#restore-original").addEventListener("click", restoreOriginal);
  $("#copy-text").addEventListener("click", copyText);
}

export function hideJob() {
  clearTimeout(state.pollTimer);
  cancelAnimationFrame(state.frame);
  const player = $("#player");
  player.pause();
  player.removeAttribute("src");
  player.load();
  state.jobId = null;
}

export async function showJob(jobId) {
  hideJob();
  state.jobId = jobId;
  state.view = null;
  state.selected = -1;
  $("#job-title").textContent = jobId;
  $("#job-summary").textContent = "";
  $("#job-error").textContent = "";
  $("#correct-error").textContent = "";
  $("#job-body").hidden = true;
  $("#search").value = "";
  $("#search-count").textContent = "";
  await loadJob(jobId);
}

async function loadJob(jobId) {
  let job;
  try {
    job = await call("GET", jobPath(jobId));
  } catch (e) {
    return failed(jobId, `Could not load the job: ${e.message}`);
  }
  if (state.jobId !== jobId) return;
  const title = job.job_config?.tracking?.title || job.job_id;
  $("#job-title").textContent = title;
  document.title = `${title} – Verbatim`;
  const summary = [
    job.status,
    `duration ${formatDuration(job.input_metadata?.duration_seconds)}`,
    `language ${job.job_config?.transcription_config?.language || "en"}`,
    `submitted ${formatTime(job.submitted_at)}`,
  ];
  if (job.progress && job.status !== "DONE") {
    summary.push(`${job.progress.stage} ${Math.round(job.progress.fraction * 100)}%`);
  }
  $("#job-summary").textContent = summary.join(" · ");
  if (job.status === "FAILED") return failed(jobId, `This job failed: ${job.error_message?.message || "no reason given"}`);
  if (job.status === "DELETED") return failed(jobId, "This job was deleted: its files are gone.");
  if (job.status !== "DONE") {
    state.pollTimer = setTimeout(() => loadJob(jobId), POLL_MS);
    return;
  }
  try {
    const [view, files] = await Promise.all([
      call("GET", `${jobPath(jobId)}/transcript`),
      call("GET", `${jobPath(jobId)}/files`),
    ]);
    if (state.jobId !== jobId) return;
    showFiles(files);
    showView(view);
    $("#job-body").hidden = false;
  } catch (e) {
    failed(jobId, `Could not load the transcript: ${e.message}`);
  }
}

function failed(jobId, message) {
  if (state.jobId === jobId) $("#job-error").textContent = message;
}

function showFiles(files) {
  const input = files.inputs[0];
  const player = $("#player");
  if (input) {
    player.src = input.download_url;
    player.setAttribute("aria-label", `Recording ${$("#job-title").textContent}`);
  }
  const list = $("#downloads");
  list.replaceChildren(
    ...files.outputs.map((o) =>
      el("li", {}, el("a", { href: o.download_url, download: "", class: "button-like secondary" }, `Download ${o.format}`)),
    ),
  );
}

// ---- the transcript -----------------------------------------------------------------------------

/** Speaker label → a stable colour slot (by order of first appearance) and the name shown. */
function speakerOrder(words) {
  const order = [];
  for (const w of words) if (w.speaker && !order.includes(w.speaker)) order.push(w.speaker);
  return order;
}

function speakerName(label) {
  const name = state.view.speakers?.[label];
  return name ? name : label;
}

function showView(view) {
  state.view = view;
  const words = view.words;
  const order = speakerOrder(words);
  const paragraphs = [];
  let paragraph = null;
  let previous = null;
  state.buttons = [];
  state.starts = words.map((w) => w.start);
  for (const w of words) {
    const newSpeaker = !previous || w.speaker !== previous.speaker;
    const pause = previous && /[.?!]$/.test(previous.text) && w.start - previous.end >= PARAGRAPH_PAUSE_S;
    if (newSpeaker || pause) {
      paragraph = el("p", { class: "turn" });
      if (w.speaker) {
        const slot = order.indexOf(w.speaker) % SPEAKER_COLOURS;
        paragraph.classList.add(`speaker-${slot}`);
        const name = speakerName(w.speaker);
        paragraph.append(el("span", { class: "speaker-tag", "data-speaker": w.speaker }, name === w.speaker ? name : `${name} (${w.speaker})`));
      }
      paragraphs.push(paragraph);
    }
    const button = el(
      "button",
      {
        type: "button",
        class: w.original !== undefined ? "word corrected" : "word",
        tabindex: -1,
        "data-index": w.index,
        "data-start": w.start,
        title: w.original !== undefined ? `Was “${w.original}” · ${w.start.toFixed(2)} s` : `${w.start.toFixed(2)} s`,
      },
      w.text,
    );
    state.buttons[w.index] = button;
    paragraph.append(button, " ");
    previous = w;
  }
  $("#transcript").replaceChildren(...paragraphs);
  // One word is in the tab order (the selected one, or the first); arrows move between words.
  (state.buttons[state.selected] || state.buttons[0])?.setAttribute("tabindex", "0");
  state.current = -1;
  renderSpeakers(order);
  selectWord(state.selected);
  highlightAt($("#player").currentTime);
  runSearch();
}

/** The last word that starts at or before `t`, -1 before the first. */
function wordAt(t) {
  const starts = state.starts;
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

function highlightAt(t) {
  if (!state.view) return;
  const index = wordAt(t + 0.01);
  if (index === state.current) return;
  state.buttons[state.current]?.classList.remove("speaking");
  state.buttons[state.current]?.removeAttribute("aria-current");
  state.current = index;
  const button = state.buttons[index];
  if (!button) return;
  button.classList.add("speaking");
  button.setAttribute("aria-current", "time");
  if (!$("#player").paused && !button.contains(document.activeElement)) {
    button.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
}

/** timeupdate fires only about four times a second: follow the audio frame by frame while it plays. */
function followPlayback() {
  const player = $("#player");
  cancelAnimationFrame(state.frame);
  const step = () => {
    highlightAt(player.currentTime);
    if (!player.paused && !player.ended) state.frame = requestAnimationFrame(step);
  };
  state.frame = requestAnimationFrame(step);
}

function activateWord(index) {
  const word = state.view?.words[index];
  if (!word) return;
  $("#player").currentTime = word.start;
  highlightAt(word.start);
  focusWord(index);
  selectWord(index);
}

function focusWord(index) {
  const button = state.buttons[index];
  if (!button) return;
  for (const b of state.buttons) if (b.tabIndex === 0) b.tabIndex = -1;
  button.tabIndex = 0;
  button.focus();
}

function onTranscriptKey(e) {
  const word = e.target.closest("button.word");
  if (!word) return;
  const index = Number(word.dataset.index);
  const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
  if (e.key in moves) {
    e.preventDefault();
    const next = Math.min(Math.max(index + moves[e.key], 0), state.buttons.length - 1);
    focusWord(next);
    selectWord(next);
  } else if (e.key === "Home" || e.key === "End") {
    e.preventDefault();
    const next = e.key === "Home" ? 0 : state.buttons.length - 1;
    focusWord(next);
    selectWord(next);
  }
  // Enter and Space click the button, which seeks.
}

// ---- search --------------------------------------------------------------------------------------

const fold = (text) => text.toLowerCase().replace(/[^\p{L}\p{N}']+/gu, "");

function runSearch() {
  if (!state.view) return;
  for (const b of state.buttons) b.classList.remove("match");
  const tokens = $("#search").value.split(/\s+/).map(fold).filter(Boolean);
  state.matches = [];
  state.matchCursor = -1;
  if (tokens.length === 0) {
    $("#search-count").textContent = "";
    return;
  }
  const words = state.view.words.map((w) => fold(w.text));
  for (let i = 0; i + tokens.length <= words.length; i++) {
    if (tokens.every((t, k) => words[i + k].includes(t))) {
      state.matches.push(i);
      for (let k = 0; k < tokens.length; k++) state.buttons[i + k].classList.add("match");
    }
  }
  const n = state.matches.length;
  $("#search-count").textContent = n === 1 ? "1 match" : `${n} matches`;
}

function nextMatch() {
  if (state.matches.length === 0) return;
  state.matchCursor = (state.matchCursor + 1) % state.matches.length;
  const index = state.matches[state.matchCursor];
  state.buttons[index].scrollIntoView({ block: "center" });
  focusWord(index);
  selectWord(index);
}

// ---- corrections ---------------------------------------------------------------------------------

function renderSpeakers(order) {
  const list = $("#speakers-list");
  list.replaceChildren(
    ...order.map((label, i) =>
      el(
        "div",
        { class: `field speaker-field speaker-${i % SPEAKER_COLOURS}` },
        el("label", { for: `speaker-name-${label}` }, `Name for ${label}`),
        el("input", {
          id: `speaker-name-${label}`,
          type: "text",
          "data-speaker": label,
          value: state.view.speakers?.[label] || "",
          placeholder: label,
          maxlength: 100,
          autocomplete: "off",
        }),
      ),
    ),
  );
  $("#speakers-form").hidden = order.length === 0;
  $("#speakers-empty").hidden = order.length > 0;
}

function selectWord(index) {
  const word = state.view?.words[index];
  const input = $("#word-text");
  state.selected = word ? index : -1;
  input.disabled = !word;
  $("#word-save").disabled = !word;
  $("#word-undo").disabled = !word || word.original === undefined;
  input.value = word ? word.text : "";
  $("#word-hint").textContent = word
    ? `Word ${index + 1} of ${state.view.words.length}, at ${word.start.toFixed(2)} s.`
    : "Select a word in the transcript first.";
  $("#word-original").textContent = word && word.original !== undefined ? `Originally “${word.original}”.` : "";
}

async function patch(body, done) {
  $("#correct-error").textContent = "";
  try {
    const view = await call("PATCH", `${jobPath(state.jobId)}/transcript`, body);
    showView(view);
    showNotice(done);
    return true;
  } catch (e) {
    $("#correct-error").textContent = `Not saved: ${e.message}`;
    return false;
  }
}

async function saveSpeakers(e) {
  e.preventDefault();
  const speakers = {};
  for (const input of document.querySelectorAll("#speakers-list input")) {
    const label = input.dataset.speaker;
    const name = input.value.trim();
    const before = state.view.speakers?.[label] || "";
    if (name !== before) speakers[label] = name === "" ? null : name;
  }
  if (Object.keys(speakers).length === 0) return showNotice("The names are unchanged.");
  await patch({ speakers }, "Speaker names saved.");
}

async function saveWord(e) {
  e.preventDefault();
  const index = state.selected;
  const word = state.view?.words[index];
  if (!word) return;
  const text = $("#word-text").value.trim();
  if (text === "") {
    $("#correct-error").textContent = "A word cannot be empty.";
    return;
  }
  if (text === word.text) return showNotice("The word is unchanged.");
  await patch({ words: [{ index, text }] }, `Word ${index + 1} saved.`);
}

async function undoWord() {
  const index = state.selected;
  if (!state.view?.words[index]) return;
  await patch({ words: [{ index, text: null }] }, `Word ${index + 1} restored.`);
}

/** Asks for a second click within a few seconds before dropping every correction. */
async function restoreOriginal() {
  const button = $("#restore-original");
  if (Date.now() > state.restoreArmedUntil) {
    state.restoreArmedUntil = Date.now() + 5000;
    button.textContent = "Click again to drop every correction";
    setTimeout(() => {
      button.textContent = "Restore the original transcript";
    }, 5000);
    return;
  }
  state.restoreArmedUntil = 0;
  button.textContent = "Restore the original transcript";
  $("#correct-error").textContent = "";
  try {
    const view = await call("DELETE", `${jobPath(state.jobId)}/transcript/corrections`);
    showView(view);
    showNotice("The original transcript is back.");
  } catch (e) {
    $("#correct-error").textContent = e instanceof ApiError ? `Not restored: ${e.message}` : String(e);
  }
}

// ---- copy ----------------------------------------------------------------------------------------

/** The transcript as plain text: a paragraph per speaker turn, led by the speaker's name. */
function plainText() {
  const lines = [];
  let line = null;
  let speaker;
  for (const w of state.view.words) {
    if (line === null || w.speaker !== speaker) {
      if (line !== null) lines.push(line.join(" "));
      line = w.speaker ? [`${speakerName(w.speaker)}:`] : [];
      speaker = w.speaker;
    }
    line.push(w.text);
  }
  if (line !== null) lines.push(line.join(" "));
  return lines.join("\n\n");
}

async function copyText() {
  if (!state.view) return;
  const text = plainText();
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    // No clipboard permission (an insecure origin, an old browser): copy through a selection.
    const area = $("#copy-fallback");
    area.value = text;
    area.select();
    const copied = document.execCommand("copy");
    area.blur();
    if (!copied) return showNotice("This browser refused to copy; select the text and copy it yourself.", true);
  }
  showNotice("The transcript was copied.");
}
