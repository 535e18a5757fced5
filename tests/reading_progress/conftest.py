from tests.library.conftest import fresh_blobs, other_user, user  # noqa: F401
