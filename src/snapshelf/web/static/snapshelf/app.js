// Small progressive enhancements; every page works without this file.
// No inline handlers anywhere, so a strict Content-Security-Policy stays possible.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("[data-autosubmit]") && el.form) el.form.requestSubmit();
});
// "Copy link": copies the named field's text; without the Clipboard API (plain http on
// a LAN address), the text is selected so the person can copy it themselves.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  if (!field) return;
  const done = () => {
    const label = button.textContent;
    button.textContent = button.dataset.copied || label;
    setTimeout(() => { button.textContent = label; }, 1500);
  };
  field.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => {});
  } else if (document.execCommand && document.execCommand("copy")) {
    done();
  }
});
// Keyboard shortcuts. Any element with data-key="x" (or a two-key sequence "g l") is
// clicked when its keys are typed; the library adds j/k/o/x over its rows. Keys typed
// into a field, or with Ctrl/Alt/Meta, are left alone. "?" shows the help dialog.
(() => {
  const help = document.getElementById("shortcuts-help");
  let pending = "";
  let pendingTimer = 0;
  const typing = (el) =>
    el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const rows = () => Array.from(document.querySelectorAll("#link-list > li.link-row"));
  const current = () => document.querySelector("#link-list > li.link-row.is-current");
  const moveRow = (step) => {
    const all = rows();
    if (!all.length) return false;
    const at = all.indexOf(current());
    const next = all[Math.min(all.length - 1, Math.max(0, at + step))] || all[0];
    all.forEach((row) => row.classList.toggle("is-current", row === next));
    next.scrollIntoView({ block: "nearest" });
    next.querySelector("a.title")?.focus({ preventScroll: true });
    return true;
  };
  const toggleHelp = () => {
    if (!help) return;
    if (help.open) help.close();
    else help.showModal();
  };
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-help-open]")) {
      event.preventDefault();
      toggleHelp();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const key = event.key;
    if (key === "?") { event.preventDefault(); toggleHelp(); return; }
    if (help && help.open) return; // the dialog handles Esc itself
    const sequence = pending ? `${pending} ${key}` : key;
    clearTimeout(pendingTimer);
    pending = "";
    const target = document.querySelector(`[data-key="${CSS.escape(sequence)}"]`);
    if (target) {
      event.preventDefault();
      if (target.matches("input, textarea")) target.focus();
      else target.click();
      return;
    }
    if (document.querySelector(`[data-key^="${CSS.escape(key)} "]`)) {
      pending = key; // the first key of a sequence such as "g l"
      pendingTimer = setTimeout(() => { pending = ""; }, 1500);
      return;
    }
    let handled = false;
    if (key === "/") {
      const search = document.querySelector("#lib-q");
      if (search) { search.focus(); search.select(); handled = true; }
    } else if (key === "a") {
      const box = document.querySelector("#add-form input[name=url]");
      if (box) { box.focus(); handled = true; }
    } else if (key === "j") handled = moveRow(1);
    else if (key === "k") handled = moveRow(-1);
    else if (key === "o" && current()) {
      current().querySelector("a.title")?.click();
      handled = true;
    } else if (key === "x" && current()) {
      current().querySelector("input.pick")?.click();
      handled = true;
    }
    if (handled) event.preventDefault();
  });
})();
