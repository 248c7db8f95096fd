"""API tokens page: a user creates a token (its secret shown once), lists and revokes theirs."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from workflows.org.tokens import NAME_MAX, issue_token, list_tokens, revoke_token

from .context import container

bp = Blueprint("tokens", __name__)


class TokenForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("What is it for?"), validators=[DataRequired(), Length(max=NAME_MAX)])


@bp.route("/account/tokens", methods=["GET", "POST"])
def index() -> Response:
    """The list and the form; after creating, the same page shows the secret this one time."""
    form, secret = TokenForm(), None
    if form.validate_on_submit():
        c = container()
        with c.uow() as uow:
            secret = issue_token(uow.session, current_user.id, form.name.data, c.engine.clock.now()).secret
            uow.commit()
        form = TokenForm(formdata=None)
    with container().session_factory() as session:
        tokens = list_tokens(session, current_user.id)
    response = Response(render_template("tokens.html", form=form, tokens=tokens, secret=secret))
    response.headers["Cache-Control"] = "no-store"  # the page may hold a secret
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke(token_id: int) -> Response:
    c = container()
    with c.uow() as uow:
        revoke_token(uow.session, current_user.id, token_id, c.engine.clock.now())
        uow.commit()
    flash(_("The token is revoked; calls that use it are refused from now on."))
    return redirect(url_for("tokens.index"))
