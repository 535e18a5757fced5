"""Versions of one article for the highlight tests: the same paragraphs re-ordered and
re-flowed (a highlight must follow them), then the highlighted sentence gone."""

from __future__ import annotations

PARAGRAPHS = {
    "sun": "Tomatoes want sun for most of the day, water in the morning, and a cane to "
    "climb. Anyone who has grown a few plants on a balcony learns this in the first summer.",
    "ripe": "Late in the season the fruit turns red; pick it when it gives a little under "
    "the thumb. Water evenly, so that the skins do not split after a heavy rain.",
    "seed": "Keep a few seeds from the best fruit, dry them on a paper towel, and sow them "
    "again next spring. Year by year the plants grow used to the local weather.",
    "soil": "Good soil matters more than any fertiliser: dark, loose earth with plenty of "
    "compost lets the roots spread and hold water between two waterings.",
}

#: The passage the tests highlight, in the "ripe" paragraph.
PASSAGE = "pick it when it gives a little under the thumb"


def article(order: list[str], *, reflow: bool = False, title: str = "Growing tomatoes") -> str:
    """The article with these paragraphs in this order (reflow: line breaks and double
    spaces inside the paragraphs, as a redesigned page's markup might have)."""
    body = []
    for key in order:
        text = PARAGRAPHS[key]
        if reflow:
            text = text.replace(", ", ",\n    ").replace(" when ", "  when ")
        body.append(f"<p>{text}</p>")
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><article><h1>{title}</h1>\n" + "\n".join(body) + "\n</article></body></html>"
    )


V1 = article(["sun", "ripe", "seed"])
#: The highlighted paragraph moved to the end, a new one first, the markup re-flowed.
V2 = article(["soil", "sun", "seed", "ripe"], reflow=True)
#: The highlighted paragraph is gone.
V3 = article(["soil", "sun", "seed"])
