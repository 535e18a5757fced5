"""Property-based run of every operation of the OpenAPI document (schemathesis), in
process against the WSGI app: as the owner, with no token and with another user's
token, no answer is a 500 and every answer matches the document (status, content type,
body schema). Examples are bounded so the run stays well under a minute."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import checks

from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Link, Snapshot, Tag
from snapshelf.library.records import add_link
from snapshelf.services import accounts
from snapshelf.wsgi import application
from tests.api.test_snapshots_and_tags import PAGE
from tests.webserver import Reply

pytestmark = pytest.mark.django_db(transaction=False)

#: Per operation; 21 operations x 3 callers.
EXAMPLES = 12


@pytest.fixture
def api_schema(db):
    # Like Django's test client: the request cycle must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def owned(user, other_user, fixture_server) -> dict[str, list[int]]:
    """The owner's ids (one link captured for real, so artefacts exist), by parameter."""
    fixture_server.route("/page", lambda req: Reply.html(PAGE))
    link, snap = add_link(user, fixture_server.url("/page"), ["docker"])
    run_capture(snap.pk)
    for i in range(3):
        add_link(user, f"https://example.org/{i}", ["dev", "docker"])
        add_link(other_user, f"https://example.org/theirs/{i}", ["dev"])
    return {
        "link_id": list(Link.objects.filter(owner=user).values_list("pk", flat=True)),
        # the captured one thrice: its artefacts are worth reaching
        "snapshot_id": [snap.pk] * 3
        + list(Snapshot.objects.filter(link__owner=user).values_list("pk", flat=True)),
        "tag_id": list(Tag.objects.filter(owner=user).values_list("pk", flat=True)),
    }


@pytest.fixture
def callers(user, other_user) -> dict[str, dict[str, str]]:
    own = accounts.create_token(user, "mine", "write").secret
    theirs = accounts.create_token(other_user, "theirs", "write").secret
    return {
        "owner": {"Authorization": f"Bearer {own}"},
        "nobody": {},
        "someone else": {"Authorization": f"Bearer {theirs}"},
    }


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def with_owned_ids(case, draw, owned: dict[str, list[int]]):
    """Most cases name the owner's real objects (not only random, missing ids)."""
    for name, ids in owned.items():
        if case.path_parameters and name in case.path_parameters and draw(st.booleans()):
            case.path_parameters[name] = draw(st.sampled_from(ids))
    return case


def test_no_server_error_and_no_schema_violation(api_schema, owned, callers, settings):
    settings.SNAPSHELF_API_REQUESTS_PER_MINUTE = 0
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    # reads first, deletions and bulk actions last: they remove the objects others use
    operations.sort(
        key=lambda op: (op.method == "delete" or op.path.endswith("/bulk"), op.method != "get")
    )

    for operation in operations:

        @given(case=operation.as_strategy(), data=st.data())
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case, data):
            case = with_owned_ids(case, data.draw, owned)
            for headers in callers.values():
                case.call_and_validate(headers=headers, checks=CHECKS)

        run()
