"""Related articles and tag suggestions, built on the search index.

engine:      the maths (TF-IDF signatures, BM25 pick, cosine re-rank, near-duplicates),
             also run in memory by bench/related_quality.py.
topics:      the topic model (latent semantic analysis of the term vectors).
vectors:     each link's stored term vector, kept in step with the index.
topic_store: the stored topic model, refitted as the library grows.
links:       what the link page, public pages and the CLI call (related_links).
suggest:     tag suggestions for a link.

Above snapshelf.search (which never imports this package): the index tells this one
about its writes through hooks registered in apps.RelatedConfig.ready().
"""
