"""Text analysis shared by search, related articles and version diffs (Django-free).

analyzer:  text -> tokens, the same at index and query time (CJK runs as bigrams).
stopwords: function words that carry no topic.
"""
