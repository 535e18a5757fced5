"""E-books (issue 22.3): one article and a tag of several, built from real captures of
pages served on 127.0.0.1, checked with `epubcheck` (Debian's package, `make
system-deps`) when it is installed, and always opened with ebooklib: spine, table of
contents, embedded images, language and title. Highlights are marked with <mark>."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import lxml.etree
import pytest
from django.contrib.auth import get_user_model
from ebooklib import ITEM_DOCUMENT, ITEM_IMAGE, epub

from snapshelf import cli
from snapshelf.io.exporters import EpubError, Selection, find_tag, selection_epub
from snapshelf.io.exporters.epub import Quote, mark_quotes
from snapshelf.io.exporters.snapshot import Unavailable, snapshot_artefact
from snapshelf.services.highlights import HighlightDraft, create_highlight
from tests.e2e.test_reader import ZH_ARTICLE
from tests.library.helpers import capture
from tests.web.test_reader_offline import png, serve_article
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

EPUBCHECK = shutil.which("epubcheck")


def epubcheck_command(path: Path) -> list[str]:
    """Debian installs epubcheck as a jar behind a symlink, run by binfmt_misc where the
    kernel has it; run the jar with Java ourselves so containers without binfmt work."""
    target = Path(EPUBCHECK).resolve()
    if target.suffix == ".jar" and shutil.which("java"):
        return [shutil.which("java"), "-jar", str(target), str(path)]
    return [EPUBCHECK, str(path)]


AR_ARTICLE = """<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>زراعة الطماطم</title></head><body><article><h1>زراعة الطماطم</h1>
<p>تحتاج الطماطم إلى الشمس والماء في الصباح وعصا لتتسلق عليها وهي تنمو. هذا ما يتعلمه كل
بستاني في الصيف الأول مع بضع نباتات على الشرفة، ثم يعود إليها كل عام.</p>
<p>في وقت لاحق من الموسم تصبح الثمار حمراء، اقطفها عندما تلين قليلا تحت الإبهام، واسق
النباتات بانتظام حتى لا تتشقق القشور بعد يوم ممطر.</p></article></body></html>"""


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("alice", "", "alice-password-123")


@pytest.fixture
def other_user(db):
    return get_user_model().objects.create_user("bob", "", "bob-password-123")


@pytest.fixture(autouse=True)
def fresh_blobs(settings, tmp_path):
    settings.SNAPSHELF_BLOB_DIR = tmp_path / "blobs"


def validate(data: bytes, tmp_path: Path, name: str = "book.epub") -> epub.EpubBook:
    """Fail unless `data` is a valid EPUB: epubcheck when installed (errors and warnings
    both fail), and ebooklib's reading of it in every case."""
    path = tmp_path / name
    path.write_bytes(data)
    with zipfile.ZipFile(path) as zf:
        first = zf.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert zf.read("mimetype") == b"application/epub+zip"
    if EPUBCHECK:
        run = subprocess.run(
            epubcheck_command(path), capture_output=True, text=True, timeout=300, check=False
        )
        report = run.stdout + run.stderr
        assert run.returncode == 0, report
        assert "No errors or warnings detected" in report, report
    book = epub.read_epub(str(path))
    ids = {item.get_id(): item for item in book.get_items()}
    spine = [ids[idref] for idref, _linear in book.spine]
    assert spine and all(item.get_type() == ITEM_DOCUMENT for item in spine)
    for item in book.get_items_of_type(ITEM_DOCUMENT):
        lxml.etree.fromstring(item.get_content())  # well-formed XHTML
    return book


def chapters(book: epub.EpubBook, data: bytes) -> list[str]:
    """The chapters' XHTML as stored in the file (ebooklib's get_content rebuilds it)."""
    names = [
        item.get_name()
        for item in book.get_items_of_type(ITEM_DOCUMENT)
        if not isinstance(item, epub.EpubNav) and item.get_name() != "nav.xhtml"
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [zf.read(f"EPUB/{name}").decode() for name in names]


def test_one_article_with_its_stored_image(user, fixture_server, tmp_path):
    snap = capture(user, serve_article(fixture_server))
    assert snap.status == "done", snap.error
    served = len(fixture_server.requests)
    artefact = snapshot_artefact(snap, "epub")
    assert len(fixture_server.requests) == served  # built from storage, nothing fetched
    assert artefact.filename.endswith(".epub") and artefact.content_type == "application/epub+zip"
    book = validate(artefact.data, tmp_path)

    assert book.get_metadata("DC", "title")[0][0] == "Growing tomatoes"
    assert book.get_metadata("DC", "language")[0][0] == "en"
    assert [entry.title for entry in book.toc] == ["Growing tomatoes"]
    images = list(book.get_items_of_type(ITEM_IMAGE))
    assert len(images) == 1 and images[0].get_content() == png()
    (html,) = chapters(book, artefact.data)
    assert html.count("Growing tomatoes</h1>") == 1
    assert "Tomatoes want sun" in html
    assert f'src="{images[0].get_name()}"' in html
    assert "A ripe tomato" in html  # the image that was not captured: its alt text


def test_a_tag_of_several_articles_in_their_languages(user, other_user, fixture_server, tmp_path):
    serve_article(fixture_server)
    fixture_server.route("/zh", lambda r: Reply.html(ZH_ARTICLE))
    fixture_server.route("/ar", lambda r: Reply.html(AR_ARTICLE))
    for path in ("/article", "/zh", "/ar"):
        assert capture(user, fixture_server.url(path), ["garden"]).status == "done"
    capture(user, fixture_server.url("/other"), [])  # not in the tag
    capture(other_user, fixture_server.url("/zh"), ["garden"])  # someone else's

    data = selection_epub(Selection(user, find_tag(user, "garden")))
    book = validate(data, tmp_path)
    assert book.get_metadata("DC", "title")[0][0] == "Snapshelf: garden"
    assert [entry.title for entry in book.toc] == ["Growing tomatoes", "种番茄", "زراعة الطماطم"]
    xhtml = chapters(book, data)
    assert len(xhtml) == 3
    assert "番茄喜欢阳光" in xhtml[1] and 'lang="zh' in xhtml[1]
    assert 'dir="rtl"' in xhtml[2] and 'lang="ar"' in xhtml[2]
    assert 'dir="rtl"' not in xhtml[0]
    assert len(list(book.get_items_of_type(ITEM_IMAGE))) == 1


def test_nothing_to_read_is_a_clear_error(user, other_user, fixture_server):
    capture(other_user, serve_article(fixture_server), ["garden"])
    with pytest.raises(EpubError, match="no captured article"):
        selection_epub(Selection(user))
    failed = capture(user, fixture_server.url("/missing"))
    with pytest.raises(Unavailable):
        snapshot_artefact(failed, "epub")


def test_cli_download_and_export(user, fixture_server, tmp_path, capsys):
    snap = capture(user, serve_article(fixture_server), ["garden"])
    one = tmp_path / "one.epub"
    argv = ["download", str(snap.pk), "--format", "epub", "-o", str(one), "--user", user.username]
    assert cli.main(argv) == 0
    validate(one.read_bytes(), tmp_path, "checked-one.epub")
    tagged = tmp_path / "garden.epub"
    argv = ["export", "--format", "epub", "--tag", "garden", "-o", str(tagged)]
    assert cli.main([*argv, "--user", user.username]) == 0
    assert [e.title for e in validate(tagged.read_bytes(), tmp_path, "c2.epub").toc] == [
        "Growing tomatoes"
    ]
    assert "wrote an e-book" in capsys.readouterr().err
    empty = tmp_path / "none.epub"
    argv = ["export", "--format", "epub", "-o", str(empty), "--user", user.username]
    find_tag(user, "garden").links.clear()
    snap.link.delete()
    assert cli.main(argv) != 0
    assert "no captured article" in capsys.readouterr().err
    assert not empty.exists() and not list(tmp_path.glob("*.part"))


# ---- marking highlights ------------------------------------------------------------


def test_mark_quotes_across_elements_and_by_context():
    html = "<p>The cat sat. The <em>cat</em> ran away.</p><p>Then the cat slept.</p>"
    marked = mark_quotes(html, [Quote("cat", prefix="The ", suffix=" ran")])
    assert marked.count("<mark>") == 1
    assert "The <em><mark>cat</mark></em> ran away" in marked
    across = mark_quotes(html, [Quote("cat ran away. Then", prefix="The ")])
    assert "<em><mark>cat</mark></em><mark> ran away.</mark>" in across
    assert "<p><mark>Then</mark> the cat slept.</p>" in across
    assert mark_quotes(html, [Quote("a dog")]) == html
    spaced = mark_quotes("<p>a  long\n line</p>", [Quote("long line")])
    assert spaced == "<p>a  <mark>long\n line</mark></p>"


def test_the_owners_highlights_are_marked_in_the_book(user, fixture_server, tmp_path):
    snap = capture(user, serve_article(fixture_server))
    exact = "a stake to climb along"
    create_highlight(user, snap.link_id, HighlightDraft(exact=exact, prefix="morning, and "))
    create_highlight(user, snap.link_id, HighlightDraft(exact="words that are not there"))
    data = snapshot_artefact(snap, "epub").data
    book = validate(data, tmp_path)
    (html,) = chapters(book, data)
    assert html.count("<mark>") == 1
    assert f"<mark>{exact}</mark>" in html
