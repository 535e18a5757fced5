"""Full-text search: one index document per link, queried with a small query language.

query:     the query language -> a backend-neutral Query.
backends:  the index's storage and SQL: SQLite FTS5 or PostgreSQL tsvector, one interface.
index:     the front callers use: keeping documents current and searching.
writing:   index upkeep (and hooks for data derived from the documents).
ranking:   matching links in rank order; filters: the query's non-word filters.
hits:      hits with highlighted snippets; snippets: the excerpts themselves.
stats:     document counts and frequencies.

Related articles and tag suggestions build on this package (snapshelf.related).
"""
