// The options page: the server's address and a personal API token. Saving asks for
// access to that server's host only (an optional host permission), then checks the
// token with GET /api/v1/me.
"use strict";

const $ = (id) => document.getElementById(id);

function status(text, kind) {
  const el = $("options-status");
  el.textContent = text;
  el.classList.toggle("error", kind === "error");
  el.classList.toggle("ok", kind === "ok");
}

async function fill() {
  const config = await loadConfig();
  if (config.server) $("server").value = config.server;
  if (config.token) $("token").value = config.token;
  if (config.server && config.token) check(config);
}

async function check(config) {
  try {
    const me = await api(config, "GET", "/me");
    const scope = me.token ? me.token.scope : "";
    const name = me.token ? me.token.name : "";
    if (scope === "read") {
      status(t("readOnlyToken", me.username, name), "error");
    } else {
      status(t("connected", me.username, name), "ok");
    }
  } catch (error) {
    status(error.code === "unauthorized" ? t("tokenRefused") : error.message, "error");
  }
}

$("options-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const origin = serverOrigin($("server").value);
  const token = $("token").value.trim();
  if (!origin) {
    status(t("badAddress"), "error");
    return;
  }
  // permissions.request must be called straight from the click (a user gesture).
  ext.permissions.request({ origins: [originPattern(origin)] }).then(
    async (granted) => {
      if (!granted) {
        status(t("noPermission"), "error");
        return;
      }
      const old = await loadConfig();
      if (old.server && old.server !== origin && originPattern(old.server) !== originPattern(origin)) {
        await ext.permissions.remove({ origins: [originPattern(old.server)] }).catch(() => {});
      }
      await ext.storage.local.set({ server: origin, token });
      $("server").value = origin;
      status(t("savedChecking"));
      await check({ server: origin, token });
    },
    (error) => status(error.message, "error"),
  );
});

$("forget").addEventListener("click", async () => {
  const old = await loadConfig();
  await ext.storage.local.remove(["server", "token"]);
  if (old.server) await ext.permissions.remove({ origins: [originPattern(old.server)] }).catch(() => {});
  $("server").value = "";
  $("token").value = "";
  status(t("forgotten"));
});

localize();
fill();
