// Account pages: the bookmarklet popup's Close/Cancel buttons. No inline handlers.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-close-window]");
  if (!button) return;
  window.close();
  // Browsers ignore window.close() for a tab the user opened; go somewhere useful instead.
  const fallback = button.dataset.fallback;
  if (fallback) setTimeout(() => { if (!window.closed) window.location.assign(fallback); }, 150);
});

// "Save this page as I see it": the bookmarklet opened this popup and sends the page's
// HTML once we say we are ready. Only HTML for the page's own origin is accepted, so
// another site cannot slip its markup in under someone else's address.
(() => {
  const status = document.querySelector("[data-page-receiver]");
  if (!status || !window.opener) return;
  const form = status.closest("form");
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (!data || data.snapshelf !== "page" || typeof data.html !== "string") return;
    let claimed;
    try { claimed = new URL(form.elements.url.value).origin; } catch (e) { return; }
    if (event.origin !== claimed || new URL(data.url).origin !== claimed) return;
    form.elements.html.value = data.html;
    const kb = Math.max(1, Math.round(new Blob([data.html]).size / 1024));
    status.textContent = status.dataset.received.replace("{kb}", String(kb));
  });
  window.opener.postMessage("snapshelf-ready", "*");
})();
