"""Log in and out, change password; every other page needs a logged-in user."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from core.errors import InvalidInput
from workflows.org.demo import demo_logins
from workflows.org.login import InvalidCredentials, TooManyAttempts, change_password, log_in
from workflows.org.models import User
from workflows.org.passwords import MIN_LENGTH
from workflows.org.visibility import Viewer, viewer_of

from .context import container
from .errors import is_api_request

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
PUBLIC_ENDPOINTS = {"auth.login", "static", "processes.health", "set_language",
                    "web_to_lead.show", "web_to_lead.submit",  # customers' websites (web_to_lead.py)
                    "calendar.feed",  # phones subscribed to a private feed address (calendar.py)
                    "opt_outs.unsubscribe_page"}  # the link in bulk email (opt_outs.py)


class SessionUser(UserMixin):  # type: ignore[misc]
    """The logged-in person: their viewer (for scoping) plus what pages display."""

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.viewer: Viewer = viewer_of(user)
        self.display_name = user.display_name
        self.locale = user.locale
        self.timezone = user.timezone


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField(_l("Username"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class PasswordForm(FlaskForm):  # type: ignore[misc]
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=MIN_LENGTH)])


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)
    app.before_request(_require_login)
    app.register_blueprint(bp)


def _load_user(user_id: str) -> SessionUser | None:
    with container().session_factory() as db:
        user = db.get(User, int(user_id))
        return SessionUser(user) if user is not None and user.active else None


def _require_login() -> Response | None:
    # The JSON API checks its bearer token itself (web/api/auth.py) and never redirects.
    if is_api_request() or request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        c = container()
        try:
            with c.uow() as uow:
                user = log_in(uow, form.username.data, form.password.data,
                              request.remote_addr or "unknown", c.engine.clock.now())
                login_user(SessionUser(user))
        except TooManyAttempts as exc:
            minutes = max(1, int(exc.retry_after.total_seconds() // 60) + 1)
            flash(_("Too many failed logins; try again in %(minutes)d minutes.", minutes=minutes))
        except InvalidCredentials:
            flash(_("Wrong username or password, or the account is deactivated."))
        else:
            session["locale"], session["timezone"] = current_user.locale, current_user.timezone
            return redirect(_safe_next(request.args.get("next")))
    demo = demo_logins() if container().settings.demo else []
    return render_template("login.html", form=form, demo=demo)


@bp.post("/logout")
@login_required  # type: ignore[misc]
def logout() -> Response:
    logout_user()
    session.pop("timezone", None)
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required  # type: ignore[misc]
def password() -> Any:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            with container().uow() as uow:
                change_password(uow.session, current_user.id, form.current_password.data,
                                form.new_password.data)
                uow.commit()
        except InvalidInput:
            form.current_password.errors = [_("The current password is wrong.")]
        else:
            flash(_("Your password has been changed."))
            return redirect(url_for("processes.home"))
    return render_template("password.html", form=form)


def _safe_next(target: str | None) -> str:
    """Only ever redirect within this site after login."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("processes.home")
