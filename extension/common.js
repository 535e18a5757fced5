// Shared by the popup and the options page: the settings kept in storage and calls to
// Snapshelf's REST API (/api/v1) with the personal token. Plain script, no build step;
// `chrome` is the WebExtension namespace in Chromium and Firefox (MV3) alike.
"use strict";

const ext = globalThis.browser ?? globalThis.chrome;

/** The message `key` in the browser's language (_locales/), with its substitutions. */
function t(key, ...subs) {
  return ext.i18n.getMessage(key, subs.map(String)) || key;
}

/** Fill the elements marked data-i18n (text) and data-i18n-title (tooltip). */
function localize() {
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-title]")) {
    el.title = t(el.dataset.i18nTitle);
  }
  document.documentElement.lang = ext.i18n.getUILanguage();
}

/** The saved settings: {server: "https://host[:port]", token: "snap_..."} or nulls. */
async function loadConfig() {
  const got = await ext.storage.local.get(["server", "token"]);
  return { server: got.server || null, token: got.token || null };
}

/** "https://Host:8000/some/path" -> "https://host:8000" (only http and https). */
function serverOrigin(text) {
  let url;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return url.origin;
}

/** The host permission the extension asks for: the server's host (match patterns carry
 * no port in Firefox, so none here either). */
function originPattern(origin) {
  const url = new URL(origin);
  return `${url.protocol}//${url.hostname}/*`;
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Call the API: path under /api/v1, JSON in and out; throws ApiError on failure. */
async function api(config, method, path, body) {
  const headers = { Authorization: `Bearer ${config.token}`, Accept: "application/json" };
  const init = { method, headers, credentials: "omit", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`${config.server}/api/v1${path}`, init);
  } catch (error) {
    throw new ApiError(0, "network", t("cannotReach", config.server, error.message));
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(
      response.status,
      err.code || "http_" + response.status,
      err.message || t("serverAnswered", response.status),
    );
  }
  return data;
}

/** Split "a, b,c" into ["a", "b", "c"] (the API wants a list). */
function splitTags(text) {
  const seen = new Set();
  const out = [];
  for (const part of text.split(",")) {
    const name = part.trim().replace(/\s+/g, " ");
    if (name && !seen.has(name.toLowerCase())) {
      seen.add(name.toLowerCase());
      out.push(name);
    }
  }
  return out;
}
