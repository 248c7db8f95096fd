"""Language and time zone per request: the user's choice, else the browser's, else Chinese."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask, redirect, request, session, url_for
from flask_babel import Babel, format_currency, format_percent, get_locale, gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from core.phrases import Phrase
from workflows.org.preferences import set_locale

from .context import container

# Babel expands zh_CN to zh_Hans_CN, which is why the Chinese catalogue lives in
# translations/zh_Hans_CN.
SUPPORTED = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
DEFAULT_TIMEZONE = "Asia/Shanghai"


def select_locale() -> str:
    chosen = session.get("locale")
    if chosen in SUPPORTED:
        return str(chosen)
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return "en" if best == "en" else DEFAULT_LOCALE


def select_timezone() -> str:
    return str(session.get("timezone") or DEFAULT_TIMEZONE)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.add_url_rule("/language/<code>", "set_language", set_language, methods=["POST"])
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["translated"] = translated


def translated(text: str) -> str:
    """Text from the domain or engine in the reader's language (a ``Phrase``, and any
    ``Phrase`` among its values, such as a kind of unit), else as it is."""
    if isinstance(text, Phrase):
        values = {name: translated(value) if isinstance(value, Phrase) else value
                  for name, value in text.values.items()}
        return str(gettext(text.msgid, **values))
    return text


def message_of(error: Exception) -> str:
    """An error's message for the reader: its ``Phrase`` translated, else its text."""
    return translated(error.args[0]) if error.args and isinstance(error.args[0], str) else str(error)


def money(amount: Decimal) -> str:
    """An amount in the company's currency, written the way the reader's locale writes money."""
    return str(format_currency(amount, container().settings.currency))


def percent(fraction: Decimal) -> str:
    """A fraction such as a margin (0.2933) as the reader's locale writes a percentage, to
    the hundredth: exactly the four places the figure is kept to."""
    return str(format_percent(fraction, "#,##0.00%"))


def set_language(code: str) -> Response:
    """Switch the interface language; the choice sticks for the session."""
    if code in SUPPORTED:
        session["locale"] = code
        if current_user.is_authenticated:
            with container().uow() as uow:
                set_locale(uow.session, current_user.id, code)
                uow.commit()
    target = request.referrer if request.referrer and request.referrer.startswith(request.host_url) else None
    return redirect(target or url_for("processes.home"))
