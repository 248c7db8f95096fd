"""Access to the composition root from request handlers."""

from __future__ import annotations

from typing import cast

from flask import current_app

from bootstrap import Container


def container() -> Container:
    return cast(Container, current_app.extensions["dealflow"])
