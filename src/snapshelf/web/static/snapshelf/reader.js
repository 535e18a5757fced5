// The reader view: restores where the owner stopped, saves how far they read (debounced,
// to /links/<id>/progress), applies and saves the typography settings without a reload,
// and scrolls with j / k (Space and Shift+Space are the browser's own page keys).
(() => {
  // The wrapper carries the state (data-*) and the typography classes; the article inside
  // is the reader text whose scrolling is measured.
  const view = document.querySelector(".reader-view[data-progress-url]");
  const reader = view && view.querySelector("article.reader");
  if (!reader) return;
  const bar = document.querySelector(".reader-progress progress");
  const label = document.querySelector(".reader-progress [data-percent]");
  const csrf = () => {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) return field.value;
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  };

  // How far the reader text has been read: 0 at its top, 1 when its end is on screen.
  const fraction = () => {
    const box = reader.getBoundingClientRect();
    const span = box.height - window.innerHeight;
    if (span <= 0) return box.bottom <= window.innerHeight ? 1 : 0;
    return Math.min(1, Math.max(0, -box.top / span));
  };
  const show = (value) => {
    const pct = Math.round(value * 100);
    if (bar) bar.value = pct;
    if (label) label.textContent = `${pct}%`;
  };

  // Only a scroll sends the position (debounced, and once more when the page is left
  // with a scroll not yet sent): opening an article and closing it saves nothing.
  // data-saving on the wrapper says a save is waiting ("pending") or on its way
  // ("sending"), empty once the server has the position.
  let lastSent = Number.parseFloat(view.dataset.fraction || "");
  let timer = 0;
  let pending = false;
  let inFlight = 0;
  const state = () => {
    view.dataset.saving = inFlight ? "sending" : pending ? "pending" : "";
  };
  // One save at a time, so an earlier position never lands after a later one; a scroll
  // during a save is sent when it is answered (or at once when the page is left).
  const send = (event) => {
    clearTimeout(timer);
    if (!pending) return;
    if (inFlight && !(event && event.type === "pagehide")) return;
    pending = false;
    const value = Math.round(fraction() * 10000) / 10000;
    if (Math.abs(value - lastSent) < 0.005) {
      state();
      return;
    }
    lastSent = value;
    const offset = Math.max(0, Math.round(-reader.getBoundingClientRect().top));
    inFlight++;
    state();
    fetch(view.dataset.progressUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ fraction: value, offset }),
      keepalive: true,
    }).then((r) => r.ok && r.json()).then((data) => {
      if (data && data.marked_read) document.dispatchEvent(new CustomEvent("reader:finished"));
    }).catch(() => {}).finally(() => {
      inFlight--;
      state();
      if (pending && !inFlight) send();
    });
  };
  const schedule = () => {
    show(fraction());
    pending = true;
    state();
    clearTimeout(timer);
    timer = setTimeout(send, Number(view.dataset.debounce || 800));
  };

  // Restore: scroll to the saved fraction of the reader text (layout may differ from the
  // last visit: another window size or text size), once images have their size. The
  // scroll this causes is not sent again: `send` skips a value equal to the last one.
  // An address pointing into the page (#hl-12: a highlight the list's "Show" opened)
  // wins over the saved position.
  const restore = () => {
    const saved = Number.parseFloat(view.dataset.fraction || "");
    let target = null;
    try {
      target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    } catch (e) {
      target = null; // a malformed address: restore as usual
    }
    if (target) {
      show(fraction());
    } else if (saved > 0) {
      const box = reader.getBoundingClientRect();
      const span = Math.max(0, box.height - window.innerHeight);
      window.scrollTo(0, window.scrollY + box.top + saved * span);
      show(saved);
    } else {
      show(fraction());
    }
    view.dataset.restored = String(saved > 0 ? saved : 0);
  };
  if (document.readyState === "complete") restore();
  else window.addEventListener("load", restore, { once: true });
  window.addEventListener("scroll", schedule, { passive: true });
  window.addEventListener("pagehide", send);

  // A text that fits on one screen is never scrolled: it counts as read once it has been
  // on screen (the tab visible) for data-finish-after ms, about half its reading time.
  // Opened and left at once, it stays unread.
  const dwell = Number(view.dataset.finishAfter || 0);
  let shown = 0;
  let since = 0;
  let dwellTimer = 0;
  const fits = () => reader.getBoundingClientRect().height <= window.innerHeight;
  const finish = () => {
    if (lastSent >= 0.95 || !fits() || fraction() < 1) return;
    pending = true;
    send();
  };
  const watch = () => {
    clearTimeout(dwellTimer);
    if (document.visibilityState === "visible") {
      since = Date.now();
      dwellTimer = setTimeout(finish, Math.max(0, dwell - shown));
    } else if (since) {
      shown += Date.now() - since;
      since = 0;
    }
  };
  if (dwell > 0 && !(lastSent >= 0.95)) {
    document.addEventListener("visibilitychange", watch);
    watch();
  }

  // Typography: change a select and it applies at once and is saved for the user.
  document.querySelectorAll("form[data-reader-settings]").forEach((form) => {
    const apply = () => {
      const data = new FormData(form);
      Array.from(view.classList).forEach((name) => {
        if (/^reader-(size|font|width)-/.test(name)) view.classList.remove(name);
      });
      view.classList.add(`reader-size-${data.get("font_size")}`,
        `reader-font-${data.get("font")}`, `reader-width-${data.get("width")}`);
    };
    // One save at a time, each with the form as it is then: three quick changes end
    // with the last choice saved, never an earlier request answered later.
    let saving = false;
    let again = false;
    const save = () => {
      if (saving) {
        again = true;
        return;
      }
      saving = true;
      form.dataset.saved = "";
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf() },
        body: new FormData(form),
      }).then((r) => { form.dataset.saved = r.ok ? "yes" : "no"; })
        .catch(() => { form.dataset.saved = "no"; })
        .finally(() => {
          saving = false;
          if (again) {
            again = false;
            save();
          }
        });
    };
    form.addEventListener("change", () => { apply(); save(); });
    form.addEventListener("submit", (event) => { event.preventDefault(); apply(); save(); });
  });

  // j / k scroll the reader by a few lines (the library's j / k move between rows).
  const typing = (el) =>
    el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    const step = Math.round(window.innerHeight * 0.15);
    if (event.key === "j") window.scrollBy(0, step);
    else if (event.key === "k") window.scrollBy(0, -step);
    else return;
    event.preventDefault();
  });
})();
