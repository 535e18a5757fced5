"""Text diffs between versions: paragraphs added, removed, changed; words inside them."""

from __future__ import annotations

from snapshelf.library.diff import diff_texts, inline_html, render_html

OLD = """Docker volumes keep data outside the container.

Windows containers need a matching host version.

Use named volumes for databases.

This paragraph will go away."""

NEW = """Docker volumes keep data outside the container.

Windows containers need a matching host build and isolation mode.

Use named volumes for databases.

A brand new paragraph about bind mounts appears here."""


def test_counts_and_summary():
    d = diff_texts(OLD, NEW, old_title="Docker on Windows", new_title="Docker on Windows 2")
    kinds = [b.kind for b in d.blocks]
    assert kinds.count("same") == 2
    assert kinds.count("changed") == 1
    assert (kinds.count("added"), kinds.count("removed")) == (1, 1)
    assert d.summary() == (
        "1 paragraph changed, 1 paragraph added, 1 paragraph removed, title changed"
    )
    assert not d.identical


def test_identical_text_is_identical():
    d = diff_texts(OLD, OLD + "\n\n", old_title="T", new_title=" T ")
    assert d.identical
    assert d.summary() == "No changes in the text."


def test_changed_paragraph_marks_only_the_changed_words():
    html = inline_html("a matching host version.", "a matching host build and isolation mode.")
    assert html.startswith("a matching host ")
    assert "<del>version</del>" in html and "<ins>build and isolation mode</ins>" in html


def test_chinese_changes_are_marked_by_character():
    html = inline_html("今天天气很好，我们去公园。", "今天天气不好，我们去图书馆。")
    assert "<del>很</del><ins>不</ins>" in html
    assert "<del>公园</del><ins>图书馆</ins>" in html
    assert "今天天气" in html


def test_render_escapes_and_folds_unchanged_stretches():
    old = "\n".join(f"Same paragraph {i}." for i in range(20)) + "\n<script>x</script> old"
    new = "\n".join(f"Same paragraph {i}." for i in range(20)) + "\n<script>x</script> new"
    html = render_html(diff_texts(old, new))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count('class="diff-same"') == 1  # one paragraph of context
    assert 'class="diff-fold"' in html
    assert "<del>old</del><ins>new</ins>" in html
