"""Related-articles quality: precision@5 on topic-labelled corpora (issue 4; docs/related.md).

Indexes the 20 Newsgroups test split (7,532 English posts, 20 labels) and the Sina
2018 news (11,685 de-duplicated Chinese articles, 6 labels) with the product's own
code: the same analyzer and the same snapshelf.related.engine.RelatedIndex the link
page uses (in memory, no database needed). For 1,000 random query documents (fixed
seed) precision@5 is the share of the top 5 related documents with the query's label.
Prints JSON. Run:
    .venv/bin/python bench/related_quality.py [--queries 1000] [--seed 7] [--docs N]
        [--pick bm25|prefilter]   (prefilter: how PostgreSQL picks the candidates)
        [--path engine|product]

Two paths, and the report's `path` and `measures` say which one ran:
- engine (default): RelatedIndex built in memory straight from the analyzed texts. The
  entries carry no near-duplicate fingerprints, tags, URL keys or topic vectors, so the
  product's near-duplicate collapsing and tag re-scoring never act here.
- product: the documents become links with finished snapshots in a throw-away SQLite
  database (the snapshot's text and title as a capture stores them, with the capture's
  own text fingerprint), `search.index.rebuild` indexes them (term vectors and topic
  model included), and each query is `related.links.related_links(link, limit=5)` with
  an empty cache, as the link page calls it. No capture runs (these corpora are plain
  text; a capture would store the same text). Slower: use --docs for a quick look.

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
import random
import re
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))  # benchkit, also when imported as bench.related_quality

import benchkit  # noqa: E402

from snapshelf.related import engine, topics  # noqa: E402
from snapshelf.text.analyzer import analyze  # noqa: E402

CORPORA = benchkit.CORPORA
NG = CORPORA / "20newsgroups-bydate" / "20news-bydate.tar.xz"
SINA = CORPORA / "sina-news-zh-2018" / "sina-news-2018.tar.xz"
SINA_LABELS = {"SportNews": "testSport", "TechNews": "testTech"}
MIN_CHARS = 5
_RE = re.compile(r"^\s*((re|fwd?)\s*:\s*)+", re.IGNORECASE)
_CSS = re.compile(r"[{}]|^\s*\.[\w-]+")

Doc = tuple[str, str, str]  # label, title, body
#: what run_all.py --quick passes
QUICK_ARGS = ["--docs", "3000", "--queries", "300"]
MEASURES = {
    "engine": "precision@5 and per-query time of snapshelf.related.engine.RelatedIndex.related "
    "over an in-memory index built from the analyzed texts; without the product's "
    "near-duplicate fingerprints, tags, URL keys or topic vectors; no database",
    "product": "precision@5 and per-query time of related.links.related_links(link, limit=5) "
    "with an empty cache, over links whose snapshots hold the texts and the capture's "
    "fingerprints, indexed by search.index.rebuild (vectors, topic model) in SQLite; "
    "no capture",
}


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


def measure_product(
    name: str, docs: list[Doc], n_queries: int, seed: int, pick: str = "bm25"
) -> dict:
    """The link page's path: rows in a database, the product's index, related_links."""
    from django.core.cache import cache

    from snapshelf.library.models import Link
    from snapshelf.related.links import related_links
    from snapshelf.search import index

    start = time.perf_counter()
    _user, ids = populate_links(name, docs)
    index.rebuild()
    built = time.perf_counter() - start
    label = {pk: docs[i][0] for i, pk in enumerate(ids)}
    queries = random.Random(seed).sample(range(len(docs)), min(n_queries, len(docs)))
    hits = total = 0
    times = []
    for q in queries:
        cache.clear()
        link = Link.objects.select_related("latest_snapshot").get(pk=ids[q])
        t = time.perf_counter()
        found = related_links(link, limit=5)
        times.append((time.perf_counter() - t) * 1000)
        hits += sum(1 for r in found if label.get(r.link.pk) == docs[q][0])
        total += 5
    times.sort()
    return {
        "corpus": name,
        "documents": len(docs),
        "labels": len({d[0] for d in docs}),
        "queries": len(queries),
        "precision_at_5": round(hits / total, 4),
        "build_seconds": round(built, 2),
        "query_ms_median": round(times[len(times) // 2], 2),
        "query_ms_p95": round(times[int(len(times) * 0.95)], 2),
    }


def setup_django() -> None:
    import os
    import tempfile

    os.environ["SNAPSHELF_DATA_DIR"] = tempfile.mkdtemp(prefix="snapshelf-bench-related-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "snapshelf.settings"
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate_links(name: str, docs: list[Doc]) -> tuple[object, list[int]]:
    """A user of its own per corpus with one link and a finished snapshot per document."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from snapshelf.capture.fingerprint import fingerprint
    from snapshelf.library.models import Link, Snapshot

    user = get_user_model().objects.create_user(f"bench-{name}", "", "bench-password-123")
    ids: list[int] = []
    with transaction.atomic():
        for start in range(0, len(docs), 2000):
            chunk = docs[start : start + 2000]
            links = Link.objects.bulk_create(
                Link(
                    owner=user,
                    url=(url := f"https://{name}.example.org/doc/{start + i}"),
                    url_normalized=url,
                    url_hash=hashlib.sha256(url.encode()).hexdigest(),
                )
                for i in range(len(chunk))
            )
            snaps = Snapshot.objects.bulk_create(
                Snapshot(
                    link=link,
                    version=1,
                    status=Snapshot.Status.DONE,
                    title=title,
                    text=body,
                    kind="html",
                    fingerprint=fingerprint(body),
                )
                for link, (_label, title, body) in zip(links, chunk, strict=True)
            )
            for link, snap in zip(links, snaps, strict=True):
                link.latest_snapshot = snap
            Link.objects.bulk_update(links, ["latest_snapshot"])
            ids += [link.pk for link in links]
    return user, ids


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
    parser.add_argument(
        "--path",
        choices=["engine", "product"],
        default="engine",
        help="the engine in memory (no fingerprints, tags, topics) or the link page's path",
    )
    args = parser.parse_args()
    run = measure
    if args.path == "product":
        setup_django()
        run = measure_product
    results = []
    if args.corpus in ("20ng", "all"):
        docs = subset(list(newsgroups()), args.docs, args.seed)
        results.append(run("20newsgroups-test", docs, args.queries, args.seed, args.pick))
    if args.corpus in ("sina", "all"):
        docs = subset(list(sina()), args.docs, args.seed)
        results.append(run("sina-news-2018", docs, args.queries, args.seed, args.pick))
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
    benchkit.emit(
        "related_quality",
        MEASURES[args.path],
        {f"p@5 {r['corpus'][:4]}": r["precision_at_5"] for r in results}
        | {f"query p95 ms {r['corpus'][:4]}": r["query_ms_p95"] for r in results},
        path=args.path,
        settings=settings,
        results=results,
    )


if __name__ == "__main__":
    main()
