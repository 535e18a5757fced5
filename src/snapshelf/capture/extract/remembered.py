"""A predicate on strings whose answers are kept, for the tests run on class and id values.

The same class and id values recur across a page's elements, across trafilatura's
passes over copies of the page and across pages of one site, so most tests become one
dictionary lookup. The store is cleared when it reaches ``limit`` entries: a page has a
few hundred distinct values, and a worker meets thousands of sites (some thirty of
these stores, at most about 0.5 MB each).
"""

from __future__ import annotations

from collections.abc import Callable


class Remembered(dict):
    """``remembered[value]`` is ``predicate(value)``, computed once per value."""

    def __init__(self, predicate: Callable[[str], bool], limit: int = 4096) -> None:
        super().__init__()
        self.predicate = predicate
        self.limit = limit

    def __missing__(self, value: str) -> bool:
        if len(self) >= self.limit:
            self.clear()
        answer = self[value] = bool(self.predicate(value))
        return answer
