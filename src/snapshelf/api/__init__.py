"""The REST API (/api/v1, Django Ninja): a way in that calls the service door."""
