"""What every benchmark's report shares: the machine, the load, what was timed.

A figure without the machine it ran on, the other work on that machine, and the exact
extent of its timed region cannot be compared with anything, so every `bench_*.py`
prints its JSON through `emit`:

    {"benchmark": NAME, "measures": "what the timed region includes", "summary": {...},
     "machine": {...}, "load_average_start": [1, 5, 15 min], "load_average_end": [...],
     ...the benchmark's own details}

`summary` holds the few headline figures `run_all.py` shows on its one-screen summary.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
from pathlib import Path

_START_LOAD = os.getloadavg()
ROOT = Path(__file__).resolve().parents[1]
#: the shared corpora: beside the project, or wherever $SNAPSHELF_CORPORA says
CORPORA = Path(os.environ.get("SNAPSHELF_CORPORA") or ROOT.parent / "shared" / "corpora")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": platform.platform(terse=True),
    }


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def percentile(values: list[float], q: float) -> float:
    """The q-quantile by the nearest-rank rule on the sorted values (q in 0..1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def spread(values: list[float], digits: int = 1) -> dict:
    """Median, p95 and extremes of a list of measurements."""
    return {
        "median": round(statistics.median(values), digits),
        "p95": round(percentile(values, 0.95), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "n": len(values),
    }


def stage_medians(timings: list[dict]) -> dict:
    """Per stage, the median over runs of the numeric stage timings (e.g. `fetch_ms`)."""
    stages: dict[str, list[float]] = {}
    for t in timings:
        for key, value in t.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                stages.setdefault(key, []).append(float(value))
    return {k: round(statistics.median(v), 1) for k, v in stages.items()}


def emit(name: str, measures: str, summary: dict, **details) -> dict:
    """Print the report as one JSON document on standard output (and return it)."""
    report = {
        "benchmark": name,
        "measures": measures,
        "summary": summary,
        "machine": machine(),
        "load_average_start": [round(x, 2) for x in _START_LOAD],
        "load_average_end": load(),
        **details,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False, default=str), flush=True)
    return report
