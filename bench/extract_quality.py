"""Extraction quality on the shared corpora: text F1 per set and page type, metadata, CPU time.

Usage::

    .venv/bin/python bench/extract_quality.py [--sets wcxb,readability,...] [--step N]
        [--dump pages.jsonl]

Text metric: per document, F1 of the multisets of 4-gram shingles of the
extracted and the reference text; tokens are words (``\\w+``, case-folded) and,
for Chinese and Japanese, single characters. A document with fewer than four
tokens uses its tokens. The set's figure is the mean over documents. Where a
set's reference is only the beginning of the article (goose3) recall is
reported instead; where it is snippets (trafilatura-eval) the share of
must-have snippets found and of must-not snippets leaked.

Metadata: title exact (case, whitespace and quotes normalised), author exact
(the set of names, normalised), date on the same calendar day, each over the
pages whose reference has a value.

Time: CPU seconds (``time.process_time``) of ``extract_html`` on decoded text,
per page; decoding is not timed. With ``--repeat N`` each page is extracted N times in
a row and its median counts: on this shared VM one run's median moves by 10-15% from
run to run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import benchkit  # noqa: E402

MEASURES = (
    "text: mean per-document F1 of 4-gram shingle multisets (words; Han/kana characters) "
    "between capture.extract.extract_html(text, url).text and each set's reference "
    "(goose3: recall of its article-start reference; trafilatura-eval: must-have snippet "
    "recall and must-not snippet leakage); metadata: title exact, author name set exact, "
    "date same day, over pages with a reference value; cpu_ms: time.process_time of "
    "extract_html per page (decoding excluded), one run"
)
QUICK_ARGS = ["--step", "10"]

SETS = ("wcxb", "readability", "trafilatura", "goose3", "newspaper4k", "cx163", "gne")

_TOKEN = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
    r"|[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall((text or "").casefold())


def shingles(text: str, n: int = 4) -> Counter:
    toks = tokens(text)
    if len(toks) < n:
        return Counter([" ".join(toks)] if toks else [])
    return Counter(" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1))


def prf(got: str, want: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the 4-gram shingle multisets."""
    a, b = shingles(got), shingles(want)
    if not b:
        return (1.0, 1.0, 1.0) if not a else (0.0, 1.0, 0.0)
    if not a:
        return 0.0, 0.0, 0.0
    overlap = sum((a & b).values())
    p, r = overlap / sum(a.values()), overlap / sum(b.values())
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def f1(got: str, want: str) -> float:
    return prf(got, want)[2]


_QUOTES = str.maketrans({c: '"' for c in "“”„«»「」『』"} | {c: "'" for c in "‘’‚"})


def norm_meta(value: str | None) -> str:
    value = re.sub(r"\s+", " ", (value or "").translate(_QUOTES)).strip().casefold()
    return value.strip(" .")


def author_names(value: str | list | None) -> set[str]:
    if isinstance(value, list):
        items = value
    else:
        items = re.split(r"\s*(?:[,;，、]|\band\b|&)\s*", value or "")
    return {n for n in (norm_meta(re.sub(r"^by\s+", "", str(i), flags=re.I)) for i in items) if n}


def same_day(got: str, want: str | None) -> bool:
    m = re.search(r"(\d{4})\D(\d{1,2})\D(\d{1,2})", want or "")
    g = re.search(r"(\d{4})-(\d{2})-(\d{2})", got or "")
    if not m or not g:
        return False
    return tuple(map(int, m.groups())) == tuple(map(int, g.groups()))


@dataclass
class Page:
    set: str
    id: str
    url: str
    load: object  # () -> str, the decoded page
    kind: str = ""  # page type (WCXB)
    text: str | None = None  # full reference text
    text_start: str | None = None  # reference is the start of the article
    with_: list[str] = field(default_factory=list)
    without: list[str] = field(default_factory=list)
    title: str | None = None
    author: str | list | None = None
    date: str | None = None


def _decoded(path: Path) -> str:
    from snapshelf.capture.decode import decode_html

    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return decode_html(data).text


def _lazy(path: Path):
    return lambda: _decoded(path)


def wcxb_pages(corpora: Path) -> Iterator[Page]:
    root = corpora / "wcxb-dev"
    for gt_path in sorted((root / "ground-truth").glob("*.json")):
        gt = json.loads(gt_path.read_text("utf-8"))
        truth = gt.get("ground_truth") or {}
        if not (truth.get("main_content") or "").strip():
            continue
        yield Page(
            "wcxb",
            gt_path.stem,
            gt.get("url") or "",
            _lazy(root / "html" / f"{gt_path.stem}.html.gz"),
            kind=((gt.get("_internal") or {}).get("page_type") or {}).get("primary", ""),
            text=truth["main_content"],
            with_=list(truth.get("with") or []),
            without=list(truth.get("without") or []),
            title=truth.get("title"),
            author=truth.get("author"),
            date=truth.get("publish_date"),
        )


def readability_pages(corpora: Path) -> Iterator[Page]:
    import lxml.html

    root = corpora / "mozilla-readability-testpages" / "test-pages"
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        meta = json.loads((folder / "expected-metadata.json").read_text("utf-8"))
        expected = lxml.html.fromstring((folder / "expected.html").read_text("utf-8"))
        source = folder / "source.html"
        yield Page(
            "readability",
            folder.name,
            f"http://fakehost/test/{folder.name}/",
            lambda source=source: source.read_text("utf-8"),
            text=expected.text_content(),
            title=meta.get("title"),
            author=meta.get("byline"),
            date=meta.get("publishedTime"),
        )


def trafilatura_pages(corpora: Path) -> Iterator[Page]:
    root = corpora / "trafilatura-eval"
    data = json.loads((root / "evaldata.json").read_text("utf-8"))
    for url, entry in sorted(data.items()):
        name = entry["file"] + ".gz"
        path = root / "eval" / name
        if not path.is_file():
            path = root / "cache" / name
        if not path.is_file():
            continue
        yield Page(
            "trafilatura",
            entry["file"],
            url,
            _lazy(path),
            with_=list(entry.get("with") or []),
            without=list(entry.get("without") or []),
            title=entry.get("title") or None,
            author=entry.get("author") or None,
            date=entry.get("date") or None,
        )


def goose3_pages(corpora: Path) -> Iterator[Page]:
    root = corpora / "goose3-extraction-tests"
    for sub in ("content", "authors", "title", "publishdate"):
        for html_path in sorted((root / sub).glob("*.html")):
            ref = json.loads(html_path.with_suffix(".json").read_text("utf-8"))
            want = ref.get("expected") or {}
            yield Page(
                "goose3",
                f"{sub}/{html_path.stem}",
                ref.get("url") or "",
                _lazy(html_path),
                text_start=want.get("cleaned_text") or None,
                title=want.get("title") or None,
                author=want.get("authors") or None,
                date=want.get("publish_date") or None,
            )


def newspaper4k_pages(corpora: Path) -> Iterator[Page]:
    root = corpora / "newspaper4k-multilingual"
    for html_path in sorted((root / "html").glob("*.html.gz")):
        stem = html_path.name.removesuffix(".html.gz")
        meta_path = root / "metadata" / f"{stem}.json"
        txt_path = root / "txt" / f"{stem}.txt"
        meta = json.loads(meta_path.read_text("utf-8")) if meta_path.is_file() else {}
        authors = meta.get("authors")
        if isinstance(authors, str):
            try:
                authors = json.loads(authors.replace("'", '"'))
            except ValueError:
                authors = None
        yield Page(
            "newspaper4k",
            stem,
            meta.get("url") or f"https://example.com/{stem}",
            _lazy(html_path),
            text=txt_path.read_text("utf-8") if txt_path.is_file() else None,
            title=meta.get("title") or None,
            author=authors or None,
            date=meta.get("publish_date") or None,
        )


def cx163_pages(corpora: Path) -> Iterator[Page]:
    root = corpora / "cx-extractor-163-gbk"
    for path in sorted((root / "RawHtml").glob("*.html.gz"), key=lambda p: int(p.name[:-8])):
        stem = path.name[:-8]
        ref = (root / "Text" / f"{stem}.txt").read_bytes().decode("gb18030", "replace")
        yield Page("cx163", stem, f"http://news.163.com/{stem}.html", _lazy(path), text=ref)


def gne_pages(corpora: Path) -> Iterator[Page]:
    root = corpora / "gne-chinese-news"
    raw = (root / "gne_output_result.txt").read_text("utf-8")
    for m in re.finditer(r">>>>+tests/(\S+?)>>>>+\n(.*?)\n<<<<", raw, re.S):
        key, want = m.group(1), json.loads(m.group(2))
        author = want.get("author")
        yield Page(
            "gne",
            key,
            f"https://{key.split('/')[0]}.example.cn/{key}",
            _lazy(root / "pages" / f"{key}.gz"),
            text=want.get("content"),
            title=want.get("title"),
            author=None if author in (None, "", "未知", "搜索") else author,
            date=want.get("publish_time") or None,
        )


LOADERS = {
    "wcxb": wcxb_pages,
    "readability": readability_pages,
    "trafilatura": trafilatura_pages,
    "goose3": goose3_pages,
    "newspaper4k": newspaper4k_pages,
    "cx163": cx163_pages,
    "gne": gne_pages,
}


def score_page(page: Page, got) -> dict:
    """The measures of one extraction against one page's references."""
    row: dict = {"set": page.set, "id": page.id}
    if page.kind:
        row["kind"] = page.kind
    if page.text is not None:
        p, r, f = prf(got.text, page.text)
        row.update(f1=round(f, 4), precision=round(p, 4), recall=round(r, 4))
    if page.text_start:
        want = shingles(page.text_start)
        have = shingles(got.text)
        row["start_recall"] = round(sum((want & have).values()) / max(1, sum(want.values())), 4)
    flat = re.sub(r"\s+", " ", got.text).casefold()
    if page.with_:
        found = [s for s in page.with_ if re.sub(r"\s+", " ", s).casefold().strip() in flat]
        row["with"] = len(found) / len(page.with_)
    if page.without:
        leaked = [s for s in page.without if re.sub(r"\s+", " ", s).casefold().strip() in flat]
        row["without_leaked"] = len(leaked) / len(page.without)
    if page.title:
        row["title_ok"] = norm_meta(got.title) == norm_meta(page.title)
        row["title"] = [got.title, page.title]
    if page.author:
        row["author_ok"] = author_names(got.author) == author_names(page.author)
        row["author"] = [got.author, page.author]
    if page.date:
        row["date_ok"] = same_day(got.date, page.date)
        row["date"] = [got.date, page.date]
    return row


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def summarise(rows: list[dict]) -> dict:
    out: dict = {"pages": len(rows)}
    for key in ("f1", "precision", "recall", "start_recall", "with", "without_leaked"):
        values = [r[key] for r in rows if key in r]
        if values:
            out[key] = _mean(values)
            if key == "f1":
                out["f1_pages"] = len(values)
                out["f1_under_0.8"] = sum(v < 0.8 for v in values)
    for key in ("title_ok", "author_ok", "date_ok"):
        values = [r[key] for r in rows if key in r]
        if values:
            out[key.replace("_ok", "_exact")] = round(sum(values) / len(values), 4)
            out[key.replace("_ok", "_n")] = len(values)
    cpu = [r["cpu_ms"] for r in rows]
    if cpu:
        out["cpu_ms_median"] = round(statistics.median(cpu), 2)
    return out


def run(
    sets: list[str], corpora: Path, step: int = 1, dump: Path | None = None, repeat: int = 1
) -> dict:
    from snapshelf.capture.extract import extract_html

    rows: list[dict] = []
    for name in sets:
        pages = list(LOADERS[name](corpora))[::step]
        for page in pages:
            html = page.load()
            times = []
            for _ in range(max(1, repeat)):
                start = time.process_time()
                got = extract_html(html, page.url)
                times.append((time.process_time() - start) * 1000)
            row = score_page(page, got)
            row["cpu_ms"] = round(statistics.median(times), 2)
            rows.append(row)
    if dump:
        with dump.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    per_set = {s: summarise([r for r in rows if r["set"] == s]) for s in sets}
    per_type = {}
    wcxb = [r for r in rows if r["set"] == "wcxb"]
    for kind in sorted({r.get("kind", "") for r in wcxb}):
        per_type[kind] = summarise([r for r in wcxb if r.get("kind", "") == kind])
    cpu = [r["cpu_ms"] for r in rows]
    return {"per_set": per_set, "wcxb_per_type": per_type, "cpu": benchkit.spread(cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--step", type=int, default=1, help="every N-th page of each set")
    parser.add_argument("--corpora", default=None)
    parser.add_argument("--dump", default=None, help="write one JSON line per page here")
    parser.add_argument("--repeat", type=int, default=1, help="runs per page (CPU: median)")
    args = parser.parse_args()
    corpora = Path(args.corpora) if args.corpora else benchkit.CORPORA
    sets = [s for s in args.sets.split(",") if s]
    unknown = [s for s in sets if s not in LOADERS]
    if unknown:
        sys.exit(f"unknown sets: {unknown}; known: {', '.join(SETS)}")
    dump = Path(args.dump) if args.dump else None
    report = run(sets, corpora, max(1, args.step), dump, args.repeat)
    summary = {
        f"{name} {'f1' if 'f1' in s else 'start_recall' if 'start_recall' in s else 'with'}": s.get(
            "f1", s.get("start_recall", s.get("with"))
        )
        for name, s in report["per_set"].items()
    }
    summary["cpu ms/page median"] = report["cpu"]["median"]
    benchkit.emit(
        "extract_quality", MEASURES, summary, step=args.step, repeat=args.repeat, **report
    )


if __name__ == "__main__":
    main()
