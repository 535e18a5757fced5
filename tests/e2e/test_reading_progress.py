"""The reading page in Chromium (issue 22.2, 22.4): how far the owner read is saved while
scrolling and restored on the next visit, the link then waits under "Continue reading";
the typography chosen in the reader applies at once and is remembered; an Arabic page
reads right to left; j / k scroll and every reader control is reachable by Tab."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from snapshelf.library.models import Link, ReadingProgress, Snapshot
from snapshelf.library.records import add_link
from snapshelf.services import highlights as door
from snapshelf.services import reading
from tests.e2e.conftest import log_in, make_user, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PARAGRAPH = (
    "Tomatoes want sun, water in the morning, and a stake to climb along as they grow. "
    "That is what every gardener learns in the first summer with a few plants. "
)
LONG = "".join(f"<h2>Part {n}</h2><p>{PARAGRAPH * 6}</p>" for n in range(1, 41))
ARABIC = "<p>" + "تحتاج الطماطم إلى الشمس والماء في الصباح وعصا لتتسلق عليها. " * 40 + "</p>"


def article(user, url: str, html: str = LONG, language: str = "en") -> int:
    link, snap = add_link(user, url)
    Snapshot.objects.filter(pk=snap.pk).update(
        status="done",
        title="A long article",
        readable_html=html,
        language=language,
        word_count=len(html.split()),
    )
    return link.pk


def reader_fraction(page) -> float:
    """How far the reader text is scrolled, as reader.js measures it."""
    return page.evaluate(
        """() => {
          const box = document.querySelector('article.reader').getBoundingClientRect();
          return Math.min(1, Math.max(0, -box.top / (box.height - window.innerHeight)));
        }"""
    )


def settled(page) -> None:
    """Wait until the reader has no position left to save (none waiting, none on its
    way), so the test does not end with a request still reaching the server."""
    page.wait_for_function("() => !document.querySelector('.reader-view').dataset.saving")


def wait_for(check, timeout: float = 15.0):
    """Poll the database until `check()` is true (the browser saves in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("the browser's save never arrived")


def test_progress_is_saved_restored_and_listed(page):
    user = make_user("rosa")
    link_id = article(user, "https://example.org/long")
    log_in(page, "rosa")
    page.goto(page.base_url + f"/links/{link_id}/")
    expect(page.locator("article.reader")).to_contain_text("Part 40")
    page.evaluate(
        """() => {
          const box = document.querySelector('article.reader').getBoundingClientRect();
          window.scrollTo(0, window.scrollY + box.top + 0.5 * (box.height - window.innerHeight));
        }"""
    )
    row = wait_for(lambda: ReadingProgress.objects.filter(link_id=link_id).first())
    assert 0.45 <= row.fraction <= 0.55, row.fraction
    expect(page.locator(".reader-progress [data-percent]")).to_have_text(
        f"{round(row.fraction * 100)}%"
    )

    page.reload()
    page.wait_for_function("() => document.querySelector('.reader-view').dataset.restored")
    assert abs(reader_fraction(page) - row.fraction) < 0.02
    screenshot(page, "reader-progress-restored")

    page.goto(page.base_url + "/")
    section = page.locator(".continue-reading")
    expect(section).to_contain_text("A long article")
    expect(section).to_contain_text(f"{round(row.fraction * 100)}% read")

    # reading to the end takes the link off the unread list (and out of "continue")
    page.goto(page.base_url + f"/links/{link_id}/")
    page.wait_for_function("() => document.querySelector('.reader-view').dataset.restored")
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    wait_for(lambda: not Link.objects.get(pk=link_id).unread)
    assert ReadingProgress.objects.get(link_id=link_id).fraction >= reading.FINISHED
    page.goto(page.base_url + "/")
    expect(page.locator(".continue-reading")).to_have_count(0)


def test_typography_applies_at_once_and_is_remembered(page):
    user = make_user("tom")
    link_id = article(user, "https://example.org/type")
    log_in(page, "tom")
    page.goto(page.base_url + f"/links/{link_id}/")
    view = page.locator(".reader-view")
    size_before = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('article.reader')).fontSize)"
    )
    page.select_option("#reader-font-size", "150")
    page.select_option("#reader-font", "sans")
    page.select_option("#reader-width", "wide")
    expect(view).to_have_class("reader-view reader-size-150 reader-font-sans reader-width-wide")
    size_after = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('article.reader')).fontSize)"
    )
    assert size_after > size_before * 1.3
    wait_for(lambda: reading.reader_settings(user) == reading.ReaderSettings(150, "sans", "wide"))

    page.reload()
    expect(view).to_have_class("reader-view reader-size-150 reader-font-sans reader-width-wide")
    family = page.evaluate(
        "() => getComputedStyle(document.querySelector('article.reader')).fontFamily"
    )
    assert "serif" not in family.replace("sans-serif", ""), family
    page.goto(page.base_url + "/settings/")
    expect(page.locator("#settings-reader-font-size")).to_have_value("150")
    expect(page.locator("#settings-reader-width")).to_have_value("wide")
    screenshot(page, "reader-settings")


def test_an_arabic_page_reads_right_to_left(page):
    user = make_user("samir")
    link_id = article(user, "https://example.org/ar", ARABIC, language="ar")
    log_in(page, "samir")
    page.goto(page.base_url + f"/links/{link_id}/")
    expect(page.locator(".reader-view")).to_have_attribute("dir", "rtl")
    direction = page.evaluate(
        "() => getComputedStyle(document.querySelector('article.reader p')).direction"
    )
    assert direction == "rtl"
    screenshot(page, "reader-rtl")


#: What the focused element is, and whether its focus is drawn (a :focus-visible outline).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const name = (el.matches("mark.hl") ? "mark" : "")
    || el.id
    || (el.matches("input[type=radio]") ? `${el.name}:${el.value}` : "")
    || (el.matches("[data-hl-create]") ? "hl-create" : "")
    || (el.matches("[data-hl-show]") ? "hl-show" : "")
    || (el.matches("[data-hl-edit]") ? "hl-edit" : "")
    || (el.matches("[data-hl-save]") ? "hl-save" : "")
    || (el.matches("[data-hl-delete]") ? "hl-delete" : "")
    || (el.matches("[data-hl-close]") ? "hl-close" : "")
    || el.tagName.toLowerCase();
  const style = getComputedStyle(el);
  const drawn = el.matches(":focus-visible") && style.outlineStyle !== "none"
    && parseFloat(style.outlineWidth) >= 1;
  return { name, drawn };
}"""


def tab_until(page, wanted: set[str], presses: int = 150) -> dict[str, bool]:
    """Press Tab until every control in `wanted` had the focus; {control: focus drawn}."""
    reached: dict[str, bool] = {}
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused:
            reached[focused["name"]] = reached.get(focused["name"], True) and focused["drawn"]
        if wanted <= reached.keys():
            break
    return reached


def test_keyboard_scrolls_the_reader_and_reaches_every_control(page):
    user = make_user("kim")
    link_id = article(user, "https://example.org/keys")
    snap_id = Link.objects.get(pk=link_id).latest_snapshot_id
    passage = "That is what every gardener learns"
    door.create_highlight(
        user, link_id, door.HighlightDraft(exact=passage, color="blue", snapshot_id=snap_id)
    )
    log_in(page, "kim")
    page.goto(page.base_url + f"/links/{link_id}/")
    expect(page.locator("article.reader")).to_contain_text("Part 1")
    expect(page.locator("article.reader mark.hl")).to_have_count(1)
    page.locator("body").click(position={"x": 5, "y": 5})
    start = page.evaluate("() => window.scrollY")
    page.keyboard.press("j")
    page.wait_for_function(f"() => window.scrollY > {start}")
    after_j = page.evaluate("() => window.scrollY")
    page.keyboard.press("k")
    page.wait_for_function(f"() => window.scrollY < {after_j}")

    # Tab from the top reaches the reader's and the highlights' controls, focus drawn
    controls = {
        "reader-font-size",
        "reader-font",
        "reader-width",
        "reader-apply",
        "mark",
        "hl-new-color:yellow",
        "hl-create",
        "hl-show",
        "hl-edit",
    }
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.evaluate("() => window.scrollTo(0, 0)")
    reached = tab_until(page, controls)
    assert controls <= reached.keys(), reached
    assert [name for name in controls if not reached[name]] == []

    # the highlight's editor: opened with Enter on the mark, every control reachable
    page.locator("article.reader mark.hl").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#hl-editor")).to_be_visible()
    in_editor = {"hl-note", "hl-edit-color:blue", "hl-save", "hl-delete", "hl-close"}
    reached = tab_until(page, in_editor, presses=20)
    assert in_editor <= reached.keys(), reached
    assert [name for name in in_editor if not reached[name]] == []
    page.keyboard.press("Escape")
    expect(page.locator("#hl-editor")).to_be_hidden()
    expect(page.locator("article.reader mark.hl")).to_be_focused()

    # a control reached by keyboard also works by keyboard
    page.focus("#reader-width")
    page.keyboard.press("ArrowDown")  # medium -> wide
    expect(page.locator(".reader-view")).to_have_class(
        "reader-view reader-size-100 reader-font-serif reader-width-wide"
    )
    settled(page)


def test_a_one_screen_article_counts_as_read_after_a_while_on_screen(page):
    """A text that fits on one screen is never scrolled, yet it was read: after about half
    its reading time on screen (data-finish-after) the link leaves the unread list; one
    opened and left at once stays unread."""
    user = make_user("lena")
    short = article(user, "https://example.org/short", html=f"<p>{PARAGRAPH}</p>")
    glance = article(user, "https://example.org/glance", html=f"<p>{PARAGRAPH}</p>")
    log_in(page, "lena")
    page.goto(page.base_url + f"/links/{glance}/")
    dwell = int(page.locator(".reader-view").get_attribute("data-finish-after"))
    assert 3000 <= dwell <= 30000
    page.goto(page.base_url + "/")  # left at once

    page.goto(page.base_url + f"/links/{short}/")
    started = time.monotonic()
    wait_for(lambda: not Link.objects.get(pk=short).unread, timeout=dwell / 1000 + 10)
    assert time.monotonic() - started >= 0.8 * dwell / 1000  # not on opening
    assert Link.objects.get(pk=glance).unread
    assert ReadingProgress.objects.get(link_id=short).fraction == 1.0
