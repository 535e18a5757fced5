// Highlights in the reader (issue 22.1). A highlight is kept as the W3C Web Annotation
// selectors: the exact passage with 32 characters of context either side
// (TextQuoteSelector) and its offsets in the reader's text (TextPositionSelector). Here
// the offsets only break ties: a passage is found again by its quote, whitespace left
// out of the comparison, as snapshelf/reading/anchor.py does on the server.
(() => {
  const box = document.getElementById("highlights");
  if (!box) return;
  const cfg = box.dataset;
  const reader = cfg.reader ? document.querySelector("article.reader") : null;
  const list = document.getElementById("highlight-list");
  const editor = document.getElementById("hl-editor");
  const bar = document.querySelector("[data-highlight-bar]");
  const CONTEXT = 32;
  // the page's highlights, as JSON in a data- attribute (no script element in the page)
  let items = [];
  try {
    items = JSON.parse(cfg.highlights || "[]");
  } catch (e) {
    items = [];
  }
  let lastRange = null;
  let editing = null;

  const csrf = () => {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  };
  const post = async (url, body) => {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || cfg.labelFailed);
    return answer;
  };
  const status = (text) => {
    const el = bar && bar.querySelector("[data-hl-status]");
    if (el) el.textContent = text;
  };

  // ------------------------------------------------------------ the reader's text
  const textNodes = () => {
    const nodes = [];
    const walker = document.createTreeWalker(reader, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
    return nodes;
  };
  const readerText = () => textNodes().map((n) => n.data).join("");
  const offsetOf = (node, offset) => {
    const range = document.createRange();
    range.setStart(reader, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  };

  // ------------------------------------------------------------ anchoring
  const squeeze = (text) => {
    let flat = "";
    const origin = [];
    for (let i = 0; i < text.length; i++) {
      if (!/\s/.test(text[i])) {
        flat += text[i];
        origin.push(i);
      }
    }
    return { flat, origin };
  };
  const bare = (text) => (text || "").replace(/\s+/g, "");
  const commonTail = (a, b) => {
    let n = 0;
    while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
    return n;
  };
  const commonHead = (a, b) => {
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    return n;
  };
  const locate = (text, squeezed, h) => {
    const exact = bare(h.exact);
    if (!exact) return null;
    const { flat, origin } = squeezed;
    const prefix = bare(h.prefix);
    const suffix = bare(h.suffix);
    let best = null;
    let seen = 0;
    for (let at = flat.indexOf(exact); at >= 0 && seen < 2000; at = flat.indexOf(exact, at + 1)) {
      seen++;
      const before = flat.slice(Math.max(0, at - prefix.length), at);
      const after = flat.slice(at + exact.length, at + exact.length + suffix.length);
      const fit = commonTail(before, prefix) + commonHead(after, suffix);
      const distance = Math.abs(origin[at] - (h.start || 0)) / Math.max(text.length, 1);
      if (!best || fit > best.fit || (fit === best.fit && distance < best.distance)) {
        best = { fit, distance, at };
      }
    }
    if (!best) return null;
    return { start: origin[best.at], end: origin[best.at + exact.length - 1] + 1 };
  };

  // ------------------------------------------------------------ painting
  const unpaint = () => {
    reader.querySelectorAll("mark.hl").forEach((mark) => mark.replaceWith(...mark.childNodes));
    reader.normalize();
  };
  const wrap = (start, end, h) => {
    let pos = 0;
    let first = null;
    for (const node of textNodes()) {
      const from = pos;
      pos += node.data.length;
      if (pos <= start || from >= end) continue;
      if (!node.data.trim()) continue; // whitespace between blocks stays unmarked
      let piece = node;
      if (start > from) piece = piece.splitText(start - from);
      if (end < pos) piece.splitText(end - Math.max(start, from));
      const mark = document.createElement("mark");
      mark.className = `hl hl-${h.color}`;
      mark.dataset.hl = h.id;
      piece.replaceWith(mark);
      mark.appendChild(piece);
      if (!first) {
        first = mark;
        mark.id = `hl-${h.id}`;
        mark.tabIndex = 0;
        mark.setAttribute("role", "button");
        mark.setAttribute("aria-label", `${cfg.labelMark}: ${h.exact.slice(0, 80)}`);
      }
    }
    return first;
  };
  const paint = () => {
    if (!reader) return;
    unpaint();
    const text = readerText();
    const squeezed = squeeze(text);
    const spots = items.map((h) => ({ h, at: locate(text, squeezed, h) }));
    // longest first, so a highlight inside another one stays visible on top
    spots.sort((a, b) => (b.at ? b.at.end - b.at.start : 0) - (a.at ? a.at.end - a.at.start : 0));
    for (const { h, at } of spots) {
      h.shown = Boolean(at);
      if (at) wrap(at.start, at.end, h);
    }
  };

  // ------------------------------------------------------------ the list
  const button = (label, attr) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "link";
    b.textContent = label;
    b.setAttribute(attr, "");
    return b;
  };
  const render = () => {
    list.replaceChildren();
    for (const h of items) {
      const li = document.createElement("li");
      li.className = `hl-item hl-${h.color}` + (h.orphaned ? " is-orphaned" : "");
      li.dataset.id = h.id;
      const quote = document.createElement("blockquote");
      quote.className = "hl-quote";
      quote.textContent = h.exact;
      li.append(quote);
      if (h.note) {
        const note = document.createElement("p");
        note.className = "hl-note";
        note.textContent = h.note;
        li.append(note);
      }
      const label = h.orphaned ? cfg.labelOrphaned : reader && !h.shown ? cfg.labelAbsent : "";
      if (label) {
        const state = document.createElement("p");
        state.className = "hl-state";
        const chip = document.createElement("span");
        chip.className = "chip orphaned";
        chip.textContent = label;
        state.append(chip);
        li.append(state);
      }
      const actions = document.createElement("p");
      actions.className = "hl-item-actions";
      if (h.shown || h.anchored_id) actions.append(button(cfg.labelShow, "data-hl-show"), " ");
      actions.append(button(cfg.labelEdit, "data-hl-edit"));
      li.append(actions);
      list.append(li);
    }
    box.querySelector("[data-hl-empty]").hidden = items.length > 0;
    box.querySelector("[data-hl-count]").textContent = items.length;
  };
  const refresh = () => {
    paint();
    render();
  };

  // ------------------------------------------------------------ making one
  const selectionInReader = () => {
    const sel = window.getSelection();
    if (sel && sel.rangeCount && !sel.isCollapsed) {
      const range = sel.getRangeAt(0);
      if (reader.contains(range.commonAncestorContainer)) return range;
      if (range.intersectsNode(reader)) {
        const clipped = range.cloneRange();
        if (!reader.contains(range.startContainer)) clipped.setStart(reader, 0);
        if (!reader.contains(range.endContainer)) clipped.setEnd(reader, reader.childNodes.length);
        return clipped;
      }
    }
    return lastRange;
  };
  const create = async () => {
    const range = selectionInReader();
    if (!range || range.collapsed) {
      status(cfg.labelSelect);
      return;
    }
    const text = readerText();
    let start = offsetOf(range.startContainer, range.startOffset);
    let end = offsetOf(range.endContainer, range.endOffset);
    while (start < end && /\s/.test(text[start])) start++;
    while (end > start && /\s/.test(text[end - 1])) end--;
    if (start >= end) {
      status(cfg.labelSelect);
      return;
    }
    const color = (bar.querySelector("input[name=hl-new-color]:checked") || {}).value || "yellow";
    const snapshot = cfg.snapshot ? Number(cfg.snapshot) : null;
    try {
      const h = await post(cfg.url, {
        exact: text.slice(start, end),
        prefix: text.slice(Math.max(0, start - CONTEXT), start),
        suffix: text.slice(end, end + CONTEXT),
        start,
        end,
        color,
        snapshot_id: snapshot,
      });
      items.push(h);
      window.getSelection().removeAllRanges();
      lastRange = null;
      refresh();
      status(cfg.labelSaved);
      document.getElementById(`hl-${h.id}`)?.focus();
    } catch (error) {
      status(error.message);
    }
  };

  // ------------------------------------------------------------ editing one
  const find = (id) => items.find((h) => String(h.id) === String(id));
  const open = (h) => {
    editing = h;
    editor.querySelector("[data-hl-quote]").textContent = h.exact;
    editor.querySelector("#hl-note").value = h.note;
    editor.querySelectorAll("input[name=hl-edit-color]").forEach((r) => {
      r.checked = r.value === h.color;
    });
    editor.querySelector("[data-hl-error]").hidden = true;
    editor.showModal();
    editor.querySelector("#hl-note").focus();
  };
  const close = () => {
    const id = editing && editing.id;
    editing = null;
    if (editor.open) editor.close();
    const back = id && (document.getElementById(`hl-${id}`) || list.querySelector(`[data-id="${id}"] button`));
    back?.focus();
  };
  const fail = (error) => {
    const el = editor.querySelector("[data-hl-error]");
    el.textContent = error.message;
    el.hidden = false;
  };
  const save = async () => {
    const color = (editor.querySelector("input[name=hl-edit-color]:checked") || {}).value;
    try {
      const h = await post(cfg.editUrl, {
        id: editing.id,
        note: editor.querySelector("#hl-note").value,
        color: color || editing.color,
      });
      Object.assign(editing, h);
      refresh();
      close();
    } catch (error) {
      fail(error);
    }
  };
  const remove = async () => {
    try {
      await post(cfg.deleteUrl, { id: editing.id });
      items = items.filter((h) => h !== editing);
      editing = null;
      editor.close();
      refresh();
      status(cfg.labelDeleted);
      (bar && bar.querySelector("[data-hl-create]"))?.focus();
    } catch (error) {
      fail(error);
    }
  };
  const show = (h) => {
    const mark = document.getElementById(`hl-${h.id}`);
    if (mark) {
      mark.scrollIntoView({ block: "center" });
      mark.focus({ preventScroll: true });
    } else if (h.anchored_id) {
      window.location.href = `${cfg.pageUrl}?v=${h.anchored_id}#hl-${h.id}`;
    }
  };

  // ------------------------------------------------------------ wiring
  editor.addEventListener("click", (event) => {
    if (event.target.closest("[data-hl-save]")) save();
    else if (event.target.closest("[data-hl-delete]")) remove();
    else if (event.target.closest("[data-hl-close]")) close();
  });
  editor.addEventListener("cancel", (event) => {
    event.preventDefault();
    close();
  });
  list.addEventListener("click", (event) => {
    const li = event.target.closest("li[data-id]");
    const h = li && find(li.dataset.id);
    if (!h) return;
    if (event.target.closest("[data-hl-edit]")) open(h);
    else if (event.target.closest("[data-hl-show]")) show(h);
  });
  if (reader) {
    reader.addEventListener("click", (event) => {
      const mark = event.target.closest("mark.hl");
      if (mark && window.getSelection().isCollapsed) open(find(mark.dataset.hl));
    });
    reader.addEventListener("keydown", (event) => {
      const mark = event.target.closest && event.target.closest("mark.hl");
      if (mark && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        open(find(mark.dataset.hl));
      }
    });
    document.addEventListener("selectionchange", () => {
      const sel = window.getSelection();
      if (sel && sel.rangeCount && !sel.isCollapsed) {
        const range = sel.getRangeAt(0);
        if (range.intersectsNode(reader)) lastRange = range.cloneRange();
      }
    });
    if (bar) {
      bar.hidden = false;
      // mousedown on the button must not drop the selection it is about to highlight
      bar.addEventListener("mousedown", (event) => {
        if (event.target.closest("[data-hl-create]")) event.preventDefault();
      });
      bar.querySelector("[data-hl-create]").addEventListener("click", create);
      // h from a colour just picked (a radio button, which the page's shortcuts skip)
      bar.addEventListener("keydown", (event) => {
        if (event.key === "h" && event.target.matches("input[type=radio]")) {
          event.preventDefault();
          create();
        }
      });
    }
  }
  refresh();
  const wanted = /^#hl-\d+$/.test(window.location.hash) && document.querySelector(window.location.hash);
  if (wanted) {
    wanted.scrollIntoView({ block: "center" });
    wanted.focus({ preventScroll: true });
  }
})();
