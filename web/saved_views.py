"""Saving a list's current filters under a name, and deleting a saved view, for every list
that has views (opportunities, leads); the list pages show them with ``_saved_views.html``."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from core.errors import InvalidInput
from workflows import saved_views

from .context import container
from .forms import field_messages

bp = Blueprint("saved_views", __name__)
# The URL's list name: the object its views filter, and the list page they open.
LISTS = {"opportunities": ("opportunity", "opportunity_lists.index"), "leads": ("lead", "leads.index")}


@bp.post("/<any(opportunities, leads):list_name>/views")
def save(list_name: str) -> Response:
    """Save the list's current filters under a name; the list then shows that view."""
    object_type, endpoint = LISTS[list_name]
    try:
        with container().uow() as uow:
            view = saved_views.save_view(uow.session, current_user.viewer, object_type,
                                         request.form.get("name", ""), request.form)
            name, kept = view.name, dict(view.params)
            uow.commit()
    except InvalidInput as exc:
        for field, message in field_messages(exc).items():
            flash(_("The view was not saved: %(field)s %(problem)s",
                    field=_("Name") if field == "name" else field, problem=message))
        return redirect(url_for(endpoint, **saved_views.KEPT_FILTERS[object_type](request.form)))
    flash(_("Saved the view “%(name)s”.", name=name))
    return redirect(url_for(endpoint, **kept))


@bp.post("/<any(opportunities, leads):list_name>/views/<int:view_id>/delete")
def delete(list_name: str, view_id: int) -> Response:
    object_type, endpoint = LISTS[list_name]
    with container().uow() as uow:
        saved_views.delete_view(uow.session, current_user.viewer, object_type, view_id)
        uow.commit()
    flash(_("The view was deleted."))
    return redirect(url_for(endpoint))
