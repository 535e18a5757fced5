"""WSGI entry point (used by `snapshelf serve` and any WSGI server)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "snapshelf.settings")
application = get_wsgi_application()
