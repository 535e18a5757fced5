"""Anchoring a quote again (reading.anchor): the quote decides, prefix and suffix choose
between repeats, the old position breaks ties, whitespace does not matter."""

from __future__ import annotations

from snapshelf.reading.anchor import Quote, locate, reader_text


def test_reader_text_is_every_text_node_in_order():
    html = "<h1>Title</h1><p>One <em>two</em> three.</p><ul><li>four</li></ul>"
    assert reader_text(html) == "TitleOne two three.four"
    assert reader_text("") == ""


def test_the_exact_passage_is_found_where_it_moved():
    old = "Intro. The passage we keep. Outro."
    new = "A new first paragraph. Intro. Something else. Outro. The passage we keep."
    quote = Quote("passage we keep", prefix="Intro. The ", suffix=". Outro.", start=11)
    found = locate(new, quote)
    assert found is not None
    assert new[found.start : found.end] == "passage we keep"
    assert found.start == new.index("passage")
    assert found.prefix.endswith("Outro. The ") and found.suffix == "."
    assert locate(old, quote).start == 11


def test_prefix_and_suffix_choose_between_repeats():
    text = "the cat sat on the mat. then the cat ran to the door."
    ran = Quote("the cat", prefix="mat. then ", suffix=" ran to", start=0)
    sat = Quote("the cat", prefix="", suffix=" sat on", start=30)
    assert locate(text, ran).start == text.index("the cat ran")
    assert locate(text, sat).start == 0


def test_without_context_the_nearest_to_the_old_position_wins():
    text = "word. " * 10
    found = locate(text, Quote("word", start=31))
    assert found.start == 30


def test_whitespace_changes_are_tolerated_and_the_offsets_point_into_the_new_text():
    new = "Tomatoes\n   want  sun,\n and water."
    found = locate(new, Quote("want sun, and water", prefix="Tomatoes "))
    assert found is not None
    assert new[found.start : found.end] == "want  sun,\n and water"
    assert found.exact == new[found.start : found.end]


def test_a_missing_passage_is_not_found():
    assert locate("Nothing of it is left.", Quote("the passage we kept")) is None
    assert locate("anything", Quote("   ")) is None
    assert locate("", Quote("a")) is None


def test_chinese_text_is_anchored_by_characters():
    text = "番茄喜欢阳光，早上浇水。到了季节后期，果实变红。"
    found = locate(text, Quote("果实变红", prefix="季节后期，"))
    assert text[found.start : found.end] == "果实变红"
