"""The browser extension (extension/, Manifest V3) loaded unpacked into Debian's Chromium
against a real `snapshelf serve`: configured with a token made in Settings, it tells
whether a tab's page is saved, completes tags from the API, saves the page with tags and
a note and follows its capture, and sends a logged-in page as the browser shows it.

Two things a headless run cannot do, and how the test stands in for them:
- click the toolbar button: the popup page is opened in a tab as popup.html?tab=<id>
  (the popup accepts the tab it works on);
- answer the permission prompt for the server's address (an optional host permission
  the options page asks for): the test's copy of the extension lists that host under
  host_permissions, which Chromium grants at load, so the options page's request is
  answered at once. That grant (127.0.0.1, every port) also covers the test pages,
  standing in for activeTab's grant on a toolbar click. Every file but manifest.json
  is the shipped one.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, PASSWORD, screenshot
from tests.webserver import Reply, instance_env

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "extension"
SNAPSHELF = Path(sys.executable).parent / "snapshelf"
ARTICLE = (
    "<title>Reading rooms of the city</title><article><h1>Reading rooms</h1>"
    + "<p>The central library opens three new reading rooms for quiet study this spring.</p>" * 6
    + "</article>"
)
SECRET = "Members only: the reading room committee meets on Thursday evening."


def members_only(req) -> Reply:
    if "member=1" in (req.headers.get("Cookie") or ""):
        body = f"<title>Committee</title><article><h1>Committee</h1>{('<p>' + SECRET + '</p>') * 5}"
    else:
        body = "<title>Log in</title><p>Please log in to read this page.</p>"
    return Reply.html(body)


def extension_id(path: Path) -> str:
    """Chromium's id for an unpacked extension: from the SHA-256 of its absolute path."""
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


@pytest.fixture
def served(tmp_path):
    """A running `snapshelf serve` on a free port with a user; yields its base URL."""
    env = instance_env(tmp_path / "data", SNAPSHELF_WORKERS="2")
    made = subprocess.run(
        [str(SNAPSHELF), "createuser", "maya", "--password", PASSWORD],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(SNAPSHELF), "serve", "--port", "0"], env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 60
        while not (m := re.search(r"running at (http://\S+?)/", log.read_text())):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield m.group(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def chromium_with_extension(browser, tmp_path):
    """A persistent Chromium profile with the test's copy of the extension loaded."""
    unpacked = tmp_path / "extension"
    shutil.copytree(EXTENSION, unpacked)
    manifest = json.loads((unpacked / "manifest.json").read_text())
    assert "host_permissions" not in manifest  # the shipped one asks at configuration
    manifest["host_permissions"] = ["http://127.0.0.1/*"]
    (unpacked / "manifest.json").write_text(json.dumps(manifest))
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=False,  # the flags below ask for the new headless mode, which runs extensions
        args=[
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--disable-extensions-except={unpacked}",
            f"--load-extension={unpacked}",
        ],
        ignore_default_args=["--disable-extensions"],
        locale="en-US",
        viewport={"width": 1000, "height": 800},
    )
    context.set_default_timeout(20_000)
    try:
        yield context, f"chrome-extension://{extension_id(unpacked)}"
    finally:
        context.close()


def api_get(base: str, token: str, path: str) -> dict:
    request = urllib.request.Request(
        base + "/api/v1" + path, headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def make_token(context, base: str) -> str:
    """Sign in and make a read-and-write token in Settings, as the README tells."""
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(base + "/settings/#tokens")
    page.fill("#token-name", "browser extension")
    page.select_option("#token-scope", "write")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("input.secret").input_value()
    assert secret.startswith("snap_")
    page.close()
    return secret


def open_popup_for(context, ext: str, options_page, url: str):
    """The popup page in a tab of its own, working on the tab that shows `url`."""
    tab_id = options_page.evaluate(
        "async url => (await chrome.tabs.query({})).find(t => t.url === url).id", url
    )
    popup = context.new_page()
    popup.goto(f"{ext}/popup.html?tab={tab_id}")
    return popup


def test_extension_saves_the_tab_with_tags_and_note(
    chromium_with_extension, served, fixture_server
):
    context, ext = chromium_with_extension
    fixture_server.route("/rooms", lambda req: Reply.html(ARTICLE))
    fixture_server.route("/committee", members_only)
    secret = make_token(context, served)

    # configure: server address and token; the options page checks them with /api/v1/me
    options = context.new_page()
    options.goto(f"{ext}/options.html")
    expect(options.locator("#options-status")).to_have_text("")
    options.fill("#server", served + "/settings/")  # any address on the server will do
    options.fill("#token", secret)
    options.click("#save-options")
    expect(options.locator("#options-status")).to_have_text(
        "Connected as maya (token “browser extension”)."
    )
    assert options.locator("#server").input_value() == served
    screenshot(options, "extension-options")

    # an existing tag, for the completion
    context.request.post(
        served + "/api/v1/links",
        data={"url": "https://example.org/elsewhere", "tags": ["reading-list"]},
        headers={"Authorization": f"Bearer {secret}"},
    )

    article_url = fixture_server.url("/rooms", host="127.0.0.1")
    site = context.new_page()
    site.goto(article_url)
    popup = open_popup_for(context, ext, options, article_url)
    expect(popup.locator("#page-title")).to_have_text("Reading rooms of the city")
    expect(popup.locator("#saved-status")).to_have_text("Not saved yet.")
    popup.locator("#tags").press_sequentially("libraries, read")
    expect(popup.locator("#tag-options option")).to_have_attribute(
        "value", "libraries, reading-list"
    )
    popup.fill("#tags", "libraries, reading-list")
    popup.fill("#note", "Ask about the *evening* hours.")
    popup.get_by_role("button", name="Save", exact=True).click()
    expect(popup.locator("#result")).to_contain_text("Saved with tags: libraries, reading-list.")
    # the popup follows the capture the server's worker runs
    expect(popup.locator("#saved-status")).to_have_text(
        "Saved; captured (version 1).", timeout=90_000
    )
    expect(popup.get_by_role("link", name="Open in Snapshelf")).to_have_attribute(
        "href", re.compile(re.escape(served) + r"/links/\d+/$")
    )
    screenshot(popup, "extension-popup-saved")

    found = api_get(served, secret, "/links?url=" + urllib.parse.quote(article_url))["items"]
    assert len(found) == 1
    link = found[0]
    assert link["tags"] == ["libraries", "reading-list"]
    assert link["note"] == "Ask about the *evening* hours."
    assert link["title"] == "Reading rooms of the city"
    assert link["snapshot"]["status"] == "done"

    # opened again on the same page, the popup says it is saved and shows its tags
    popup.close()
    popup = open_popup_for(context, ext, options, article_url)
    expect(popup.locator("#saved-status")).to_contain_text("Already saved on")
    expect(popup.locator("#saved-status")).to_contain_text("captured (version 1)")
    expect(popup.locator("#tags")).to_have_value("libraries, reading-list")
    popup.close()

    # a page behind a log-in: sent as the browser shows it
    members_url = fixture_server.url("/committee", host="127.0.0.1")
    context.add_cookies([{"name": "member", "value": "1", "url": members_url}])
    site.goto(members_url)
    expect(site.locator("article")).to_contain_text(SECRET)
    popup = open_popup_for(context, ext, options, members_url)
    expect(popup.locator("#saved-status")).to_have_text("Not saved yet.")
    popup.fill("#tags", "committee")
    popup.fill("#note", "as I saw it")
    popup.get_by_role("button", name="Save page as shown").click()
    expect(popup.locator("#result")).to_contain_text("Saved with tags: committee.")
    expect(popup.locator("#saved-status")).to_have_text(
        "Saved; captured (version 1).", timeout=90_000
    )
    link = api_get(served, secret, "/links?url=" + urllib.parse.quote(members_url))["items"][0]
    assert link["tags"] == ["committee"] and link["note"] == "as I saw it"
    snap = api_get(served, secret, f"/snapshots/{link['snapshot']['id']}")
    assert snap["mode"] == "upload" and snap["status"] == "done"
    text = api_get_text(served, secret, f"/snapshots/{snap['id']}/artefacts/text")
    assert SECRET in text and "Please log in" not in text


def api_get_text(base: str, token: str, path: str) -> str:
    request = urllib.request.Request(
        base + "/api/v1" + path, headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode("utf-8")


def test_every_message_the_extension_shows_is_in_english_and_chinese():
    """_locales/en and zh_CN hold the same messages with the same placeholders, and every
    key the pages and scripts ask for (t("key"), data-i18n, __MSG_key__) is there."""
    locales = {
        lang: json.loads((EXTENSION / "_locales" / lang / "messages.json").read_text())
        for lang in ("en", "zh_CN")
    }
    assert locales["en"].keys() == locales["zh_CN"].keys()
    for key, entry in locales["en"].items():
        theirs = locales["zh_CN"][key]
        assert entry.get("placeholders", {}).keys() == theirs.get("placeholders", {}).keys(), key
        for name in entry.get("placeholders", {}):
            assert (
                f"${name.upper()}$" in entry["message"] and f"${name.upper()}$" in theirs["message"]
            )
    used = set()
    for path in EXTENSION.glob("*.js"):
        used |= set(re.findall(r'\bt\("(\w+)"', path.read_text()))
    for path in EXTENSION.glob("*.html"):
        used |= set(re.findall(r'data-i18n(?:-title)?="(\w+)"', path.read_text()))
    used |= set(re.findall(r"__MSG_(\w+)__", (EXTENSION / "manifest.json").read_text()))
    assert len(used) > 30 and used <= locales["en"].keys(), used - locales["en"].keys()
