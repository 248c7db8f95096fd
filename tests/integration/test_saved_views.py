"""Saved views: named filters a person keeps for themselves."""

from __future__ import annotations

import pytest

from bootstrap import Container
from core.errors import InvalidInput, NotFound
from workflows import saved_views


def save(container: Container, viewer, name: str, **params: str) -> int:
    with container.uow() as uow:
        view = saved_views.save_view(uow.session, viewer, "opportunity", name, params)
        uow.commit()
        return view.id


def views_of(container: Container, viewer) -> list[tuple[str, dict[str, str]]]:
    with container.session_factory() as session:
        return [(v.name, v.params) for v in saved_views.saved_views(session, viewer, "opportunity")]


def test_only_known_filter_keys_and_usable_values_are_kept(container, as_):
    rep = as_("wang.fang")
    save(container, rep, "  Closing in Q1 ", status="open", close_to="2026-03-31", close_from="soon",
         page="3", csrf_token="x", evil="<script>", sort="amount", desc="1")
    assert views_of(container, rep) == [
        ("Closing in Q1", {"status": "open", "close_to": "2026-03-31", "sort": "amount", "desc": "1"})]


def test_saving_under_the_same_name_replaces_the_filters(container, as_):
    rep = as_("wang.fang")
    first = save(container, rep, "Mine", status="open")
    again = save(container, rep, "Mine", status="won")
    assert first == again and views_of(container, rep) == [("Mine", {"status": "won"})]


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_a_name_is_required_and_short(container, as_, name):
    with pytest.raises(InvalidInput) as error:
        save(container, as_("wang.fang"), name, status="open")
    assert list(error.value.fields) == ["name"]


def test_views_are_private_and_only_their_owner_deletes_them(container, as_):
    rep, manager = as_("wang.fang"), as_("liu.yang")
    view_id = save(container, rep, "Mine", status="open")
    assert views_of(container, manager) == []
    with pytest.raises(NotFound), container.uow() as uow:
        saved_views.delete_view(uow.session, manager, "opportunity", view_id)
    with container.uow() as uow:
        saved_views.delete_view(uow.session, rep, "opportunity", view_id)
        uow.commit()
    assert views_of(container, rep) == []
