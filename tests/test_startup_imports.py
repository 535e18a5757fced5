"""The light commands load only what they use (issue 25): no capture stack, no browser,
no HTTP client, no NumPy (related articles compare stored topic vectors in plain
Python), no topic-model fitting and no queue client (`status` reads the embedded queue's
file itself: jobs.peek).

Each command runs as a real `snapshelf` process on a library of its own; at exit the
process writes the names of every module it loaded, and the test looks for the heavy
ones. A module-level import of the capture stack anywhere on these commands' path
(an app's ready(), the admin, a model, the command's own imports) fails here, with the
command and the module named. How fast they start is bench/bench_startup.py's job.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.webserver import instance_env

#: loaded by no light command
HEAVY = (
    "trafilatura",
    "lxml",
    "playwright",
    "scipy",
    "numpy",
    "httpx",
    "httpcore",
    "warcio",
    "tinycss2",
    "nh3",
    "rich",  # the consoles and tables: not for --json output
    "snapshelf.jobs.capture",
    "snapshelf.jobs.tasks",
    "snapshelf.net.fetch",
    "snapshelf.capture.static",
    "snapshelf.capture.browser",
    "snapshelf.capture.browser_service",
    "snapshelf.capture.extract",
    "snapshelf.capture.html",
    "snapshelf.capture.css",
    "snapshelf.services.links",
    "snapshelf.io.importers",
    "snapshelf.io.exporters",
    "snapshelf.io.warc",
)
#: the queue's client (Huey loads Redis' and psycopg's)
QUEUE = ("huey", "redis", "psycopg")
#: the only snapshelf.capture modules a light command may load (URL normalisation)
CAPTURE_ALLOWED = {"snapshelf.capture", "snapshelf.capture.normalize"}
#: `status` also says whether the browser can run, and sandboxed: the probes only
STATUS_ALLOWED = {
    "snapshelf.capture.browser_check",
    "snapshelf.capture.sandbox",
    "snapshelf.capture.sandbox_exec",
}

RUN = (
    "import atexit, json, sys\n"
    "def dump():\n"
    "    with open(sys.argv[1], 'w') as f:\n"
    "        json.dump(sorted(sys.modules), f)\n"
    "atexit.register(dump)\n"
    "from snapshelf.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


def python(env: dict, code: str, *args: str) -> str:
    """Run `python -c code args…` in the instance's environment; its stdout."""
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def snapshelf(env: dict, *args: str) -> str:
    return python(env, "import sys; from snapshelf.cli import main; sys.exit(main())", *args)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> tuple[dict, dict]:
    """An instance with one user and one (queued) link with tags."""
    env = instance_env(tmp_path_factory.mktemp("startup-data"))
    snapshelf(env, "init")
    added = json.loads(snapshelf(env, "add", "http://site.test/page", "--tag", "t", "--json"))
    return env, added


def loaded_by(env: dict, tmp_path, *args: str) -> set[str]:
    out = tmp_path / "modules.json"
    python(env, RUN, str(out), *args)
    return set(json.loads(out.read_text()))


def heavy_in(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n in modules or any(m.startswith(n + ".") for m in modules))


@pytest.mark.parametrize(
    "command",
    ["list", "show", "search", "related", "status"],
)
def test_a_light_command_loads_no_heavy_module(library, tmp_path, command):
    env, added = library
    args = {
        "list": ["list", "--json"],
        "show": ["show", str(added["snapshot_id"]), "--json"],
        "search": ["search", "page", "--json"],
        "related": ["related", str(added["link_id"]), "--json"],
        "status": ["status", "--json"],
    }[command]
    modules = loaded_by(env, tmp_path, *args)
    assert "django" in modules and "snapshelf.cli" in modules  # the dump works
    assert heavy_in(modules, HEAVY) == [], command
    capture = sorted(m for m in modules if m.startswith("snapshelf.capture."))
    allowed = CAPTURE_ALLOWED | (STATUS_ALLOWED if command == "status" else set())
    assert set(capture) <= allowed, (command, capture)
    assert heavy_in(modules, QUEUE) == [], command


TOPIC = {
    "cooking": "bread flour oven dough yeast baking loaf crust sugar butter salt water",
    "sailing": "boat sail wind harbour mast keel anchor tide rope deck chart compass",
}


@pytest.fixture(scope="module")
def modelled(tmp_path_factory) -> tuple[dict, int]:
    """An instance whose links have text and stored topic vectors: a topic model fitted
    (on sixteen links, under a lowered MIN_DOCUMENTS) as `snapshelf reindex` fits one."""
    folder = tmp_path_factory.mktemp("startup-topics")
    env = instance_env(folder)
    snapshelf(env, "init")
    entries = [
        {
            "url": f"https://example.org/{topic}/{i}",
            "title": f"{topic}: {words.split()[i]}",
            "content": "<p>" + " ".join(words.split()[i : i + 5] * (1 + i % 3)) + "</p>",
            "created_at": "2024-01-01T00:00:00+00:00",
            "tags": [],
            "is_archived": 0,
            "is_starred": 0,
        }
        for topic, words in TOPIC.items()
        for i in range(8)
    ]
    export = folder / "wallabag.json"
    export.write_text(json.dumps(entries), "utf-8")
    snapshelf(env, "import", str(export), "--no-capture", "--json")
    fit = (
        "import sys; from snapshelf.related import topics; topics.MIN_DOCUMENTS = 5\n"
        "from snapshelf.cli import main; main(['reindex'])\n"
        "from snapshelf.search.models import TopicModel, TopicVector\n"
        "print(TopicModel.objects.count(), TopicVector.objects.count())\n"
    )
    models, vectors = python(env, fit).split()[-2:]
    assert (models, vectors) == ("1", str(len(entries)))
    listed = json.loads(snapshelf(env, "list", "--json", "--limit", "1"))
    return env, listed[0]["link_id"]


def test_related_with_a_topic_model_loads_no_numpy(modelled, tmp_path):
    """With topic vectors stored, related articles read and compare them without NumPy
    (its import is ~40-70 ms of CPU, a sixth of the command), and still find the link's
    own subject."""
    env, link_id = modelled
    out = tmp_path / "modules.json"
    answer = json.loads(python(env, RUN, str(out), "related", str(link_id), "--json"))
    modules = set(json.loads(out.read_text()))
    # a model and every link's topic vector are stored (the fixture checks), so the answer
    # reads and compares topic vectors
    assert heavy_in(modules, HEAVY) == []
    assert answer and all("sailing" in row["url"] for row in answer), answer


def test_queueing_a_link_loads_no_unused_client(library, tmp_path):
    """`snapshelf add` checks the URL (httpx) and queues (Huey), but not through the
    clients of queues it does not use (redis, psycopg) or httpx's own command-line
    client (click, rich, Pygments): ~200 ms of its ~650 (snapshelf.cli.lean)."""
    env, _added = library
    modules = loaded_by(env, tmp_path, "add", "http://site.test/other", "--json")
    assert {"httpx", "huey.storage"} <= modules  # the probe sees the libraries load
    unused = ("redis", "psycopg", "click", "rich", "pygments", "httpx._main")
    assert heavy_in(modules, unused) == []


def test_the_guard_sees_a_heavy_command(library, tmp_path):
    """The same probe on `snapshelf extract` (which parses a page) finds the capture
    stack: the test above is not vacuous."""
    env, _added = library
    page = tmp_path / "page.html"
    page.write_text("<title>T</title><article><p>Some text to read.</p></article>")
    modules = loaded_by(env, tmp_path, "extract", "--json", str(page))
    assert "snapshelf.capture.extract" in heavy_in(modules, HEAVY)
