"""Full-text search and related articles (DESIGN.md §8).

analyzer: text -> tokens, the same at index and query time (CJK as bigrams).
query:    the query language -> a backend-neutral Query.
index:    keeping the per-link search documents and running queries (SQLite FTS5,
          PostgreSQL tsvector).
snippets: highlighted excerpts cut from the original text.
related:  related articles from distinctive-term signatures.
"""
