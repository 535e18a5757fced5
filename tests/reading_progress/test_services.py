"""The reading door (issue 22.2, 22.4): progress saved and read back per owner, the
"continue reading" list, finishing marks a link read, reading time per language, text
direction, and the reader's typography settings."""

from __future__ import annotations

import pytest

from snapshelf.capture.extract import word_count
from snapshelf.library.models import Link, ReadingProgress
from snapshelf.library.records import add_link
from snapshelf.services import reading

pytestmark = pytest.mark.django_db

ENGLISH = " ".join(["Tomatoes want sun, water in the morning and a stake to climb."] * 100)
CHINESE = "番茄喜欢阳光，早上浇水，还需要一根竹竿让它们顺着往上爬。" * 100


def test_progress_is_saved_and_read_back(user):
    link, _snap = add_link(user, "https://example.org/a")
    updated = Link.objects.get(pk=link.pk).updated
    saved = reading.save_progress(user, link.pk, 0.42, 1234)
    assert (saved.fraction, saved.offset, saved.marked_read) == (0.42, 1234, False)
    row = reading.progress_for(user, link)
    assert (row.fraction, row.offset) == (0.42, 1234)
    reading.save_progress(user, link.pk, "0.5", "99")  # as a form or JSON body sends them
    assert reading.progress_for(user, link).fraction == 0.5
    assert ReadingProgress.objects.count() == 1
    # the link itself is untouched (no re-index, no new "updated" date)
    assert Link.objects.get(pk=link.pk).updated == updated


@pytest.mark.parametrize("bad", [-0.1, 1.5, "nan", "inf", "half", None, [0.3]])
def test_a_bad_value_is_refused_and_nothing_changes(user, bad):
    link, _snap = add_link(user, "https://example.org/a")
    reading.save_progress(user, link.pk, 0.3)
    with pytest.raises(reading.BadProgress):
        reading.save_progress(user, link.pk, bad)
    assert reading.progress_for(user, link).fraction == 0.3


def test_someone_elses_link_does_not_exist(user, other_user):
    link, _snap = add_link(user, "https://example.org/a")
    with pytest.raises(Link.DoesNotExist):
        reading.save_progress(other_user, link.pk, 0.5)
    assert reading.progress_for(other_user, link) is None
    assert not ReadingProgress.objects.exists()


def test_reaching_the_end_marks_the_link_read_once(user):
    link, _snap = add_link(user, "https://example.org/a")
    assert Link.objects.get(pk=link.pk).unread
    assert reading.save_progress(user, link.pk, 0.5).marked_read is False
    assert reading.save_progress(user, link.pk, 0.97).marked_read is True
    assert not Link.objects.get(pk=link.pk).unread
    # marked unread again by hand: coming back at the end does not undo that choice
    Link.objects.filter(pk=link.pk).update(unread=True)
    assert reading.save_progress(user, link.pk, 0.99).marked_read is False
    assert Link.objects.get(pk=link.pk).unread


def test_continue_reading_lists_started_unfinished_links_newest_first(user, other_user):
    links = [add_link(user, f"https://example.org/{n}")[0] for n in range(5)]
    reading.save_progress(user, links[0].pk, 0.30)
    reading.save_progress(user, links[1].pk, 0.01)  # only opened
    reading.save_progress(user, links[2].pk, 0.99)  # finished
    reading.save_progress(user, links[3].pk, 0.60)
    theirs = add_link(other_user, "https://example.org/theirs")[0]
    reading.save_progress(other_user, theirs.pk, 0.5)
    found = reading.continue_reading(user)
    assert [link.pk for link in found] == [links[3].pk, links[0].pk]
    assert [link.reading_fraction for link in found] == [0.60, 0.30]
    reading.save_progress(user, links[0].pk, 0.35)  # read again: first now
    assert [link.pk for link in reading.continue_reading(user)][0] == links[0].pk
    assert [link.pk for link in reading.continue_reading(other_user)] == [theirs.pk]


def test_reading_time_counts_words_in_english_and_characters_in_chinese():
    assert word_count(ENGLISH) == 1200 and len(CHINESE) == 2800
    assert reading.reading_minutes(word_count(ENGLISH), "en") == 5  # 1,200 words / 230
    assert reading.reading_minutes(word_count(CHINESE), "zh-CN") == 6  # ~2,600 chars / 400
    assert reading.reading_minutes(word_count(CHINESE), "ja") == 5  # / 500
    assert reading.reading_minutes(20, "en") == 0  # too short to be reading


def test_text_direction_from_language_or_letters():
    assert reading.text_direction("ar") == "rtl"
    assert reading.text_direction("he-IL") == "rtl"
    assert reading.text_direction("fa_IR") == "rtl"
    assert reading.text_direction("en", "مرحبا بالعالم") == "ltr"  # the language says
    assert reading.text_direction("", "مرحبا بالعالم، هذه صفحة Snapshelf") == "rtl"
    assert reading.text_direction("", "Hello world") == "ltr"
    assert reading.text_direction("zh", "") == "ltr"


def test_reader_settings_are_remembered_and_checked(user, other_user):
    assert reading.reader_settings(user) == reading.ReaderSettings(100, "serif", "medium")
    reading.set_reader_settings(user, font_size="125", font="sans")
    reading.set_reader_settings(user, width="wide")
    assert reading.reader_settings(user) == reading.ReaderSettings(125, "sans", "wide")
    assert reading.reader_settings(other_user) == reading.ReaderSettings()
    for bad in ({"font_size": 7}, {"font_size": "big"}, {"font": "comic"}, {"width": "huge"}):
        with pytest.raises(reading.BadSettings):
            reading.set_reader_settings(user, **{"font_size": 110, "font": "serif", **bad})
    assert reading.reader_settings(user) == reading.ReaderSettings(125, "sans", "wide")


def test_a_one_screen_text_must_stay_on_screen_half_its_reading_time():
    # 46 English words take 12 s to read: 6 s on screen; Chinese reads by characters
    assert reading.finish_after_seconds(46, "en") == pytest.approx(6.0)
    assert reading.finish_after_seconds(200, "zh-CN") == pytest.approx(15.0)
    assert reading.finish_after_seconds(0, "en") == reading.DWELL_SECONDS[0]  # a glance
    assert reading.finish_after_seconds(5000, "en") == reading.DWELL_SECONDS[1]
