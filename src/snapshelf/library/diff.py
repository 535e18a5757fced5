"""What changed between two versions of a page's text: paragraphs added, removed and
changed (with the changed words inside them), and a one-line summary.

Paragraphs are the unit people notice; inside a changed paragraph the diff goes down to
words, and to single characters for CJK text, which has no spaces between words.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from snapshelf.text.analyzer import is_cjk

#: A paragraph pair at least this similar is shown as one changed paragraph.
SIMILAR = 0.5
_PIECES = re.compile(r"\s+|[^\W_]+|[^\w\s]|_", re.UNICODE)


@dataclass(frozen=True)
class Block:
    kind: str  # "same", "added", "removed", "changed"
    old: str = ""
    new: str = ""


@dataclass
class TextDiff:
    blocks: list[Block] = field(default_factory=list)
    title_changed: bool = False
    old_title: str = ""
    new_title: str = ""

    def count(self, kind: str) -> int:
        return sum(1 for b in self.blocks if b.kind == kind)

    @property
    def identical(self) -> bool:
        return not self.title_changed and all(b.kind == "same" for b in self.blocks)

    def counts(self) -> dict:
        """What changed as numbers: cheap to store with a version and to word later."""
        return {
            "changed": self.count("changed"),
            "added": self.count("added"),
            "removed": self.count("removed"),
            "title_changed": self.title_changed,
        }

    def summary(self) -> str:
        """ "3 paragraphs changed, 1 paragraph added, title changed" (or nothing changed)."""
        return describe(self.counts())


def describe(counts: dict) -> str:
    """The one-line summary of stored counts (see TextDiff.counts), in the user's language."""
    changed, added, removed = (int(counts.get(k) or 0) for k in ("changed", "added", "removed"))
    parts = []
    if changed:
        parts.append(
            ngettext("%(n)d paragraph changed", "%(n)d paragraphs changed", changed)
            % {"n": changed}
        )
    if added:
        parts.append(
            ngettext("%(n)d paragraph added", "%(n)d paragraphs added", added) % {"n": added}
        )
    if removed:
        parts.append(
            ngettext("%(n)d paragraph removed", "%(n)d paragraphs removed", removed)
            % {"n": removed}
        )
    if counts.get("title_changed"):
        parts.append(_("title changed"))
    return ", ".join(parts) if parts else _("No changes in the text.")


def _squash(text: str) -> str:
    return " ".join(text.split())


def same_text(old: str, new: str, *, old_title: str = "", new_title: str = "") -> bool:
    """True when a diff would find nothing: same paragraphs, same title (whitespace aside).

    Cheaper than diff_texts; used to decide whether a re-capture is a new version."""
    return _squash(old_title) == _squash(new_title) and paragraphs(old) == paragraphs(new)


def paragraphs(text: str) -> list[str]:
    """Non-empty lines, whitespace collapsed: extracted text keeps one paragraph per line."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def diff_texts(old: str, new: str, *, old_title: str = "", new_title: str = "") -> TextDiff:
    a, b = paragraphs(old), paragraphs(new)
    out = TextDiff(
        title_changed=_squash(old_title) != _squash(new_title),
        old_title=old_title,
        new_title=new_title,
    )
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.blocks += [Block("same", p, p) for p in a[i1:i2]]
        elif op == "delete":
            out.blocks += [Block("removed", old=p) for p in a[i1:i2]]
        elif op == "insert":
            out.blocks += [Block("added", new=p) for p in b[j1:j2]]
        else:
            out.blocks += _pair_up(a[i1:i2], b[j1:j2])
    return out


def _pair_up(olds: list[str], news: list[str]) -> list[Block]:
    """A replaced run: similar paragraphs in order become "changed", the rest added/removed."""
    blocks: list[Block] = []
    j = 0
    for old in olds:
        best, best_ratio = None, SIMILAR
        for k in range(j, min(len(news), j + 5)):
            ratio = difflib.SequenceMatcher(None, old, news[k], autojunk=False).quick_ratio()
            if ratio >= best_ratio:
                ratio = difflib.SequenceMatcher(None, old, news[k], autojunk=False).ratio()
                if ratio >= best_ratio:
                    best, best_ratio = k, ratio
        if best is None:
            blocks.append(Block("removed", old=old))
            continue
        blocks += [Block("added", new=p) for p in news[j:best]]
        blocks.append(Block("changed", old, news[best]))
        j = best + 1
    blocks += [Block("added", new=p) for p in news[j:]]
    return blocks


def _pieces(text: str) -> list[str]:
    out: list[str] = []
    for piece in _PIECES.findall(text):
        if any(is_cjk(c) for c in piece):
            out.extend(piece)  # CJK: one character at a time
        else:
            out.append(piece)
    return out


def inline_html(old: str, new: str) -> str:
    """One changed paragraph with removed words in <del> and added words in <ins>."""
    a, b = _pieces(old), _pieces(new)
    html = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            html.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            html.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            html.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return "".join(html)


def render_html(diff: TextDiff, *, context: int = 1) -> str:
    """The diff as escaped HTML paragraphs; long unchanged stretches fold to "…"."""
    keep = set()
    for i, block in enumerate(diff.blocks):
        if block.kind != "same":
            keep.update(range(i - context, i + context + 1))
    html, folded = [], False
    for i, block in enumerate(diff.blocks):
        if block.kind == "same" and i not in keep:
            if not folded:
                html.append('<p class="diff-fold">…</p>')
            folded = True
            continue
        folded = False
        if block.kind == "same":
            html.append(f'<p class="diff-same">{escape(block.new)}</p>')
        elif block.kind == "added":
            html.append(f'<p class="diff-added"><ins>{escape(block.new)}</ins></p>')
        elif block.kind == "removed":
            html.append(f'<p class="diff-removed"><del>{escape(block.old)}</del></p>')
        else:
            html.append(f'<p class="diff-changed">{inline_html(block.old, block.new)}</p>')
    return "\n".join(html)
