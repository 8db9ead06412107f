// The dashboard's only way to the server: the public API, with the key the user signed in with.
// The key lives in sessionStorage (this tab only, gone when it closes), never in localStorage or
// a cookie, so the page holds no privilege of its own.

const KEY_NAME = "verbatim.apiKey";
/** The event sent when the API refuses the signed-in key. */
export const KEY_REFUSED = "verbatim-key-refused";

export function apiKey() {
  return sessionStorage.getItem(KEY_NAME);
}

export function signIn(key) {
  sessionStorage.setItem(KEY_NAME, key);
}

export function signOut() {
  sessionStorage.removeItem(KEY_NAME);
}

/** A refusal of the API, carrying its `{"error": "..."}` message, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The message of an error body, whatever shape it came in. */
export function errorMessage(status, text) {
  try {
    const body = JSON.parse(text);
    if (body && typeof body.error === "string") return body.error;
  } catch (_) {
    // not JSON: fall through
  }
  if (status === 0) return "The server could not be reached. Check your connection and try again.";
  return `The server answered HTTP ${status}.`;
}

/** Calls the API; resolves with the JSON answer, rejects with an ApiError. */
export async function call(method, path, body, key = apiKey()) {
  const headers = { Authorization: `Bearer ${key}` };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {
    throw new ApiError(0, errorMessage(0, ""));
  }
  const text = await response.text();
  if (!response.ok) {
    const error = new ApiError(response.status, errorMessage(response.status, text));
    // The signed-in key was revoked: back to the sign-in form, saying why.
    if (response.status === 403 && key === apiKey()) {
      signOut();
      window.dispatchEvent(new CustomEvent(KEY_REFUSED, { detail: error.message }));
    }
    throw error;
  }
  return text ? JSON.parse(text) : null;
}

export const jobPath = (id) => `/v1/batch/jobs/${encodeURIComponent(id)}`;
