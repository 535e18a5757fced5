"""Run every benchmark in turn (`make bench`) and end with a one-screen summary.

Which benchmarks: every `bench/bench_*.py` (found by name, so a new one is picked up
without touching this file) and `related_quality.py`. The common entry point is the
script itself: run with no arguments it measures at full size and prints one JSON
report through `benchkit.emit` (benchmark, measures, summary, machine, load). A script
may declare `QUICK_ARGS = [...]` (a literal list) for `--quick`, a smaller run for a
first look. Reports that are not benchkit's still run and are kept, with no summary.

The machine and the load average at the start of each benchmark are on the summary:
these figures come from a shared 2-core machine, so the load says how far to trust them.
Every report is also written, whole, to one JSON file (`--out`, default in /tmp).
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import benchkit  # noqa: E402

#: scripts that do not follow the bench_*.py naming, run after those
EXTRA = ["related_quality.py"]


def scripts(only: list[str] | None) -> list[Path]:
    found = [*sorted(HERE.glob("bench_*.py")), *(HERE / name for name in EXTRA)]
    if only:
        found = [p for p in found if any(o in p.stem for o in only)]
    return found


def quick_args(script: Path) -> list[str]:
    """The script's literal `QUICK_ARGS` list, read without importing it."""
    for node in ast.parse(script.read_text("utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "QUICK_ARGS" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    return []


def last_json(text: str) -> dict | None:
    """The last JSON object a script printed (some print progress lines before it)."""
    start = text.rfind("\n{")
    for pos in ([start + 1] if start >= 0 else []) + [0]:
        try:
            return json.loads(text[pos:])
        except ValueError:
            continue
    return None


def run_one(script: Path, extra: list[str]) -> dict:
    load = benchkit.load()
    print(f"== {script.name} {' '.join(extra)}  (load average {load})", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(script), *extra], stdout=subprocess.PIPE, text=True, check=False
    )
    elapsed = time.perf_counter() - t0
    sys.stdout.write(proc.stdout)
    return {
        "script": script.name,
        "args": extra,
        "load_average_start": load,
        "seconds": round(elapsed, 1),
        "returncode": proc.returncode,
        "report": last_json(proc.stdout),
    }


def summary_lines(runs: list[dict]) -> list[str]:
    m = benchkit.machine()
    lines = [
        "",
        "=" * 78,
        f"machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}; "
        f"SQLite {m['sqlite']}; {m['os']}",
        "=" * 78,
    ]
    for run in runs:
        report = run["report"] or {}
        status = "ok" if run["returncode"] == 0 else f"FAILED (exit {run['returncode']})"
        load = " ".join(f"{x:.2f}" for x in run["load_average_start"])
        lines.append(f"{run['script']:<22} {status:<8} {run['seconds']:>7.1f} s   load {load}")
        if run["args"]:
            lines.append(f"    args: {' '.join(run['args'])}")
        if report.get("measures"):
            lines.append(f"    measures: {_short(report['measures'], 70)}")
        for key, value in (report.get("summary") or {}).items():
            lines.append(f"    {key:<36} {value}")
    return lines


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each script's QUICK_ARGS")
    parser.add_argument("--only", nargs="*", help="only scripts whose name contains one of these")
    parser.add_argument("--out", help="write every report here (JSON)")
    args = parser.parse_args()
    runs = []
    for script in scripts(args.only):
        runs.append(run_one(script, quick_args(script) if args.quick else []))
    out = Path(args.out or tempfile.mkstemp(prefix="snapshelf-bench-", suffix=".json")[1])
    out.write_text(json.dumps({"machine": benchkit.machine(), "runs": runs}, indent=2) + "\n")
    print("\n".join(summary_lines(runs)))
    print(f"every report: {out}")
    failed = [r["script"] for r in runs if r["returncode"]]
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
