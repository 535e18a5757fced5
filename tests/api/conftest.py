"""API fixtures: users, their tokens, and clients that send them."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from huey.contrib.djhuey import HUEY

from snapshelf.services import accounts
from tests.library.conftest import fresh_blobs, other_user, user  # noqa: F401

BASE = "/api/v1"


class ApiClient:
    """Django's test client speaking JSON with a Bearer token (or none)."""

    def __init__(self, secret: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def _send(self, method: str, path: str, body=None, **kwargs):
        url = path if path.startswith("/") and path.startswith(BASE) else BASE + path
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(url, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self._send("get", path, **kwargs)

    def post(self, path: str, body=None, **kwargs):
        return self._send("post", path, body if body is not None else {}, **kwargs)

    def patch(self, path: str, body=None, **kwargs):
        return self._send("patch", path, body if body is not None else {}, **kwargs)

    def delete(self, path: str, **kwargs):
        return self._send("delete", path, **kwargs)


@pytest.fixture(autouse=True)
def _empty_queue():
    HUEY.flush()
    yield
    HUEY.flush()


@pytest.fixture
def write_secret(user) -> str:  # noqa: F811
    return accounts.create_token(user, "laptop", "write").secret


@pytest.fixture
def read_secret(user) -> str:  # noqa: F811
    return accounts.create_token(user, "reader", "read").secret


@pytest.fixture
def other_secret(other_user) -> str:  # noqa: F811
    return accounts.create_token(other_user, "bob's", "write").secret


@pytest.fixture
def api(write_secret) -> ApiClient:
    return ApiClient(write_secret)


@pytest.fixture
def read_api(read_secret) -> ApiClient:
    return ApiClient(read_secret)


@pytest.fixture
def other_api(other_secret) -> ApiClient:
    return ApiClient(other_secret)


@pytest.fixture
def anon() -> ApiClient:
    return ApiClient()
