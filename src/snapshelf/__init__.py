"""Snapshelf: link snapshots, tags, search and related articles."""

import os

# NumPy's OpenBLAS starts a thread per core, and its threads spin between calls: the
# small products related articles make cost ~2x their CPU (and ~70 ms more to import),
# on machines where worker processes already use every core. Set it to have more.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
