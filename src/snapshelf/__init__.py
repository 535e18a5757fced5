"""Snapshelf: link snapshots, tags, search and related articles."""

import os

# NumPy's OpenBLAS starts a thread per core, and its threads spin between calls: the
# small products related articles make cost ~2x their CPU (and NumPy's import ~60 ms
# more), where worker processes already use every core. A topic fit takes as long on
# one thread (docs/related.md). Set OPENBLAS_NUM_THREADS yourself for more.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
