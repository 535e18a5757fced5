// Small progressive enhancements; every page works without this file.
// No inline handlers anywhere, so a strict Content-Security-Policy stays possible.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("[data-autosubmit]") && el.form) el.form.requestSubmit();
});
