// Library page: select-all for bulk actions, and reset the add box after a save.
(() => {
  document.addEventListener("change", (event) => {
    const el = event.target;
    if (el.id === "select-all") {
      document.querySelectorAll("input.pick").forEach((box) => { box.checked = el.checked; });
    }
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (form.id === "add-form" && event.detail.successful
        && !event.detail.xhr.getResponseHeader("HX-Retarget")) {
      form.reset();
      form.querySelector("input[name=url]").focus();
      const empty = document.querySelector("#link-list > li.empty");
      if (empty) empty.remove();
    }
  });
})();
