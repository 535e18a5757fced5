"""Captured text is data, never Rich markup: a page titled with markup (`[/bold]`, which
Rich refuses as a closing tag nothing opened) does not crash the CLI's human output of
add, show and list, and is printed as it is."""

from __future__ import annotations

import pytest

from snapshelf import cli
from snapshelf.library.models import Snapshot
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

TITLE = "Costs [/bold] and [red]colours[/red] [link=http://x]"


def test_a_title_with_rich_markup_is_printed_as_text(user, fixture_server, capsys):
    fixture_server.route(
        "/m", lambda req: Reply.html(f"<title>{TITLE}</title><article><p>Body.</p></article>")
    )
    assert cli.main(["add", fixture_server.url("/m"), "--wait", "--tag", "[/i]"]) == 0
    assert TITLE in capsys.readouterr().out
    snap = Snapshot.objects.get()
    assert snap.title == TITLE
    assert cli.main(["show", str(snap.pk)]) == 0
    assert TITLE in capsys.readouterr().out.replace("\n", "")
    assert cli.main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "[/bold]" in listed and "[/i]" in listed


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("markup", password="x")
