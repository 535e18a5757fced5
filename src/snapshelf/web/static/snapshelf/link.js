// Link page: tag suggestions for a comma-separated input. A <datalist> only
// completes the whole value, so its options are rewritten to "tags so far, name".
// Without this file the datalist still suggests the first tag.
(() => {
  const input = document.querySelector("input[list='tag-names']");
  const list = document.getElementById("tag-names");
  if (!input || !list) return;
  const names = Array.from(list.options, (o) => o.value);
  const refresh = () => {
    const parts = input.value.split(",");
    const done = parts.slice(0, -1).map((p) => p.trim()).filter(Boolean);
    const taken = new Set(done.map((p) => p.toLowerCase()));
    const prefix = done.length ? done.join(", ") + ", " : "";
    list.replaceChildren(
      ...names
        .filter((n) => !taken.has(n.toLowerCase()))
        .map((n) => {
          const option = document.createElement("option");
          option.value = prefix + n;
          return option;
        }),
    );
  };
  input.addEventListener("input", refresh);
  input.addEventListener("focus", refresh);
})();
