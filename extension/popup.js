// The toolbar popup: shows whether the tab's page is saved (and its capture status),
// saves it with tags and a note, or sends the page's HTML as the browser shows it.
// popup.html?tab=<id> works on that tab instead of the active one.
"use strict";

const $ = (id) => document.getElementById(id);
const POLL_MS = 1500;
const POLL_LIMIT = 80; // two minutes of status checks after a save

let config = null;
let tab = null;
let existing = null; // the link already saved for this page, if any

function show(id, text, kind) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle("error", kind === "error");
  el.classList.toggle("ok", kind === "ok");
}

function describe(snapshot) {
  if (!snapshot) return t("noCapture");
  switch (snapshot.status) {
    case "done":
      return t("captured", snapshot.version);
    case "failed":
      return t("captureFailed", snapshot.error || snapshot.error_code);
    case "running":
      return t("capturing");
    default:
      return t("captureQueued");
  }
}

async function targetTab() {
  const wanted = new URLSearchParams(location.search).get("tab");
  if (wanted !== null && /^\d+$/.test(wanted)) return ext.tabs.get(Number(wanted));
  const [active] = await ext.tabs.query({ active: true, currentWindow: true });
  return active;
}

async function checkSaved() {
  const data = await api(config, "GET", `/links?url=${encodeURIComponent(tab.url)}`);
  existing = data.items[0] || null;
  if (existing) {
    const when = new Date(existing.created).toLocaleDateString();
    show("saved-status", t("alreadySaved", when, describe(existing.snapshot)), "ok");
    $("tags").value = existing.tags.join(", ");
    $("note").value = existing.note;
    $("save").textContent = t("saveAgain");
  } else {
    show("saved-status", t("notSaved"));
  }
}

async function completeTags() {
  const typed = $("tags").value;
  try {
    const data = await api(config, "GET", `/tags/complete?q=${encodeURIComponent(typed)}`);
    if ($("tags").value !== typed) return; // the user typed on meanwhile
    const list = $("tag-options");
    list.replaceChildren(
      ...data.tags.map((value) => {
        const option = document.createElement("option");
        option.value = value;
        return option;
      }),
    );
  } catch {
    // completions are a convenience; saving still works without them
  }
}

async function pageHtml() {
  const [injected] = await ext.scripting.executeScript({
    target: { tabId: tab.id },
    func: () => document.documentElement.outerHTML,
  });
  if (!injected || typeof injected.result !== "string") {
    throw new Error(t("cannotRead"));
  }
  return injected.result;
}

async function followCapture(snapshotId, linkId) {
  const open = `${config.server}/links/${linkId}/`;
  for (let i = 0; i < POLL_LIMIT; i++) {
    let snap;
    try {
      snap = await api(config, "GET", `/snapshots/${snapshotId}`);
    } catch {
      return;
    }
    show("saved-status", t("savedStatus", describe(snap)), snap.status === "failed" ? "error" : "ok");
    if (snap.status === "done" || snap.status === "failed") break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const link = document.createElement("a");
  link.href = open;
  link.target = "_blank";
  link.rel = "noopener";
  link.textContent = t("openInSnapshelf");
  $("result").append(" ", link);
}

async function save(asShown) {
  const tags = splitTags($("tags").value);
  const note = $("note").value;
  for (const b of [$("save"), $("save-page")]) b.disabled = true;
  show("result", asShown ? t("reading") : t("saving"));
  try {
    let saved;
    if (asShown) {
      const html = await pageHtml();
      show("result", t("sending"));
      saved = await api(config, "POST", "/links/page", {
        url: tab.url,
        html,
        tags,
        note,
        title: tab.title || "",
      });
    } else {
      saved = await api(config, "POST", "/links", {
        url: tab.url,
        tags,
        note,
        title: existing ? "" : tab.title || "",
      });
    }
    if (existing) {
      // saving adds tags; the field shows the whole list, so make the link's tags match it
      await api(config, "PATCH", `/links/${saved.link.id}`, { tags });
    }
    existing = saved.link;
    show("result", t("savedWithTags", tags.length ? tags.join(", ") : t("none")), "ok");
    followCapture(saved.snapshot.id, saved.link.id);
  } catch (error) {
    show("result", error.message, "error");
  } finally {
    for (const b of [$("save"), $("save-page")]) b.disabled = false;
  }
}

async function main() {
  localize();
  $("open-options").addEventListener("click", () => ext.runtime.openOptionsPage());
  $("setup-button").addEventListener("click", () => ext.runtime.openOptionsPage());
  config = await loadConfig();
  if (!config.server || !config.token) {
    $("setup").hidden = false;
    return;
  }
  $("main").hidden = false;
  try {
    tab = await targetTab();
  } catch (error) {
    tab = null;
  }
  if (!tab || !tab.url || !/^https?:/.test(tab.url)) {
    show("saved-status", t("onlyWeb"), "error");
    $("save-form").hidden = true;
    return;
  }
  $("page-title").textContent = tab.title || tab.url;
  $("page-url").textContent = tab.url;
  $("save-form").addEventListener("submit", (event) => {
    event.preventDefault();
    save(false);
  });
  $("save-page").addEventListener("click", () => save(true));
  $("tags").addEventListener("input", completeTags);
  $("tags").addEventListener("focus", completeTags, { once: true });
  try {
    await checkSaved();
  } catch (error) {
    show("saved-status", error.message, "error");
  }
}

main();
