// Verbatim's web dashboard: sign in with an API key, upload recordings, watch the jobs, read
// along, correct and download. Hand-written HTML, CSS and JavaScript modules, served as they are
// from the binary (crates/api/src/dashboard.rs): no build step and no framework, so nothing is
// downloaded to build or run it, the files in the repository are exactly what the browser runs,
// and the strict Content-Security-Policy (scripts from this server only, none inline) holds.
// Everything goes through the public API with the signed-in key: the page has no privilege.

import { ApiError, KEY_REFUSED, apiKey, call, signIn, signOut } from "./api.js";
import { hideJob, setUpJob, showJob } from "./job.js";
import { hideJobs, setUpJobs, showJobs } from "./jobs.js";
import { $ } from "./ui.js";

const VIEWS = ["#signin-view", "#jobs-view", "#job-view"];

function show(view) {
  for (const v of VIEWS) $(v).hidden = v !== view;
  $("#sign-out").hidden = view === "#signin-view";
}

/** The address says what to show: `#/jobs` (the default) or `#/jobs/<id>`. */
function route() {
  if (!apiKey()) {
    hideJobs();
    hideJob();
    show("#signin-view");
    document.title = "Sign in – Verbatim";
    $("#api-key").focus();
    return;
  }
  const match = location.hash.match(/^#\/jobs\/([A-Za-z0-9]+)$/);
  if (match) {
    hideJobs();
    show("#job-view");
    showJob(match[1]);
    $("#main").focus();
  } else {
    hideJob();
    show("#jobs-view");
    document.title = "Jobs – Verbatim";
    showJobs();
  }
}

async function onSignIn(e) {
  e.preventDefault();
  const key = $("#api-key").value.trim();
  const error = $("#signin-error");
  error.textContent = "";
  if (!key) {
    error.textContent = "Enter an API key.";
    return;
  }
  try {
    // Any call with the key checks it; the smallest is one job of the list.
    await call("GET", "/v1/batch/jobs?page_size=1", undefined, key);
  } catch (err) {
    error.textContent = err instanceof ApiError ? `Sign-in failed: ${err.message}` : String(err);
    $("#api-key").select();
    return;
  }
  signIn(key);
  $("#api-key").value = "";
  // A new address routes by its hashchange event; the same address needs the call.
  if (location.hash.startsWith("#/jobs")) route();
  else location.hash = "#/jobs";
}

function onSignOut() {
  signOut();
  route();
}

setUpJobs();
setUpJob();
$("#signin-form").addEventListener("submit", onSignIn);
$("#sign-out").addEventListener("click", onSignOut);
window.addEventListener("hashchange", route);
window.addEventListener(KEY_REFUSED, (e) => {
  route();
  $("#signin-error").textContent = `Signed out: ${e.detail}`;
});
route();
