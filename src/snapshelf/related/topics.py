"""Topic vectors for related articles: latent semantic analysis of the term vectors.

Two articles about the same subject often share few exact terms (Chinese bigrams
especially: one report says 学生 and 高考, another 考生 and 志愿). A truncated SVD of
the library's TF-IDF vectors (the ones snapshelf.related.engine weighs) finds the
directions along which terms occur together; a link's topic vector is its term vector
projected onto the TOPICS strongest of them. Related articles score a candidate by
the mean of the term cosine and the topic cosine (MIX): the largest single gain in
precision (docs/related.md).

The model is fitted on at most FIT_DOCUMENTS vectors (a random sample of a big
library), over the MODEL_TERMS terms most documents share: rarer terms carry no
co-occurrence a 100-dimensional model could keep, and the model stays ~8 MB.
No model below MIN_DOCUMENTS: a small library's co-occurrences are noise.
"""

from __future__ import annotations

import operator
import sys
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

TOPICS = 100
#: Score = (1 - MIX) * term cosine + MIX * topic cosine: an even mix measured best.
MIX = 0.5
MODEL_TERMS = 20_000
FIT_DOCUMENTS = 20_000
MIN_DOCUMENTS = 1000


@dataclass
class TopicModel:
    """term -> row of `matrix`, whose rows are the terms' coordinates in topic space."""

    terms: dict[str, int]
    matrix: np.ndarray  # float32, len(terms) x topics

    def project(self, vector: Mapping[str, float]) -> array | None:
        """The unit topic vector of a term vector; None when it holds no model term."""
        import numpy as np

        rows, weights = [], []
        get = self.terms.get
        for term, weight in vector.items():
            row = get(term)
            if row is not None:
                rows.append(row)
                weights.append(weight)
        if not rows:
            return None
        topic = np.asarray(weights, dtype=np.float32) @ self.matrix[rows]
        norm = float(np.linalg.norm(topic))
        return unpack((topic / norm).astype("<f4").tobytes()) if norm > 0 else None

    def to_bytes(self) -> tuple[str, bytes]:
        """(terms space-joined in row order, the matrix as little-endian float32)."""
        ordered = sorted(self.terms, key=self.terms.__getitem__)
        return " ".join(ordered), self.matrix.astype("<f4").tobytes()

    @classmethod
    def from_bytes(cls, terms: str, matrix: bytes) -> TopicModel:
        import numpy as np

        names = terms.split()
        values = np.frombuffer(bytes(matrix), dtype="<f4").astype(np.float32)
        return cls(
            terms={t: i for i, t in enumerate(names)},
            matrix=values.reshape(len(names), -1) if names else values.reshape(0, TOPICS),
        )


def unpack(raw: bytes) -> array:
    """A stored topic vector (little-endian float32), as a plain array: answering
    related compares stored vectors only, which needs no NumPy (~40-70 ms of every
    `snapshelf related` that loads it)."""
    vector = array("f", raw)
    if sys.byteorder != "little":
        vector.byteswap()
    return vector


def pack(vector: array) -> bytes:
    """unpack's inverse."""
    if sys.byteorder != "little":
        vector = array("f", vector)
        vector.byteswap()
    return vector.tobytes()


def similarity(a: array | None, b: array | None) -> float:
    """Cosine of two unit topic vectors; 0 when either is unknown."""
    if a is None or b is None:
        return 0.0
    return sum(map(operator.mul, a, b))


def fit(
    vocabulary: Iterable[Mapping[str, float]],
    vectors: Iterable[Mapping[str, float]],
) -> TopicModel | None:
    """Fit the model on unit term vectors (None when they are too few to say anything).

    The MODEL_TERMS terms are those most of the `vocabulary` vectors hold (a subsample
    will do: counting every term of 20,000 documents takes ~300 MB); `vectors` are then
    read once, keeping only those terms, so the sample is never all in memory as Python
    objects."""
    df: Counter[str] = Counter()
    for vector in vocabulary:
        df.update(vector.keys())
    kept = [t for t, d in df.most_common(MODEL_TERMS) if d > 1]
    del df
    terms = {t: i for i, t in enumerate(kept)}
    # compressed rows built as they come: no (row, column) pairs to sort and convert
    cols, data, starts = array("i"), array("f"), array("q", [0])
    for vector in vectors:
        if not vector:
            continue
        for term, weight in vector.items():
            col = terms.get(term)
            if col is not None:
                cols.append(col)
                data.append(weight)
        starts.append(len(cols))
    count = len(starts) - 1
    if count < MIN_DOCUMENTS:
        return None
    k = min(TOPICS, count - 1, len(kept) - 1)
    if k < 2:
        return None
    # NumPy and SciPy load for a fit only: answering related reads stored vectors
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import svds

    matrix = csr_matrix(
        (
            np.frombuffer(data, dtype=np.float32),
            np.frombuffer(cols, dtype=np.int32),
            np.frombuffer(starts, dtype=np.int64),
        ),
        shape=(count, len(kept)),
    )
    # a fixed start vector: the same library gives the same model (and answers)
    start = np.full(min(matrix.shape), 1.0 / np.sqrt(min(matrix.shape)), dtype=np.float32)
    _u, _s, vt = svds(matrix, k=k, v0=start)
    return TopicModel(terms=terms, matrix=np.ascontiguousarray(vt.T, dtype=np.float32))
