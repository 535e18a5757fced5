"""Browser capture through real headless Chromium behind the egress proxy.

One BrowserService per module (Chromium starts once); the fixture server serves the
script-rendered pages of tests/capture/fixtures_js.py.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from pathlib import Path

import pypdf
import pytest

from snapshelf.capture.browser import (
    ARTEFACT_CAP,
    BrowserFailed,
    BrowserService,
    capture_browser,
)
from snapshelf.capture.browser_check import browser_available, find_browser
from snapshelf.capture.browser_service import group_pids
from snapshelf.capture.static import Limits, capture_static
from snapshelf.errors import Blocked
from snapshelf.net import Fetcher
from tests.capture.fixtures_js import (
    CJK_TEXT,
    FETCH_MARK,
    INFINITE_CAP,
    INFINITE_MARK,
    JS_PAGES,
    LAZY_COUNT,
    TEMPLATE_MARK,
    mount_js_pages,
    png,
    png_size,
)
from tests.paths import CORPORA
from tests.webserver import Reply, make_test_guard

ROOT = Path(__file__).resolve().parents[2]
TRAFILATURA_EVAL = CORPORA / "trafilatura-eval" / "eval"
LIMITS = Limits(deadline=30)


@pytest.fixture(scope="module", autouse=True)
def browser_on():
    """tests/settings.py turns the browser off for the rest of the suite; on here. A
    missing Chromium is a failure, not a skip: `make setup` installs it."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SNAPSHELF_BROWSER", "auto")
    ok, why = browser_available(refresh=True)
    if not ok:
        pytest.fail(f"no usable browser ({why}): run `make setup`")
    yield
    mp.undo()
    browser_available(refresh=True)


@pytest.fixture(scope="module")
def service():
    guard = make_test_guard()
    with BrowserService(guard=guard, max_pages=4) as svc:
        yield svc


@pytest.fixture(scope="module")
def fetcher():
    with Fetcher(make_test_guard()) as f:
        yield f


@pytest.fixture
def js_server(fixture_server):
    mount_js_pages(fixture_server)
    return fixture_server


def browse(server, path, service, fetcher, limits=LIMITS):
    return capture_browser(server.url(path), limits, fetcher=fetcher, service=service)


def processes_mentioning(marker: str) -> list[int]:
    """PIDs (not zombies) whose command line contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry))
    return found


@pytest.fixture
def profile_dir():
    """A directory for a browser profile in TMPDIR: pytest's tmp_path sits under a 0700
    directory that the browser's user (a root worker drops to one) cannot enter."""
    path = Path(tempfile.mkdtemp(prefix="snapshelf-test-browser-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def gone(listing, timeout: float = 5.0) -> bool:
    """Whether ``listing()`` becomes empty within ``timeout`` (dying processes take a moment)."""
    end = time.monotonic() + timeout
    while listing():
        if time.monotonic() > end:
            return False
        time.sleep(0.1)
    return True


# -- rendering --------------------------------------------------------------------


@pytest.mark.parametrize("path", JS_PAGES)
def test_static_capture_finds_almost_nothing(js_server, fetcher, path):
    result = capture_static(js_server.url(path), fetcher, LIMITS)
    assert result.document.extracted.word_count < 20
    for mark in (TEMPLATE_MARK, FETCH_MARK, INFINITE_MARK):
        assert mark not in result.document.extracted.text


@pytest.mark.parametrize(
    ("path", "mark"), [("/js/template", TEMPLATE_MARK), ("/js/fetch", FETCH_MARK)]
)
def test_browser_capture_gets_rendered_text_without_scripts(
    js_server, service, fetcher, path, mark
):
    result = browse(js_server, path, service, fetcher)
    assert mark in result.document.extracted.text
    assert result.document.extracted.word_count > 50
    assert result.document.kind == "html" and result.document.charset == "utf-8"
    assert mark in result.replay_html
    assert "<script" not in result.replay_html.lower()
    assert result.mode == "browser"


def test_browser_responses_are_reused_not_downloaded_again(js_server, service, fetcher):
    browse(js_server, "/js/lazy", service, fetcher)
    paths = js_server.paths()
    for i in range(LAZY_COUNT):
        assert paths.count(f"/js/img/lazy{i}.png") == 1, paths


def test_lazy_images_become_stored_resources(js_server, service, fetcher):
    static = capture_static(js_server.url("/js/lazy"), fetcher, LIMITS)
    assert not [r for r in static.resources if "/js/img/lazy" in r.url]

    result = browse(js_server, "/js/lazy", service, fetcher)
    stored = {r.url.rsplit("/", 1)[1]: r for r in result.resources if "/js/img/lazy" in r.url}
    assert sorted(stored) == [f"lazy{i}.png" for i in range(LAZY_COUNT)]
    colours = [(200, 30, 30), (30, 160, 40), (20, 60, 200)]
    for i in range(LAZY_COUNT):
        resource = stored[f"lazy{i}.png"]
        assert resource.status == 200 and resource.key
        assert resource.original == png(200, 100, colours[i])
        assert resource.key in result.replay_html  # the replay points at the stored copy
    assert "<script" not in result.replay_html.lower()


def test_infinite_scroll_is_followed_and_cut_off(js_server, service, fetcher):
    result = browse(js_server, "/js/infinite", service, fetcher)
    text = result.document.extracted.text
    assert f"{INFINITE_MARK} 25." in text  # more than the first batch of ten
    assert f"{INFINITE_MARK} {INFINITE_CAP}." not in text  # the capture stopped first
    full_w, full_h = png_size(result.artefacts["screenshot_full"])
    assert full_w == 1280 and 900 < full_h <= 10_000
    # only the full page is stored: no viewport shot is taken to be thrown away
    assert "screenshot" not in result.artefacts


def test_dialogs_and_popups_do_not_block(js_server, service, fetcher):
    page = (
        "<!doctype html><title>naggy</title><div id=out></div><script>"
        "alert('hello'); confirm('sure?'); prompt('name?');"
        "window.open('/js/template'); window.open('/js/fetch', '_blank');"
        f"document.getElementById('out').textContent = {TEMPLATE_MARK!r};"
        "</script>"
    )
    js_server.route("/naggy", lambda req: Reply.html(page))
    started = time.monotonic()
    result = browse(js_server, "/naggy", service, fetcher)
    assert TEMPLATE_MARK in result.document.extracted.text
    assert time.monotonic() - started < 15


# -- artefacts ----------------------------------------------------------------------


def test_screenshots_and_pdf(js_server, service, fetcher):
    result = browse(js_server, "/js/template", service, fetcher)
    blank = browse(js_server, "/js/blank", service, fetcher)
    shot, full, pdf = (result.artefacts[k] for k in ("screenshot", "screenshot_full", "pdf"))
    assert png_size(shot) == (1280, 900)
    width, height = png_size(full)
    assert width == 1280 and 900 <= height <= 10_000
    # a page full of text compresses far worse than the same-sized empty page
    assert len(shot) > 3 * len(blank.artefacts["screenshot"])
    assert pdf.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    assert "Zephyrine" in "".join(p.extract_text() for p in reader.pages)


def _fonts_and_glyphs(pdf: bytes) -> tuple[set[str], set[str]]:
    """Font names (from the font descriptors) and glyph names a PDF draws with."""
    names, glyphs = set(), set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None:
                names.add(str(descriptor.get_object().get("/FontName")))
            names.add(str(font.get("/BaseFont")))
            glyphs.update(str(g) for g in font.get("/CharProcs", {}))
    return names, glyphs


def test_chinese_page_renders_cjk_glyphs(js_server, service, fetcher):
    cjk = browse(js_server, "/js/cjk", service, fetcher)
    blank = browse(js_server, "/js/blank", service, fetcher)
    assert CJK_TEXT in cjk.document.extracted.text
    cjk_shot, blank_shot = cjk.artefacts["screenshot"], blank.artefacts["screenshot"]
    assert png_size(cjk_shot) == png_size(blank_shot)
    assert len(cjk_shot) > len(blank_shot) + 3000  # four 160px glyphs drawn, not nothing
    # and drawn with a real CJK font (tofu boxes would come from no font at all)
    names, glyphs = _fonts_and_glyphs(cjk.artefacts["pdf"])
    assert "CJK" in " ".join(names), names
    assert glyphs - {"/g0"}, glyphs  # real glyphs, not only .notdef boxes
    pdf_text = "".join(
        p.extract_text() for p in pypdf.PdfReader(io.BytesIO(cjk.artefacts["pdf"])).pages
    )
    assert CJK_TEXT in unicodedata.normalize("NFKC", pdf_text)  # 文 maps to the radical ⽂


# -- egress -------------------------------------------------------------------------


def test_page_cannot_reach_the_canary(js_server, canary_server, service, fetcher):
    canary = f"http://127.0.0.2:{canary_server.port}"
    page = f"""<!doctype html><title>hostile</title><p>{TEMPLATE_MARK}</p>
<img src="{canary}/img"><iframe src="{canary}/frame"></iframe>
<img src="/to-canary">
<script>
fetch("{canary}/fetch").catch(() => {{}});
try {{ new WebSocket("ws://127.0.0.2:{canary_server.port}/ws"); }} catch (e) {{}}
navigator.sendBeacon("{canary}/beacon", "x");
</script>"""
    js_server.route("/hostile", lambda req: Reply.html(page))
    js_server.route("/to-canary", lambda req: Reply.redirect(canary + "/redirected"))
    result = browse(js_server, "/hostile", service, fetcher)
    time.sleep(0.5)
    assert TEMPLATE_MARK in result.document.extracted.text
    assert "/to-canary" in js_server.paths()
    assert canary_server.requests == []
    assert canary_server.connections == 0
    refused = " ".join(r.target for r in service.proxy.refusals)
    for attempt in ("/img", "/frame", "/fetch", "/redirected"):
        assert attempt in refused, (attempt, refused)


def test_forbidden_top_level_url_is_blocked(canary_server, service, fetcher):
    with pytest.raises(Blocked):
        capture_browser(canary_server.url("/"), LIMITS, fetcher=fetcher, service=service)
    assert canary_server.requests == []


# -- failure and recovery -------------------------------------------------------------


def test_killed_browser_fails_the_capture_and_the_next_one_succeeds(js_server, service, fetcher):
    js_server.route(
        "/slow", lambda req: Reply(200, {"Content-Type": "text/html"}, b"<p>late</p>", delay=20)
    )
    browse(js_server, "/js/template", service, fetcher)  # make sure a browser runs
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(browse(js_server, "/slow", service, fetcher))
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)

    thread = threading.Thread(target=run)
    started = time.monotonic()
    thread.start()
    while "/slow" not in js_server.paths() and time.monotonic() - started < 10:
        time.sleep(0.05)
    assert "/slow" in js_server.paths()
    pgid = service.pgid
    assert pgid is not None
    os.killpg(pgid, signal.SIGKILL)
    thread.join(30)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], BrowserFailed), outcome
    assert outcome[0].code == "browser"
    assert time.monotonic() - started < 15  # failed promptly, not at the deadline

    launches = service.launches
    result = browse(js_server, "/js/template", service, fetcher)
    assert TEMPLATE_MARK in result.document.extracted.text
    assert service.launches == launches + 1
    assert service.pgid != pgid
    assert gone(lambda: group_pids(pgid))


@pytest.mark.slow
def test_hung_browser_fails_the_capture_and_is_replaced(js_server, fetcher, profile_dir):
    with BrowserService(
        guard=make_test_guard(), grace=2, profile_root=profile_dir / "hung-profile"
    ) as svc:
        browse(js_server, "/js/template", svc, fetcher)
        pgid = svc.pgid
        os.killpg(pgid, signal.SIGSTOP)  # frozen: answers nothing, never exits
        started = time.monotonic()
        with pytest.raises(BrowserFailed) as failed:
            browse(js_server, "/js/fetch", svc, fetcher, Limits(deadline=3))
        assert failed.value.code == "browser"
        assert time.monotonic() - started < 10
        result = browse(js_server, "/js/template", svc, fetcher)
        assert TEMPLATE_MARK in result.document.extracted.text
        assert svc.pgid != pgid
        assert gone(lambda: group_pids(pgid))


@pytest.mark.slow
def test_browser_is_restarted_after_n_captures_and_stop_leaves_nothing(
    js_server, fetcher, profile_dir
):
    profile = profile_dir / "restart-profile"
    with BrowserService(guard=make_test_guard(), restart_after=2, profile_root=profile) as svc:
        groups = set()
        for _ in range(5):
            result = browse(js_server, "/js/template", svc, fetcher)
            assert TEMPLATE_MARK in result.document.extracted.text
            groups.add(svc.pgid)
        assert svc.launches == 3 and len(groups) == 3
        assert processes_mentioning(str(profile))
    assert gone(lambda: processes_mentioning(str(profile)))
    assert gone(lambda: [p for g in groups for p in group_pids(g)])


def test_a_capture_context_opens_no_browser_ui_pages(js_server, service):
    """Headless Chromium builds each window's omnibox popup as WebUI pages, each in a
    renderer of its own: a third of a context's cost, for a popup nobody opens."""

    async def targets(session):
        async with session() as context:
            page = await context.new_page()
            await page.goto(js_server.url("/js/blank"))
            cdp = await context.browser.new_browser_cdp_session()
            found = await cdp.send("Target.getTargets")
            await cdp.detach()
            return [(t["type"], t["url"]) for t in found["targetInfos"]]

    found = service.run(targets, timeout=30)
    assert ("page", js_server.url("/js/blank")) in found
    assert [t for t in found if t[0] != "page"] == []


def test_concurrent_captures_share_one_browser(js_server, service, fetcher):
    from concurrent.futures import ThreadPoolExecutor

    browse(js_server, "/js/template", service, fetcher)  # running (this test may be first)
    launches = service.launches
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda p: browse(js_server, p, service, fetcher), JS_PAGES * 2))
    assert all(r.document.extracted.word_count > 50 for r in results)
    assert service.launches == launches


# -- process hygiene ----------------------------------------------------------------------

_CHILD = """
import sys, time
from snapshelf.capture.browser import BrowserService, capture_browser
from snapshelf.capture.static import Limits
from snapshelf.net import Fetcher
from tests.capture.fixtures_js import mount_js_pages
from tests.webserver import make_test_guard, start_fixture_server

server = start_fixture_server()
mount_js_pages(server)
service = BrowserService(guard=make_test_guard(), profile_root=sys.argv[1]).start()
with Fetcher(make_test_guard()) as fetcher:
    result = capture_browser(server.url("/js/template"), Limits(deadline=30),
                             fetcher=fetcher, service=service)
print("captured", result.document.extracted.word_count, service.pgid, flush=True)
time.sleep(600)
"""


@pytest.mark.slow
def test_no_chromium_survives_sigkill_of_the_worker(profile_dir):
    profile = profile_dir / "hygiene-profile-unique"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(profile)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.startswith("captured"), line
        pgid = int(line.split()[2])
        assert processes_mentioning(str(profile))  # Chromium is running under that profile
        assert group_pids(pgid)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        assert gone(lambda: processes_mentioning(str(profile)) + group_pids(pgid))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


# -- detection ----------------------------------------------------------------------------


def test_find_browser_honours_the_setting(tmp_path):
    assert find_browser("off") == (None, "browser capture is disabled (SNAPSHELF_BROWSER=off)")
    missing, message = find_browser(str(tmp_path / "nope"))
    assert missing is None and "not an executable" in message
    found, _ = find_browser("auto")
    assert found and Path(found).exists()


def test_browser_available_says_why_not(monkeypatch):
    monkeypatch.setenv("SNAPSHELF_BROWSER", "off")
    try:
        assert browser_available(refresh=True) == (
            False,
            "browser capture is disabled (SNAPSHELF_BROWSER=off)",
        )
    finally:
        monkeypatch.undo()
        assert browser_available(refresh=True)[0] is True


def test_chromium_leaves_no_temporary_files(js_server, fetcher, profile_dir):
    """Chromium's singleton socket lives in a directory of TMPDIR that it never removes:
    with the system's /tmp, every launch would leave one behind."""
    with BrowserService(guard=make_test_guard(), profile_root=profile_dir / "profile") as svc:
        browse(js_server, "/js/template", svc, fetcher)
        environ = Path(f"/proc/{svc.pgid}/environ").read_bytes().split(b"\0")
        tmpdir = Path(next(v for v in environ if v.startswith(b"TMPDIR=")).decode()[7:])
        assert tmpdir != Path(tempfile.gettempdir())
        assert list(tmpdir.glob("org.chromium.Chromium.*"))  # what it leaves there
    assert not tmpdir.exists()


def test_a_rendered_page_keeps_none_of_its_noscript_content(fixture_server, service, fetcher):
    """The live page ran its scripts and never showed its <noscript> notices; the
    archived copy, served without scripts, must not show them either (issue 21.4)."""
    page = (
        "<!doctype html><html><head><title>Rendered</title>"
        "<noscript><style>.app{display:none}</style></noscript></head><body>"
        "<noscript><p>Please enable JavaScript to use this app.</p>"
        '<img src="/pixel.gif"></noscript><div class="app" id="app"></div>'
        "<script>document.getElementById('app').textContent = "
        "'Rendered by script: ' + 'words '.repeat(60);</script></body></html>"
    )
    fixture_server.route("/ns", lambda req: Reply.html(page))
    result = browse(fixture_server, "/ns", service, fetcher)
    assert "Rendered by script" in result.document.extracted.text
    assert "enable JavaScript" not in result.replay_html
    assert "<noscript" not in result.replay_html.lower()
    assert ".app{display:none}" not in result.replay_html  # the app would be hidden


def test_a_pdf_that_never_finishes_does_not_cost_the_rendering(
    fixture_server, service, fetcher, monkeypatch
):
    """Chromium's printing hangs for good on some real pages (this one, from the
    trafilatura evaluation set, on Chromium 156), and Playwright's ``pdf()`` has no
    timeout: the capture used to wait for the service's own timeout and lose the whole
    rendering. Each artefact is bounded now; the rendering and screenshots are kept."""
    page = TRAFILATURA_EVAL / "orsted.de.gruener-Wasserstoff.html.gz"
    body = gzip.decompress(page.read_bytes())
    fixture_server.route(
        "/orsted", lambda req: Reply(200, {"Content-Type": "text/html; charset=utf-8"}, body)
    )
    monkeypatch.setitem(ARTEFACT_CAP, "pdf", 3.0)
    result = browse(fixture_server, "/orsted", service, fetcher)
    assert result.mode == "browser"
    assert "Wasserstoff" in result.document.extracted.text
    assert result.artefacts["screenshot_full"].startswith(b"\x89PNG")
    assert result.artefacts.get("pdf", b"%PDF").startswith(b"%PDF")  # when it does finish
