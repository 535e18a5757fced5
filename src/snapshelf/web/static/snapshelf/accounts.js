// Account pages: the bookmarklet popup's Close/Cancel buttons. No inline handlers.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-close-window]");
  if (!button) return;
  window.close();
  // Browsers ignore window.close() for a tab the user opened; go somewhere useful instead.
  const fallback = button.dataset.fallback;
  if (fallback) setTimeout(() => { if (!window.closed) window.location.assign(fallback); }, 150);
});
