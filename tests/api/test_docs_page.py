"""The API's interactive docs are served by the app itself: the page and its scripts and
styles come from django-ninja's files (found without installing it as an app), never a CDN."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_docs_page_and_its_assets_are_served_locally(client, user):
    client.force_login(user)
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets, html[:500]
    for url in assets:
        assert url.startswith("/static/"), url  # nothing from another origin
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 1000, url
