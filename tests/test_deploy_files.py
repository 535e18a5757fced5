"""The container files, checked as far as this machine can without Docker: hadolint on the
Dockerfile, and the compose file's structure (services, volumes, what persists)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
HADOLINT = Path(sys.executable).with_name("hadolint")


def test_dockerfile_passes_hadolint():
    result = subprocess.run(
        [str(HADOLINT), "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_has_what_an_operator_needs():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM \S+bookworm", text, re.M)  # Debian-based
    assert "chromium" in text and "fonts-noto-cjk" in text
    assert re.search(r"^VOLUME /data$", text, re.M)
    assert re.search(r"^HEALTHCHECK .*\n.*healthz", text, re.M)
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert "compilemessages" in text


def test_compose_runs_web_workers_database_and_queue_on_named_volumes():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"web", "worker", "db", "queue"} <= set(services)
    named = set(compose["volumes"])
    for name in ("web", "worker", "db", "queue"):
        mounts = [v.split(":")[0] for v in services[name].get("volumes", [])]
        assert mounts and all(m in named for m in mounts), name  # nothing in anonymous volumes
    assert "blobs:/data" in services["web"]["volumes"] == services["worker"]["volumes"]
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:" in env["DATABASE_URL"]
        assert env["SNAPSHELF_REDIS_URL"].startswith("redis://queue:")
    assert services["web"]["environment"]["SNAPSHELF_WORKERS"] == "0"
    assert services["worker"]["command"] == ["snapshelf", "worker"]


def test_the_documented_deployment_does_not_expose_plain_http_or_answer_any_host():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    web = compose["services"]["web"]
    # plain HTTP is published on the machine's loopback only, for a TLS proxy in front
    assert web["ports"] and all(p.startswith("127.0.0.1:") for p in web["ports"])
    hosts = web["environment"]["SNAPSHELF_ALLOWED_HOSTS"]
    assert re.fullmatch(r"\$\{SNAPSHELF_ALLOWED_HOSTS:\?[^}]+\}", hosts)  # required, no "*"
    assert web["environment"]["SNAPSHELF_OPEN_SIGNUP"] == "${SNAPSHELF_OPEN_SIGNUP:-0}"
    deploy = (ROOT / "docs" / "deploy.md").read_text()
    assert "-p 127.0.0.1:8000:8000" in deploy and "SNAPSHELF_ALLOWED_HOSTS=" in deploy
    assert "logs web | grep password" not in deploy  # no secret is fished out of logs
    assert "initial-admin-password" in deploy
