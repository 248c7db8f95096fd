"""WSGI entry point for gunicorn (``gunicorn wsgi:app``) and the ``flask`` command."""

from __future__ import annotations

import sys

from core.settings import SettingsError
from web import create_app

try:
    app = create_app()
except SettingsError as exc:
    sys.exit(f"dealflow: configuration error: {exc}")
