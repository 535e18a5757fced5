# Snapshelf: web server, worker, Chromium and CJK fonts in one Debian-based image.
# Build: docker build -t snapshelf .   Run: see docs/deploy.md and compose.yaml.
FROM python:3.11-slim-bookworm

# SNAPSHELF_HOST=0.0.0.0 so the published port reaches the server inside the container;
# `snapshelf serve` then refuses to start without SNAPSHELF_ALLOWED_HOSTS and warns that it
# speaks plain HTTP: publish the port on loopback behind a TLS proxy (docs/deploy.md).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SNAPSHELF_DATA_DIR=/data \
    SNAPSHELF_HOST=0.0.0.0 \
    SNAPSHELF_PORT=8000 \
    SNAPSHELF_BROWSER=/usr/bin/chromium

# Chromium for browser capture, CJK fonts for screenshots and PDFs, gettext for the
# translations. Debian's packages follow the distribution's security updates.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-noto-cjk gettext \
        postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin snapshelf \
    && mkdir -p /data && chown snapshelf:snapshelf /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
# hadolint ignore=DL3003,DL3013
RUN pip install --no-compile '.[postgres,redis,s3]' \
    && cd /usr/local/lib/python3.11/site-packages/snapshelf \
    && django-admin compilemessages -v 0 \
    && python -m compileall -q .

# Not root: Chromium runs with its own sandbox as this user, in a user + network namespace
# of its own (capture/sandbox.py). Docker's default seccomp profile refuses user
# namespaces; compose.yaml lifts it for the worker, and `snapshelf status` says which
# protection a running worker has.
USER 10001:10001
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# `serve` runs the migrations (idempotent `init`) before it listens.
CMD ["snapshelf", "serve"]
