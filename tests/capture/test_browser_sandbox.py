"""The browser's sandbox (issue 23.2): Chromium runs with its own sandbox on, as an
unprivileged user, in a network namespace whose only way out is the egress proxy.

The backstop is checked the hard way: the browser is launched with its proxy setting
dropped, as a compromised browser could ignore it, and a page then tries to reach canary
servers on 127.0.0.1 and 127.0.0.2 directly. Sandboxed, nothing arrives; the same launch
without the sandbox reaches the canary (so the check can fail). Normal captures, through
the proxy, still work.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from snapshelf.capture import sandbox as sandboxing
from snapshelf.capture.browser import BrowserFailed, BrowserService, capture_browser
from snapshelf.capture.browser_check import browser_available
from snapshelf.capture.browser_service import group_pids
from snapshelf.capture.static import Limits
from snapshelf.net import Fetcher
from tests.capture.fixtures_js import TEMPLATE_MARK, mount_js_pages
from tests.webserver import FixtureServer, canary_reply, instance_env, make_test_guard


@pytest.fixture(scope="module", autouse=True)
def browser_on():
    mp = pytest.MonkeyPatch()
    mp.setenv("SNAPSHELF_BROWSER", "auto")
    ok, why = browser_available(refresh=True)
    if not ok:
        pytest.fail(f"no usable browser ({why}): run `make setup`")
    yield
    mp.undo()
    browser_available(refresh=True)


@pytest.fixture(scope="module")
def sandbox() -> sandboxing.Sandbox:
    """This machine allows user namespaces (`unshare -Urn true` works): the sandbox must
    be built here; a failure says why not."""
    found = sandboxing.detect(refresh=True)
    assert found.active, found.describe()
    return found


@pytest.fixture(scope="module")
def service(sandbox):
    with BrowserService(guard=make_test_guard(), max_pages=2) as svc:
        yield svc


@pytest.fixture
def loopback_canary():
    """A canary on 127.0.0.1 itself, the address the fixture servers use."""
    with FixtureServer("127.0.0.1", default_host="127.0.0.1", fallback=canary_reply) as server:
        yield server


class ProxyDropped(BrowserService):
    """A browser that ignores its proxy setting, as a compromised one could."""

    def _browser_args(self) -> list[str]:
        return [a for a in super()._browser_args() if not a.startswith("--proxy")]


def _group_processes(pgid: int) -> list[tuple[int, str]]:
    out = []
    for pid in group_pids(pgid):
        with contextlib.suppress(OSError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            out.append((pid, cmdline))
    return out


def _status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


async def _sandbox_page(session) -> str:
    async with session() as context:
        page = await context.new_page()
        await page.goto("chrome://sandbox")
        await page.wait_for_selector("text=Seccomp-BPF sandbox")
        return await page.inner_text("body")


def test_chromium_reports_its_own_sandbox_on(service):
    text = service.run(_sandbox_page, 60)
    assert "You are adequately sandboxed." in text, text
    for line in (
        "Layer 1 Sandbox\tNamespace",
        "Network namespaces\tYes",
        "Seccomp-BPF sandbox\tYes",
    ):
        assert line in text, text


def test_renderers_run_in_their_own_namespaces_under_seccomp(service, js_server, fetcher):
    capture_browser(
        js_server.url("/js/template"), Limits(deadline=30), fetcher=fetcher, service=service
    )
    processes = _group_processes(service.pgid)
    assert processes and not any("--no-sandbox" in cmd for _, cmd in processes)
    browser_pid = service.pgid
    renderers = [pid for pid, cmd in processes if "--type=renderer" in cmd]
    assert renderers, processes
    mine = {ns: os.readlink(f"/proc/self/ns/{ns}") for ns in ("net", "user")}
    browser_ns = {ns: os.readlink(f"/proc/{browser_pid}/ns/{ns}") for ns in ("net", "user")}
    # the browser itself: not root, in a network namespace of its own
    assert browser_ns["net"] != mine["net"] and browser_ns["user"] != mine["user"]
    assert _status(browser_pid)["Uid"].split()[0] != "0"
    checked = 0
    for pid in renderers:
        try:  # the capture's own renderer may be exiting now that its page closed
            status = _status(pid)
            renderer_net = os.readlink(f"/proc/{pid}/ns/net")
        except OSError:
            continue
        assert status["Seccomp"] == "2", (pid, status["Seccomp"])  # seccomp-bpf filter
        assert status["Uid"].split()[0] != "0"
        assert renderer_net not in (mine["net"], browser_ns["net"])
        checked += 1
    assert checked, renderers  # at least one renderer was alive to be looked at


def _hostile_page(canaries: list[str]) -> str:
    tags = "".join(
        f'<img src="{c}/img"><iframe src="{c}/frame"></iframe>'
        f'<link rel="stylesheet" href="{c}/css">'
        for c in canaries
    )
    calls = "".join(
        f'fetch("{c}/fetch", {{mode: "no-cors"}}).catch(() => {{}});'
        f'try {{ new WebSocket("{c.replace("http", "ws")}/ws"); }} catch (e) {{}}'
        f'navigator.sendBeacon("{c}/beacon", "x");'
        for c in canaries
    )
    return f"<!doctype html><title>hostile</title>{tags}<script>{calls}</script>"


async def _try_everything(session, canaries: list[str]) -> list[str]:
    """Navigate to each canary, then load a page that tries every other way; the
    navigation errors (if any) come back."""
    errors = []
    async with session() as context:
        page = await context.new_page()
        for canary in canaries:
            try:
                await page.goto(canary + "/navigate", timeout=10_000)
            except Exception as exc:  # noqa: BLE001 - the refusal is what we expect
                errors.append(str(exc).splitlines()[0])
        # a fresh page: the first may still be loading a refused navigation's error page
        page = await context.new_page()
        await page.set_content(_hostile_page(canaries))
        await page.wait_for_timeout(1500)  # let fetch, the socket and the beacon try
    return errors


def _canaries(loopback, other) -> list[str]:
    return [f"http://127.0.0.1:{loopback.port}", f"http://127.0.0.2:{other.port}"]


@pytest.fixture
def profile_root():
    # in TMPDIR, not pytest's tmp_path: a root worker's browser user must reach it
    path = Path(tempfile.mkdtemp(prefix="snapshelf-test-browser-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)  # the service removes it; a failed start not


def test_without_its_proxy_setting_the_sandboxed_browser_reaches_nothing(
    sandbox, loopback_canary, canary_server, profile_root, monkeypatch
):
    canaries = _canaries(loopback_canary, canary_server)
    monkeypatch.setenv("SNAPSHELF_SECRET_KEY", "canary-secret-key")
    with ProxyDropped(guard=make_test_guard(), profile_root=profile_root) as svc:
        assert not any(a.startswith("--proxy") for a in svc._browser_args())
        errors = svc.run(lambda session: _try_everything(session, canaries), 90)
        # nor does the browser hold the worker's secrets in its environment
        environ = Path(f"/proc/{svc.pgid}/environ").read_bytes()
        assert b"TMPDIR=" in environ and b"canary-secret-key" not in environ
    assert loopback_canary.requests == [] and loopback_canary.connections == 0
    assert canary_server.requests == [] and canary_server.connections == 0
    assert len(errors) == 2, errors  # both navigations failed (refused, or timed out)


def test_the_same_launch_unsandboxed_does_reach_the_canary(loopback_canary, profile_root):
    """The control: what the namespace stops is real (the old behaviour)."""
    canaries = [f"http://127.0.0.1:{loopback_canary.port}"]
    unsandboxed = sandboxing.Sandbox(sandboxing.NONE, "the control")
    with ProxyDropped(
        guard=make_test_guard(), profile_root=profile_root, sandbox=unsandboxed
    ) as svc:
        svc.run(lambda session: _try_everything(session, canaries), 90)
    assert ("127.0.0.1", "/navigate") in [(h.split(":")[0], p) for h, p in loopback_canary.requests]


@pytest.fixture
def js_server(fixture_server):
    mount_js_pages(fixture_server)
    return fixture_server


@pytest.fixture(scope="module")
def fetcher():
    with Fetcher(make_test_guard()) as f:
        yield f


def test_captures_through_the_proxy_still_work_sandboxed(service, js_server, fetcher):
    assert service.sandbox is not None and service.sandbox.active
    result = capture_browser(
        js_server.url("/js/template"), Limits(deadline=30), fetcher=fetcher, service=service
    )
    assert TEMPLATE_MARK in result.document.extracted.text
    assert "/js/template" in js_server.paths()
    assert result.artefacts.get("screenshot", b"").startswith(b"\x89PNG")


def test_a_browser_user_that_cannot_reach_the_profile_is_a_clear_error(profile_root):
    locked = profile_root / "locked"
    locked.mkdir(mode=0o700)
    profile_root.chmod(0o711)  # mkdtemp's 0700 would be the first refusal
    assert sandboxing.unreachable_ancestor(locked / "profile", 65534, 65534) == locked
    assert sandboxing.unreachable_ancestor(Path(tempfile.gettempdir()), 65534, 65534) is None
    as_nobody = sandboxing.Sandbox(sandboxing.NAMESPACES, "test", uid=65534, gid=65534)
    service = BrowserService(
        guard=make_test_guard(), profile_root=locked / "profile", sandbox=as_nobody
    )
    with pytest.raises(BrowserFailed, match=f"cannot enter {locked}"):
        service.start()


def test_the_sandbox_is_described_for_status_and_logs(sandbox):
    assert sandbox.describe().startswith("sandboxed")
    off = sandboxing.Sandbox(sandboxing.NONE, "user namespaces are disabled")
    assert "NOT sandboxed (user namespaces are disabled)" in off.describe()
    assert "--no-sandbox" in off.describe()


def test_status_says_whether_the_browser_is_sandboxed(sandbox, tmp_path):
    snapshelf = Path(sys.executable).parent / "snapshelf"
    env = instance_env(tmp_path / "data", SNAPSHELF_BROWSER="auto")
    subprocess.run([str(snapshelf), "init"], env=env, check=True, capture_output=True)
    done = subprocess.run(
        [str(snapshelf), "status", "--json"], env=env, capture_output=True, text=True, check=True
    )
    browser = json.loads(done.stdout)["browser"]
    assert browser.startswith("available") and "sandboxed" in browser, browser
    assert "NOT sandboxed" not in browser
    human = subprocess.run(
        [str(snapshelf), "status"], env=env, capture_output=True, text=True, check=True
    )
    assert f"browser capture: {browser}" in " ".join(human.stdout.split())
