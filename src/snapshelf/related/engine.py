"""Related articles: distinctive-term signatures matched against the owner's library.

The maths, the same for the product (snapshelf.related.links) and for
bench/related_quality.py (measured figures: docs/related.md):

- a link's terms are the analyzer's tokens of its title (counted TITLE_WEIGHT times: a
  headline names the topic) and of its body (the latest finished capture's text);
- a term weighs (1 + log tf) * idf with idf = log(N / df): sublinear, so one word
  repeated forty times does not drown the rest; each link keeps its VECTOR_TERMS
  heaviest terms as a unit vector;
- its signature is its SIGNATURE_TERMS heaviest terms that some other link also has
  and that are not common to much of the library (MAX_DF_SHARE);
- candidates are the links that share signature terms, scored BM25 (rarer shared
  terms count more, long texts are not favoured); where the index has no BM25
  (PostgreSQL), by the prefilter's own order over the rarest signature terms a
  postings budget allows (PREFILTER_RERANK, PREFILTER_POSTINGS_SHARE);
- the best RERANK of them (their SHORTLIST nearest in topic space, once the library is
  big enough for a topic model, snapshelf.related.topics) are re-ranked by cosine of
  the full vectors, mixed with the cosine of their topic vectors, plus a bonus for
  shared tags.

RelatedIndex keeps a whole corpus in memory (the quality bench, and tests of the
maths); the product asks the search index for candidates, document frequencies and
the document count, and stores the vectors. weigh, signature_of, lookup_terms,
rescore and collapse are shared by both.

Near-duplicates (fingerprints within NEAR_DUPLICATE bits) and links with the same
URL as the source are never returned; of a group of near-duplicates the newest stays.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from snapshelf.related import topics
from snapshelf.text.analyzer import is_cjk
from snapshelf.text.stopwords import is_stopword, worth_showing

TITLE_WEIGHT = 2
SIGNATURE_TERMS = 30
#: Signature terms are those in at most this share of the library (but at least
#: MIN_DF_CAP links): their postings are the longest to read, and their low idf hardly
#: moves the order (precision unchanged, related on PostgreSQL faster).
MAX_DF_SHARE = 0.02
MIN_DF_CAP = 100
VECTOR_TERMS = 1000
#: Candidates re-ranked by cosine: with topic vectors a wider pool pays, up to about this.
RERANK = 100
#: BM25 is computed only for this many links: those with the best sum of weight * idf
#: over the signature terms they hold (no term counts needed: the index answers which
#: links hold a term cheaply, while BM25 reads every occurrence of every term in every
#: match). As precise as BM25 over every match.
PREFILTER = 300
#: Where the index has no BM25 (ts_rank and ts_rank_cd know no idf), the prefilter's
#: order alone picks the candidates, this many: a wider pick makes up for the plainer
#: order. Of the extra ones only the topic vectors are read (400 bytes each).
PREFILTER_RERANK = 300
#: Where the prefilter's order picks, it reads the postings of at most this share of
#: the library (but at least PREFILTER_MIN_POSTINGS), summed over the signature terms it
#: looks up: past that, the terms most links hold are left out (the lowest idf: they
#: move its order least). There a posting costs a heap visit. The BM25 pick reads its
#: own postings and lost precision with a budget, so it looks up every term.
PREFILTER_POSTINGS_SHARE = 0.08
PREFILTER_MIN_POSTINGS = 1000
BM25_K1 = 1.2
BM25_B = 0.75
#: Added to the cosine for each shared tag, scaled by the tag's rarity.
TAG_BONUS = 0.05
#: Below this a match rests on a few common words: no relation at all. Kept low: in
#: Chinese text (many bigram dimensions) true neighbours often score under 0.05.
MIN_SCORE = 0.02
#: Without a topic model (a library under topics.MIN_DOCUMENTS links) a match in
#: Latin-script text needs a higher term cosine: in small libraries a few shared words
#: weigh a lot there, and an unrelated page scored 0.03 on "line, class". Measured on
#: 20 Newsgroups posts (docs/related.md): 36 posts of 3 groups, 84% of shown matches
#: right at 0.06 (62% at 0.04); 300 posts of 20 groups, 0.2-0.35 right under 0.06.
#: Chinese text (bigrams, many dimensions) scores lower for the same relation: there
#: MIN_SCORE stands (36 Sina articles of 3 classes: 93% right at 0.02). With a model,
#: the topic cosine carries the judgment (Sina p@5 falls 0.93 -> 0.89 at 0.04).
SMALL_LIBRARY_MIN_SCORE = 0.06
#: Fingerprints (64-bit simhash) at most this many bits apart are the same text.
NEAR_DUPLICATE = 3
#: The fingerprint of an empty text: two links without text are not duplicates.
EMPTY_TEXT = "0" * 16


def term_counts(title: str, body: str) -> Counter[str]:
    """Term frequencies of an analyzed title and body (space-joined tokens)."""
    counts = Counter(body.split())
    for term in title.split():
        counts[term] += TITLE_WEIGHT
    return counts


def hamming(a: str, b: str) -> int:
    """Bits that differ between two 16-hex-digit fingerprints (64 when unknown)."""
    if not a or not b or a == EMPTY_TEXT or b == EMPTY_TEXT:
        return 64
    try:
        return (int(a, 16) ^ int(b, 16)).bit_count()
    except ValueError:
        return 64


def weigh(counts: Counter[str], df: Mapping[str, int], n: int) -> dict[str, float]:
    """Unit vector of sublinear tf * idf over the VECTOR_TERMS heaviest terms.

    Terms every document has (idf 0) or no document has (unknown df) weigh nothing.
    """
    weights = {}
    for term, tf in counts.items():
        d = df.get(term, 0)
        if 0 < d < n:
            weights[term] = (1.0 + math.log(tf)) * math.log(n / d)
    top = heapq.nlargest(VECTOR_TERMS, weights.items(), key=lambda kv: kv[1])
    norm = math.sqrt(sum(w * w for _t, w in top)) or 1.0
    return {term: w / norm for term, w in top}


def signature_of(
    vector: dict[str, float], df: Mapping[str, int], n: int
) -> list[tuple[str, float]]:
    """The heaviest terms that some other document also has: what is worth looking up.

    Terms in more than MAX_DF_SHARE of a big library are left out: their postings are
    the longest to read and their low idf hardly moves the candidates' order. Function
    words are left out at any size: a small library's document counts cannot tell them
    from topic words, and matches (and reasons) would rest on "the, a, is"."""
    cap = max(MAX_DF_SHARE * n, MIN_DF_CAP)
    shared = [(t, w) for t, w in vector.items() if 1 < df.get(t, 0) <= cap and not is_stopword(t)]
    return heapq.nlargest(SIGNATURE_TERMS, shared, key=lambda kv: kv[1])


def idf_bm25(df: int, n: int) -> float:
    """BM25's idf (never negative)."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def lookup_terms(
    signature: list[tuple[str, float]], df: Mapping[str, int], n: int
) -> list[tuple[str, float]]:
    """The signature terms the prefilter looks up: the rarest first, while their
    postings fit the budget (PREFILTER_POSTINGS_SHARE); at least one. Signature order."""
    budget = max(PREFILTER_POSTINGS_SHARE * n, PREFILTER_MIN_POSTINGS)
    kept: set[str] = set()
    total = 0
    for term, _w in sorted(signature, key=lambda tw: (df.get(tw[0], 0), tw[0])):
        total += df.get(term, 0)
        if total > budget and kept:
            break
        kept.add(term)
    return [(t, w) for t, w in signature if t in kept]


def prefilter(
    signature: list[tuple[str, float]],
    holders: Mapping[str, Iterable[int]],
    df: Mapping[str, int],
    n: int,
    *,
    exclude: Container[int] = (),
    limit: int | None = None,
) -> list[int]:
    """Ids of the `limit` (PREFILTER) documents most worth a BM25 score, best first: by the sum of
    weight * idf of the signature terms each holds (`holders`: term -> ids of the
    documents holding it), newer (larger id) first on ties."""
    scores: dict[int, float] = {}
    for term, qw in signature:
        w = qw * idf_bm25(df.get(term, 0), n)
        for doc_id in holders.get(term, ()):
            scores[doc_id] = scores.get(doc_id, 0.0) + w
    for doc_id in exclude:
        scores.pop(doc_id, None)
    best = heapq.nlargest(
        PREFILTER if limit is None else limit, scores.items(), key=lambda kv: (kv[1], kv[0])
    )
    return [doc_id for doc_id, _score in best]


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Over the shared terms only (a set intersection, half the time of looking up every
    term of one vector in the other); fsum: the same value in any order of the terms."""
    return math.fsum(a[t] * b[t] for t in a.keys() & b.keys())


def tag_bonus(shared: Iterable[str], tag_df: Mapping[str, int], n: int) -> float:
    """A little per shared tag, more for a tag few links carry."""
    n = max(n, 2)
    return sum(TAG_BONUS * math.log(n / max(tag_df.get(t, 1), 1)) / math.log(n) for t in shared)


#: With topic vectors, only this many candidates (or twice the answers asked for), those
#: nearest the source in topic space, are read further (links' rows, term vectors) and
#: compared: the costly part of a candidate is its term vector and its row, tags and
#: fingerprint; farther ones hardly ever make the top 5.
SHORTLIST = 30


def shortlist(source: Entry, others: list[Entry], limit: int = 5) -> list[Entry]:
    """The candidates nearest the source by topic; without topics, the first RERANK
    (`others` come best first): where the prefilter's order picked a wider pool for the
    topic vectors to sort (PostgreSQL), the rest would only cost term vectors read and
    compared, and hardly ever win (docs/related.md)."""
    if source.topic is None:
        return others[: max(RERANK, 4 * limit)]
    size = max(SHORTLIST, 2 * limit)
    if len(others) <= size:
        return others
    return heapq.nlargest(
        size, others, key=lambda o: (topics.similarity(source.topic, o.topic), o.doc_id)
    )


def rescore(
    source: Entry, others: list[Entry], tag_df: Mapping[str, int], n: int
) -> list[tuple[float, Entry]]:
    """(score, entry) of the candidates worth showing: cosine (mixed with the topic
    cosine when the source has a topic vector) plus a shared-tag bonus.

    Matches on a few common words only (term cosine below min_score) are dropped.
    """
    out = []
    floor = min_score(source)
    for other in others:
        plain = cosine(source.vector, other.vector)
        if plain < floor:
            continue
        if source.topic is not None:
            plain = (1 - topics.MIX) * plain + topics.MIX * topics.similarity(
                source.topic, other.topic
            )
        out.append((plain + tag_bonus(source.tags & other.tags, tag_df, n), other))
    return out


def min_score(source: Entry) -> float:
    """The term cosine a match of `source` needs (see SMALL_LIBRARY_MIN_SCORE)."""
    if source.topic is not None:
        return MIN_SCORE
    total = sum(source.vector.values())
    cjk = sum(w for term, w in source.vector.items() if is_cjk(term[0]))
    return MIN_SCORE if total and cjk / total > 0.5 else SMALL_LIBRARY_MIN_SCORE


@dataclass
class Entry:
    """What the index keeps of one link."""

    doc_id: int
    vector: dict[str, float]  # unit vector over its heaviest terms
    length: int  # total term count, for BM25 length normalisation
    tags: frozenset[str] = frozenset()
    url_key: str = ""  # links with the same key are the same page (url_hash)
    fingerprint: str = ""
    newness: float = 0.0  # larger is newer: which near-duplicate is kept
    public: bool = False
    topic: Any = None  # unit topic vector (array of float32), when the library has a topic model


@dataclass(frozen=True)
class Match:
    doc_id: int
    score: float
    terms: tuple[str, ...]  # shared signature terms, heaviest first
    tags: tuple[str, ...]  # shared tags


@dataclass
class RelatedIndex:
    """An in-memory index of one library's signatures (built once, queried many times)."""

    entries: dict[int, Entry] = field(default_factory=dict)
    df: Counter[str] = field(default_factory=Counter)
    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    tag_df: Counter[str] = field(default_factory=Counter)
    avg_length: float = 1.0
    #: How candidates are picked from the prefilter's: "bm25" (an index with BM25) or
    #: "prefilter", its own order (one without, see PREFILTER_RERANK).
    pick: str = "bm25"

    @classmethod
    def build(cls, docs: Iterable[tuple[Entry, Counter[str]]]) -> RelatedIndex:
        """Index (entry, term counts) pairs; each entry's vector is filled in here."""
        items = list(docs)
        index = cls()
        for entry, counts in items:
            index.df.update(counts.keys())
            index.tag_df.update(entry.tags)
        n = len(items)
        total = 0
        for entry, counts in items:
            entry.vector = index._vector(counts, n)
            entry.length = sum(counts.values())
            total += entry.length
            index.entries[entry.doc_id] = entry
            for term, tf in counts.items():
                if index.df[term] > 1:  # a term no other link has can match nothing
                    index.postings.setdefault(term, []).append((entry.doc_id, tf))
        index.avg_length = total / n if n else 1.0
        vectors = [e.vector for e in index.entries.values()]
        model = topics.fit(vectors, vectors)
        for entry in index.entries.values():
            entry.topic = model.project(entry.vector) if model else None
        return index

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(len(self.entries) / df) if df else 0.0

    def _vector(self, counts: Counter[str], n: int) -> dict[str, float]:
        return weigh(counts, self.df, n)

    def signature(self, doc_id: int) -> list[tuple[str, float]]:
        """The link's most distinctive terms that other links share, heaviest first."""
        entry = self.entries.get(doc_id)
        return signature_of(entry.vector, self.df, len(self.entries)) if entry else []

    def _candidates(self, source: Entry, signature: list[tuple[str, float]]) -> dict[int, float]:
        """BM25 of the signature terms (weighted by their signature weight) per link,
        for the links `prefilter` picks."""
        n = len(self.entries)
        if self.pick == "prefilter":
            looked_up = lookup_terms(signature, self.df, n)
            holders = {t: [d for d, _tf in self.postings.get(t, ())] for t, _qw in looked_up}
            best = prefilter(
                looked_up, holders, self.df, n, exclude=(source.doc_id,), limit=PREFILTER_RERANK
            )
            return {doc_id: float(len(best) - i) for i, doc_id in enumerate(best)}
        holders = {t: [d for d, _tf in self.postings.get(t, ())] for t, _qw in signature}
        picked = set(prefilter(signature, holders, self.df, n, exclude=(source.doc_id,)))
        scores: dict[int, float] = {}
        for term, qw in signature:
            idf = idf_bm25(self.df[term], n)
            for doc_id, tf in self.postings.get(term, ()):
                if doc_id not in picked:
                    continue
                length = self.entries[doc_id].length
                norm = tf + BM25_K1 * (1 - BM25_B + BM25_B * length / self.avg_length)
                scores[doc_id] = scores.get(doc_id, 0.0) + qw * idf * tf * (BM25_K1 + 1) / norm
        return scores

    def related(
        self, doc_id: int, limit: int = 5, accept: Callable[[Entry], bool] | None = None
    ) -> list[Match]:
        """The best `limit` other links for `doc_id`, best first."""
        source = self.entries.get(doc_id)
        if source is None or limit <= 0:
            return []
        signature = self.signature(doc_id)
        scores = self._candidates(source, signature) if signature else {}
        for other in self._tag_neighbours(source):
            scores.setdefault(other, 0.0)
        size = PREFILTER_RERANK if self.pick == "prefilter" else RERANK
        pool = heapq.nlargest(max(size, limit * 4), scores.items(), key=lambda kv: kv[1])
        others = []
        for other in shortlist(source, [self.entries[i] for i, _bm25 in pool], limit):
            if accept is not None and not accept(other):
                continue
            if source.url_key and other.url_key == source.url_key:
                continue
            if hamming(source.fingerprint, other.fingerprint) <= NEAR_DUPLICATE:
                continue
            others.append(other)
        ranked = rescore(source, others, self.tag_df, len(self.entries))
        return collapse(source, signature, ranked, limit)

    def _tag_neighbours(self, source: Entry) -> list[int]:
        """Links sharing a tag, when the text alone finds few (no captured text yet)."""
        if not source.tags or len(source.vector) >= 5:
            return []
        return [
            e.doc_id
            for e in self.entries.values()
            if e.doc_id != source.doc_id and e.tags & source.tags
        ]


def collapse(
    source: Entry, signature: list[tuple[str, float]], ranked: list, limit: int
) -> list[Match]:
    """Best first, one link per near-duplicate group (the newest of it), up to `limit`.

    `ranked` is (score, entry) pairs, entries already filtered.
    """
    ranked = sorted(ranked, key=lambda so: (-so[0], -so[1].newness, -so[1].doc_id))
    kept: list[Entry] = []
    out: list[Match] = []
    groups: dict[int, int] = {}  # id of a kept entry -> its index in out
    for score, other in ranked:
        twin = next(
            (
                k
                for k in kept
                if k.fingerprint and hamming(k.fingerprint, other.fingerprint) <= NEAR_DUPLICATE
            ),
            None,
        )
        if twin is not None:
            if other.newness > twin.newness:  # the newer copy takes the place
                i = groups.pop(twin.doc_id)
                kept[kept.index(twin)] = other
                groups[other.doc_id] = i
                out[i] = _match(source, signature, other, out[i].score)
            continue
        if len(out) >= limit:
            continue
        groups[other.doc_id] = len(out)
        kept.append(other)
        out.append(_match(source, signature, other, score))
    return out


def _match(source: Entry, signature: list, other: Entry, score: float) -> Match:
    terms = tuple(t for t, _w in signature if t in other.vector and worth_showing(t))
    tags = tuple(sorted(source.tags & other.tags, key=lambda n: (n.lower(), n)))
    return Match(other.doc_id, round(score, 6), terms, tags)
