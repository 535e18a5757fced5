"""Related-articles quality: precision@5 on topic-labelled corpora (issue 4; docs/related.md).

Indexes the 20 Newsgroups test split (7,532 English posts, 20 labels) and the Sina
2018 news (11,685 de-duplicated Chinese articles, 6 labels) with the product's own
code: the same analyzer and the same snapshelf.related.engine.RelatedIndex the link
page uses (in memory, no database needed). For 1,000 random query documents (fixed
seed) precision@5 is the share of the top 5 related documents with the query's label.
Prints JSON. Run:
    .venv/bin/python bench/related_quality.py [--queries 1000] [--seed 7] [--docs N]
        [--pick bm25|prefilter]   (prefilter: how PostgreSQL picks the candidates)

Preparation, as a user's library would look after capture:
- 20NG: the headers are removed except Subject, which becomes the title ("Re:" cut);
  quoted replies and signatures stay (the standard 'headers' removal only).
- Sina: the file name (the headline) is the title; lines of leftover CSS are dropped;
  contents are de-duplicated by hash (of the stripped text) and empty or
  near-empty texts (under 5 characters) skipped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from snapshelf.related import engine, topics  # noqa: E402
from snapshelf.text.analyzer import analyze  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
NG = CORPORA / "20newsgroups-bydate" / "20news-bydate.tar.xz"
SINA = CORPORA / "sina-news-zh-2018" / "sina-news-2018.tar.xz"
SINA_LABELS = {"SportNews": "testSport", "TechNews": "testTech"}
MIN_CHARS = 5
_RE = re.compile(r"^\s*((re|fwd?)\s*:\s*)+", re.IGNORECASE)
_CSS = re.compile(r"[{}]|^\s*\.[\w-]+")

Doc = tuple[str, str, str]  # label, title, body


def split_post(text: str) -> tuple[str, str]:
    """(subject, body) of a news post: headers end at the first blank line."""
    head, _sep, body = text.partition("\n\n")
    subject = ""
    for line in head.splitlines():
        if line.lower().startswith("subject:"):
            subject = _RE.sub("", line[8:].strip())
    return subject, body


def newsgroups(path: Path = NG) -> Iterator[Doc]:
    with tarfile.open(path) as tar:
        for member in tar:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) != 4 or parts[1] != "20news-bydate-test":
                continue
            raw = tar.extractfile(member).read().decode("latin-1").replace("\r", "")
            subject, body = split_post(raw)
            yield parts[2], subject, body


def sina(path: Path = SINA) -> Iterator[Doc]:
    seen: set[str] = set()
    with tarfile.open(path) as tar:
        for member in tar:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) != 3 or not parts[2].endswith(".txt"):
                continue
            text = tar.extractfile(member).read().decode("utf-8", "replace").strip()
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest in seen or len(text) < MIN_CHARS:
                continue
            seen.add(digest)
            body = "\n".join(line for line in text.splitlines() if not _CSS.search(line))
            yield SINA_LABELS.get(parts[1], parts[1]), parts[2][:-4], body


def build(docs: list[Doc], pick: str = "bm25") -> engine.RelatedIndex:
    """The product's index over the documents (ids are list positions)."""
    index = engine.RelatedIndex.build(
        (engine.Entry(doc_id=i, vector={}, length=0), engine.term_counts(analyze(t), analyze(b)))
        for i, (_label, t, b) in enumerate(docs)
    )
    index.pick = pick
    return index


def precision_at(
    docs: list[Doc], index: engine.RelatedIndex, queries: list[int], k: int = 5
) -> tuple[float, list[float]]:
    """Mean share of same-label documents among the top k, and per-query times (ms)."""
    hits = total = 0
    times = []
    for q in queries:
        start = time.perf_counter()
        matches = index.related(q, limit=k)
        times.append((time.perf_counter() - start) * 1000)
        hits += sum(1 for m in matches if docs[m.doc_id][0] == docs[q][0])
        total += k  # a missing answer counts as a miss
    return hits / total, times


def measure(name: str, docs: list[Doc], n_queries: int, seed: int, pick: str = "bm25") -> dict:
    start = time.perf_counter()
    index = build(docs, pick)
    built = time.perf_counter() - start
    queries = random.Random(seed).sample(range(len(docs)), min(n_queries, len(docs)))
    p5, times = precision_at(docs, index, queries)
    times.sort()
    return {
        "corpus": name,
        "documents": len(docs),
        "labels": len({d[0] for d in docs}),
        "queries": len(queries),
        "precision_at_5": round(p5, 4),
        "build_seconds": round(built, 2),
        "query_ms_median": round(times[len(times) // 2], 2),
        "query_ms_p95": round(times[int(len(times) * 0.95)], 2),
    }


def subset(docs: list[Doc], n: int | None, seed: int) -> list[Doc]:
    if not n or n >= len(docs):
        return docs
    return random.Random(seed).sample(docs, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--docs", type=int, default=None, help="a random subset per corpus")
    parser.add_argument("--corpus", choices=["20ng", "sina", "all"], default="all")
    parser.add_argument(
        "--pick",
        choices=["bm25", "prefilter"],
        default="bm25",
        help="candidates by BM25 (SQLite) or the prefilter's order (PostgreSQL)",
    )
    args = parser.parse_args()
    results = []
    if args.corpus in ("20ng", "all"):
        docs = subset(list(newsgroups()), args.docs, args.seed)
        results.append(measure("20newsgroups-test", docs, args.queries, args.seed, args.pick))
    if args.corpus in ("sina", "all"):
        docs = subset(list(sina()), args.docs, args.seed)
        results.append(measure("sina-news-2018", docs, args.queries, args.seed, args.pick))
    settings = {
        "title_weight": engine.TITLE_WEIGHT,
        "signature_terms": engine.SIGNATURE_TERMS,
        "signature_max_df_share": engine.MAX_DF_SHARE,
        "vector_terms": engine.VECTOR_TERMS,
        "rerank": engine.RERANK,
        "prefilter_rerank": engine.PREFILTER_RERANK,
        "prefilter_postings_share": engine.PREFILTER_POSTINGS_SHARE,
        "prefilter_min_postings": engine.PREFILTER_MIN_POSTINGS,
        "shortlist": engine.SHORTLIST,
        "topics": topics.TOPICS,
        "topic_mix": topics.MIX,
        "pick": args.pick,
    }
    print(json.dumps({"settings": settings, "results": results}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
