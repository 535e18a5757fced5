"""Highlights in the reader, in Chromium (issue 22.1): a selection highlighted with the
keyboard, a note added in the editor, still there after a reload, followed to a new
version whose text moved, reported orphaned when the text is gone; found by search;
someone else gets a 404."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Link, Snapshot
from snapshelf.library.records import add_link
from snapshelf.reading.models import Highlight
from snapshelf.services.links import snapshot_again
from tests.e2e.conftest import log_in, make_user, screenshot
from tests.library.helpers import capture
from tests.reading.pages import PASSAGE, V1, V2, V3
from tests.webserver import Reply

pytestmark = pytest.mark.django_db(transaction=True)

SELECT = """(passage) => {
  const reader = document.querySelector("article.reader");
  const walker = document.createTreeWalker(reader, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const at = n.data.indexOf(passage);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(n, at);
      range.setEnd(n, at + passage.length);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      return true;
    }
  }
  return false;
}"""


def serve(server, html: str) -> str:
    server.route("/tomatoes", lambda r: Reply.html(html))
    return server.url("/tomatoes")


def new_version(user, link_id: int, server, html: str) -> None:
    serve(server, html)
    snap = snapshot_again(user, Link.objects.get(pk=link_id), force=True, limited=False)
    assert run_capture(snap.pk).snapshot.status == "done"


def highlight(page, passage: str) -> None:
    """Select `passage` in the reader and press h, as a reader would."""
    assert page.evaluate(SELECT, passage), passage
    page.locator("body").press("h")


def test_highlight_note_reload_new_versions(page, browser, fixture_server):
    user = make_user("hana")
    snap = capture(user, serve(fixture_server, V1))
    assert snap.status == "done", snap.error
    link_url = page.base_url + f"/links/{snap.link_id}/"
    log_in(page, "hana")
    page.goto(link_url)

    # highlight in green with the keyboard: colour, selection, h
    page.locator(".highlight-bar input[value=green]").check()
    highlight(page, PASSAGE)
    mark = page.locator("article.reader mark.hl")
    expect(mark).to_have_text(PASSAGE)
    expect(mark).to_have_class(re.compile(r"\bhl-green\b"))
    h = Highlight.objects.get()
    assert (h.exact, h.color, h.snapshot_id) == (PASSAGE, "green", snap.pk)

    # the mark is focusable; Enter opens the editor; a note is kept
    expect(mark).to_be_focused()
    page.keyboard.press("Enter")
    editor = page.locator("#hl-editor")
    expect(editor).to_be_visible()
    expect(page.locator("#hl-note")).to_be_focused()
    page.keyboard.type("Soft under the thumb means ripe")
    editor.locator("input[value=pink]").check()
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_be_hidden()
    expect(page.locator("#highlight-list .hl-note")).to_have_text("Soft under the thumb means ripe")
    screenshot(page, "highlights-made")

    # after a reload: painted again, in its colour, with its note in the list
    page.reload()
    expect(mark).to_have_text(PASSAGE)
    expect(mark).to_have_class(re.compile(r"\bhl-pink\b"))
    expect(page.locator("#highlight-list li")).to_have_count(1)
    expect(page.locator("#highlight-list")).to_contain_text("Soft under the thumb")

    # a second version: the paragraph moved to the end and its markup re-flowed
    new_version(user, snap.link_id, fixture_server, V2)
    page.reload()
    expect(page.locator("article.reader")).to_contain_text("Good soil matters")
    expect(mark).to_have_count(1)
    assert " ".join(mark.inner_text().split()) == PASSAGE
    expect(page.locator("#highlight-list .chip.orphaned")).to_have_count(0)
    h.refresh_from_db()
    assert not h.orphaned and h.anchored_id != snap.pk

    # a third version without the paragraph: orphaned, and said so
    new_version(user, snap.link_id, fixture_server, V3)
    page.reload()
    expect(page.locator("article.reader mark.hl")).to_have_count(0)
    item = page.locator("#highlight-list li")
    expect(item.locator(".chip.orphaned")).to_contain_text("orphaned")
    screenshot(page, "highlights-orphaned")
    # "Show" opens the version it was last found on, with the passage focused
    item.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"\?v=\d+#hl-\d+"))
    expect(page.locator("article.reader mark.hl")).to_be_focused()

    # search finds it by its note and by has:highlights
    for q in ("thumb+means+ripe", "has%3Ahighlights"):
        page.goto(page.base_url + f"/?q={q}")
        expect(page.locator("#link-list > li.link-row")).to_have_count(1)

    # someone else: 404 on the list, and nothing of it on their pages
    context = browser.new_context(locale="en-US")
    other = context.new_page()
    other.base_url = page.base_url
    make_user("otto")
    log_in(other, "otto")
    response = other.goto(page.base_url + f"/links/{snap.link_id}/highlights/")
    assert response.status == 404
    assert other.goto(link_url).status == 404
    context.close()


def test_delete_from_the_list_with_the_keyboard(page, fixture_server):
    user = make_user("ines")
    snap = capture(user, serve(fixture_server, V1))
    log_in(page, "ines")
    page.goto(page.base_url + f"/links/{snap.link_id}/")
    highlight(page, "Keep a few seeds")
    expect(page.locator("article.reader mark.hl")).to_have_count(1)
    edit = page.locator("#highlight-list").get_by_role("button", name="Edit")
    edit.focus()
    page.keyboard.press("Enter")
    page.locator("#hl-editor").get_by_role("button", name="Delete").click()
    expect(page.locator("article.reader mark.hl")).to_have_count(0)
    expect(page.locator("#highlight-list li")).to_have_count(0)
    assert not Highlight.objects.exists()
    page.reload()
    expect(page.locator("article.reader mark.hl")).to_have_count(0)


CHINESE = (
    "<p>番茄喜欢阳光，早上浇水，再给它一根竹竿往上爬。在阳台上种过几棵的人，第一个夏天就懂了。</p>"
    "<p>季节末果实变红；用拇指轻按稍有弹性时就可以摘了。浇水要均匀，大雨后果皮才不会裂开。</p>"
)


def test_in_chinese_a_highlight_is_made_noted_and_redrawn(browser, live_server):
    """The Chinese interface and a Chinese article (no spaces between words): made with
    the keyboard, a note added, painted again after a reload."""
    user = make_user("lin")
    link, snap = add_link(user, "https://example.org/fanqie")
    Snapshot.objects.filter(pk=snap.pk).update(
        status="done", title="种番茄", readable_html=CHINESE, language="zh"
    )
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url
    try:
        log_in(page, "lin")
        page.goto(page.base_url + f"/links/{link.pk}/")
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        passage = "用拇指轻按稍有弹性时就可以摘了"
        page.locator(".highlight-bar input[value=blue]").check()
        highlight(page, passage)
        mark = page.locator("article.reader mark.hl")
        expect(mark).to_have_text(passage)
        expect(mark).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#hl-note")).to_be_focused()
        page.keyboard.type("熟了")
        page.locator("#hl-editor [data-hl-save]").click()
        expect(page.locator("#hl-editor")).to_be_hidden()
        page.reload()
        expect(mark).to_have_text(passage)
        expect(mark).to_have_class(re.compile(r"\bhl-blue\b"))
        expect(page.locator("#highlight-list .hl-note")).to_have_text("熟了")
        h = Highlight.objects.get()
        assert (h.exact, h.note, h.snapshot_id) == (passage, "熟了", snap.pk)
        assert h.prefix.endswith("季节末果实变红；")
        screenshot(page, "highlights-zh")
    finally:
        context.close()
