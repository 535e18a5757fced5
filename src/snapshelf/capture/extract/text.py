"""Text helpers: whitespace, word counts, a cheap language guess, first lines and descriptions."""

from __future__ import annotations

import re
from collections import Counter

WS = re.compile(r"\s+")
CJK_CHAR = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]"
)
_NON_CJK_WORD = re.compile(
    r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+"
)


def norm(text: str | None) -> str:
    """Whitespace runs made one space, ends trimmed: ``WS.sub(" ", text).strip()``.

    str.split() splits on exactly the characters ``\\s`` matches (both use
    Py_UNICODE_ISSPACE) and is several times cheaper than a regex substitution; this
    runs some 500 times a page.
    """
    return " ".join(text.split()) if text else ""


def word_count(text: str) -> int:
    """Words in space-separated scripts plus one per CJK character."""
    return len(CJK_CHAR.findall(text)) + len(_NON_CJK_WORD.findall(text))


_SCRIPT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("kana", re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")),
    ("han", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")),
    ("ko", re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")),
    ("ar", re.compile(r"[\u0600-\u06ff\u0750-\u077f]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("cyrl", re.compile(r"[\u0400-\u04ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("ka", re.compile(r"[\u10a0-\u10ff]")),
    ("hy", re.compile(r"[\u0530-\u058f]")),
    ("my", re.compile(r"[\u1000-\u109f]")),
)
_LATIN_LETTER = re.compile(r"[\u00c0-\u024f]")
_ASCII_RUN = re.compile(r"[\x00-\x7f]+")
_ASCII_NON_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())


# a handful of very frequent function words per language: enough to tell the
# big Latin-script languages apart on a paragraph or more of text
_STOPWORDS = {
    "en": "the and of to is in that it was for with as on are this be by not have you from",
    "de": "der die und das ist nicht ein eine zu den von mit sich des auf für dem im auch",
    "fr": "le la les et des est une un du que dans pour pas sur au qui par avec sont",
    "es": "el la los las y que de en un una por con para es del se no al lo como",
    "it": "il di che la e un una per non sono della del le con gli anche nel alla",
    "pt": "o a de que e do da em um uma para com não os no na se por mais as dos",
    "nl": "de het een en van is dat niet op te in zijn voor met die er aan ook",
    "pl": "i w nie na się z że do to jest jak o a ale po od przez tak dla",
    "sv": "och att det som en på är av för med den till inte har de om ett",
    "cs": "a se na je v že to s z o do jako pro by ale jsou tak jeho byl",
}
_STOP_SETS = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
_LATIN_WORD = re.compile(r"[a-zà-öø-ÿąćęłńśźżčěřšťůž]+")


def guess_language(text: str) -> str:
    """A cheap language guess: writing system first, then stopwords for Latin script."""
    sample = text[:1500]
    if not sample.strip():
        return ""
    # count by deleting (C speed) rather than by collecting matches
    counts = dict.fromkeys((name for name, _ in _SCRIPT_PATTERNS), 0)
    ascii_bytes = sample.encode("ascii", "ignore")
    counts["latn"] = len(ascii_bytes.translate(None, _ASCII_NON_LETTERS))
    if len(ascii_bytes) < len(sample):
        rest = _ASCII_RUN.sub("", sample)
        counts["latn"] += len(rest) - len(_LATIN_LETTER.sub("", rest))
        for name, rx in _SCRIPT_PATTERNS:
            counts[name] = len(rest) - len(rx.sub("", rest))
    total = sum(counts.values())
    if not total:
        return ""
    kana, han, latn = counts["kana"], counts["han"], counts["latn"]
    if kana and kana >= 0.05 * (kana + han) and kana + han >= 0.2 * total:
        return "ja"
    if han >= 0.2 * total:
        return "zh"
    best = max((k for k in counts if k not in ("kana", "han")), key=counts.__getitem__)
    if counts[best] < 0.3 * total:
        return ""
    if best == "cyrl":
        return "uk" if re.search(r"[іїєґІЇЄҐ]", sample) else "ru"
    if best != "latn":
        return best
    words = _LATIN_WORD.findall(sample.lower())
    if len(words) < 8 or latn < 20:
        return ""
    freq = Counter(words)
    scores = {lang: sum(freq[w] for w in stops if w in freq) for lang, stops in _STOP_SETS.items()}
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (lang, top), (_, second) = ranked[0], ranked[1]
    if top >= 3 and top >= 0.05 * len(words) and top > 1.3 * second:
        return lang
    return ""


_LANG_TAG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_]([a-zA-Z]{4}))?(?:[-_]([a-zA-Z]{2}|\d{3}))?")


def normalize_lang(value: str | None) -> str:
    """``zh_cn`` -> ``zh-CN``, ``EN-us`` -> ``en-US``; junk -> ""."""
    if not value:
        return ""
    m = _LANG_TAG.match(value.strip().split(",")[0].strip())
    if not m:
        return ""
    lang, script, region = m.groups()
    parts = [lang.lower()]
    if script:
        parts.append(script.title())
    if region:
        parts.append(region.upper())
    return "-".join(parts)


def choose_language(declared: str, text: str) -> str:
    """Trust a declared language unless the text is plainly in another script."""
    guessed = guess_language(text) if text else ""
    if not declared:
        return guessed
    if not guessed:
        return declared
    primary = declared.split("-")[0]
    non_latin = {"zh", "ja", "ko", "ar", "he", "ru", "uk", "el", "th", "hi", "ka", "hy", "my"}
    if (
        guessed in non_latin
        and primary != guessed
        and not (
            {primary, guessed} <= {"ru", "uk", "bg", "sr", "mk", "be", "kk"}
            or (primary in ("fa", "ur") and guessed == "ar")
            or (primary == "yi" and guessed == "he")
        )
    ):
        return guessed
    if primary in non_latin and guessed not in non_latin:
        # e.g. lang="zh" on an English page
        return guessed
    return declared


def description_from_text(text: str) -> str:
    for para in text.split("\n\n"):
        para = norm(para)
        if len(para) >= 40 or (para and CJK_CHAR.search(para) and len(para) >= 15):
            if len(para) <= 300:
                return para
            cut = para[:300]
            space = cut.rfind(" ")
            return (cut[:space] if space > 200 else cut).rstrip(",;:. ") + "…"
    return ""


def first_line(text: str, limit: int = 120) -> str:
    for line in text.splitlines():
        line = norm(line)
        if line:
            if len(line) <= limit:
                return line
            cut = line[:limit]
            space = cut.rfind(" ")
            return (cut[:space] if space > limit // 2 else cut) + "…"
    return ""
