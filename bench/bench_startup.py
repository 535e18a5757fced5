"""Command start-up: the CPU each light command costs against a bare Django set-up.

A user who types `snapshelf list` pays the interpreter, Django and every module the
command imports before the first row; this measures that, as a whole process:

- bare: `python -c` that sets up a Django project with the same django.contrib apps
  as Snapshelf (and nothing else) on SQLite, and counts the users: the floor.
- each command (`list`, `show`, `search`, `related`, `status`, and `add` without
  --wait, which is not a light command), run as `snapshelf COMMAND … --json` on a
  library of 1,200 links imported with their article text (wallabag JSON, so every
  link has a done snapshot), with a fitted topic model (so `related` loads one).

Both trees are byte-compiled first, as `make setup` and any installed package are (where
PYTHONDONTWRITEBYTECODE is set, an uncompiled tree costs every command ~0.1 s of
compiling that Django's own, compiled files do not).

The figure is the user + system CPU time of the child process (`os.wait4`), the
median of `--runs` runs; wall time is reported beside it but the machine is shared,
so CPU time is the figure to trust. `ratio` is command CPU / bare CPU.

`--before PATH` runs the same commands with another checkout's code (a git worktree
of the old commit: `git worktree add /tmp/before-speed <commit>`), on the same data,
interleaved with this checkout's runs, so both see the same load. Run:
    .venv/bin/python bench/bench_startup.py [--runs 7] [--before /tmp/before-speed]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import benchkit  # noqa: E402

#: what run_all.py --quick passes
QUICK_ARGS = ["--runs", "3", "--links", "1100"]
#: the commands the issue calls light (target: at most 1.5 x the bare set-up)
LIGHT = ("list", "show", "search", "related", "status")
RUN_CLI = "import sys; from snapshelf.cli import main; sys.exit(main(sys.argv[1:]))"
BARE = (
    "import django; django.setup(); from django.contrib.auth.models import User; "
    "User.objects.count()"
)


def child_cpu(argv: list[str], env: dict) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of `argv`; a failure stops the bench."""
    with tempfile.TemporaryFile() as errors:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            errors.seek(0)
            text = errors.read().decode(errors="replace")[-1500:]
            raise RuntimeError(f"{argv[3:]} failed ({proc.returncode}): {text}")
    return usage.ru_utime + usage.ru_stime, wall


def bare_project(folder: Path, apps: list[str]) -> dict:
    """A settings module with only the contrib apps, migrated; the environment to use it."""
    (folder / "bare_settings.py").write_text(
        "SECRET_KEY = 'bench'\n"
        f"INSTALLED_APPS = {apps!r}\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', "
        f"'NAME': {str(folder / 'db.sqlite3')!r}}}}}\n"
        "USE_TZ = True\n",
        "utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SNAPSHELF_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="bare_settings", PYTHONPATH=str(folder))
    migrate = "import django; django.setup(); from django.core.management import call_command; "
    migrate += "call_command('migrate', verbosity=0)"
    subprocess.run([sys.executable, "-c", migrate], env=env, check=True)
    return env


def library_file(folder: Path, count: int) -> Path:
    """A wallabag v2 export of `count` links, each with an article of its own (two
    readability test pages' expected text, in a pairing no other entry has)."""
    pages = sorted((benchkit.CORPORA / "mozilla-readability-testpages" / "test-pages").iterdir())
    texts = [
        (p / "expected.html").read_text("utf-8") for p in pages if (p / "expected.html").is_file()
    ]
    n = len(texts)
    entries = [
        {
            "url": f"https://example.org/articles/{i}",
            "title": f"Article {i}",
            "tags": [{"label": f"topic{i % 7}"}],
            "is_archived": 0,
            "is_starred": 0,
            "created_at": "2024-01-01T00:00:00+00:00",
            "content": texts[i % n] + texts[(i // n + 1 + i) % n],
        }
        for i in range(count)
    ]
    path = folder / "wallabag.json"
    path.write_text(json.dumps(entries), "utf-8")
    return path


def tree_env(base: dict, src: Path) -> dict:
    return dict(base, PYTHONPATH=str(src))


def fill_library(env: dict, folder: Path, links: int) -> dict:
    """init, import the links with their text, fit the topic model (reindex)."""

    def run(*args: str) -> str:
        argv = [sys.executable, "-c", RUN_CLI, *args]
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if proc.returncode:
            raise RuntimeError(f"snapshelf {args} failed: {proc.stderr[-2000:]}")
        return proc.stdout

    run("init")
    run("import", str(library_file(folder, links)), "--no-capture", "--json")
    run("reindex")
    listed = json.loads(run("list", "--json", "--limit", "1"))
    return {"link_id": listed[0]["link_id"], "snapshot_id": listed[0]["snapshot_id"]}


def commands(ids: dict) -> dict[str, list[str]]:
    return {
        "list": ["list", "--json"],
        "show": ["show", str(ids["snapshot_id"]), "--json"],
        "search": ["search", "article", "--json"],
        "related": ["related", str(ids["link_id"]), "--json"],
        "status": ["status", "--json"],
        "add": ["add", "https://example.org/new/{n}", "--json"],  # queued, no worker
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--links", type=int, default=1200, help="links in the library")
    parser.add_argument("--before", type=Path, help="another checkout to compare with")
    parser.add_argument("--only", help="comma-separated commands (default: all)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="snapshelf-bench-startup-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SNAPSHELF_", "DJANGO_"))}
    base.update(SNAPSHELF_DATA_DIR=str(folder / "data"), SNAPSHELF_DNS="off")
    trees = {"after": ROOT}
    if args.before:
        trees = {"before": args.before.resolve(), **trees}
    envs = {name: tree_env(base, tree / "src") for name, tree in trees.items()}
    for tree in trees.values():  # as installed (make setup): Django's own files are too
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "src")], check=True)

    os.environ["DJANGO_SETTINGS_MODULE"] = "snapshelf.settings"
    os.environ["SNAPSHELF_DATA_DIR"] = str(folder / "data")
    import django

    django.setup()
    from django.conf import settings

    contrib = [a for a in settings.INSTALLED_APPS if a.startswith("django.contrib.")]
    bare_env = bare_project(folder, contrib)
    ids = fill_library(envs["after"], folder, args.links)
    if args.before:  # a data directory each: `status` remembers its browser probe there,
        # checked against the tree's own files, and two trees in one would probe every time
        for name in trees:
            shutil.copytree(folder / "data", folder / f"data-{name}")
            envs[name]["SNAPSHELF_DATA_DIR"] = str(folder / f"data-{name}")
    cmds = commands(ids)
    if args.only:
        cmds = {k: v for k, v in cmds.items() if k in args.only.split(",")}

    cpu: dict[str, dict[str, list[float]]] = {"bare": {"bare": []}}
    wall: dict[str, dict[str, list[float]]] = {"bare": {"bare": []}}
    for name in trees:
        cpu[name] = {c: [] for c in cmds}
        wall[name] = {c: [] for c in cmds}
    for n in range(args.runs):  # interleaved: every tree sees the same load
        c, w = child_cpu([sys.executable, "-c", BARE], bare_env)
        cpu["bare"]["bare"].append(c)
        wall["bare"]["bare"].append(w)
        for cmd, argv in cmds.items():
            for name, env in envs.items():
                argv_n = [a.replace("{n}", f"{name}-{n}") for a in argv]
                c, w = child_cpu([sys.executable, "-c", RUN_CLI, *argv_n], env)
                cpu[name][cmd].append(c)
                wall[name][cmd].append(w)

    bare_ms = statistics.median(cpu["bare"]["bare"]) * 1000
    table: dict[str, dict] = {}
    for cmd in cmds:
        row: dict = {}
        for name in trees:
            ms = statistics.median(cpu[name][cmd]) * 1000
            row[name] = {
                "cpu_ms": round(ms),
                "ratio": round(ms / bare_ms, 2),
                "wall_ms": round(statistics.median(wall[name][cmd]) * 1000),
                "cpu_ms_runs": [round(v * 1000) for v in cpu[name][cmd]],
            }
        table[cmd] = row
    summary = {"bare Django CPU ms": round(bare_ms)}
    for cmd, row in table.items():
        shown = " -> ".join(f"{row[name]['cpu_ms']} ms ({row[name]['ratio']}x)" for name in trees)
        summary[f"{cmd} CPU" + (" before -> after" if args.before else "")] = shown
    benchkit.emit(
        "startup",
        "user+system CPU of whole processes, median of runs: a bare Django set-up with the "
        "same contrib apps (set-up + one query) and each `snapshelf COMMAND --json` on a "
        f"library of {args.links} links with text and a topic model; ratio = command / bare",
        summary,
        runs=args.runs,
        light_commands=list(LIGHT),
        target_ratio=1.5,
        bare={
            "cpu_ms": round(bare_ms),
            "wall_ms": round(statistics.median(wall["bare"]["bare"]) * 1000),
            "apps": contrib,
        },
        commands=table,
        trees={name: str(tree) for name, tree in trees.items()},
    )


if __name__ == "__main__":
    main()
