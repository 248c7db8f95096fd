"""Drafts on SQLite and PostgreSQL: kept without deploying, one per process, guarded against
saving over someone else's; new processes from a template; earlier versions restored."""

from __future__ import annotations

import pytest

import bootstrap
from core.errors import Conflict, InvalidInput
from engine.drafts import (
    DraftRejected,
    discard_draft,
    list_designs,
    open_design,
    restore_version,
    save_draft,
    start_from_template,
)

SALE = (bootstrap.SHIPPED_PROCESSES / "pipelines" / "standard_sale.bpmn").read_text()


def sale_named(name: str) -> dict[str, str]:
    return {"standard_sale.bpmn": SALE.replace('name="Standard sale"', f'name="{name}"', 1)}


@pytest.fixture
def deployed(container: bootstrap.Container) -> int:
    """Standard sale v1; its definition id."""
    with container.uow() as uow:
        [definition] = container.engine.deploy(uow.session, {"standard_sale.bpmn": SALE}, "system")
        uow.commit()
        return definition.id


def test_a_draft_is_reopened_instead_of_the_latest_version_until_discarded(container, deployed, clock):
    with container.uow() as uow:
        draft = save_draft(uow.session, "standard_sale", sale_named("Draft"), "yang.fan", clock.now(),
                           None, deployed)
        uow.commit()
        assert draft.revision == 1
    with container.session_factory() as session:
        design = open_design(session, "standard_sale")
        assert design.name == "Draft" and design.diagram == "standard_sale.bpmn"
        assert design.draft is not None and design.draft.based_on_id == deployed and not design.behind
        [row] = list_designs(session)
        assert (row.key, row.name, row.latest.version, row.draft.updated_by) == (
            "standard_sale", "Draft", 1, "yang.fan")
    with container.uow() as uow:
        assert discard_draft(uow.session, "standard_sale") is True
        uow.commit()
    with container.session_factory() as session:
        design = open_design(session, "standard_sale")
        assert design.draft is None and design.name == "Standard sale" and design.sources == {
            "standard_sale.bpmn": SALE}


def test_saving_over_a_draft_saved_meanwhile_is_a_conflict(container, deployed, clock):
    with container.uow() as uow:
        save_draft(uow.session, "standard_sale", sale_named("First"), "admin", clock.now())
        uow.commit()
    for stale in (None, 7):  # opened the deployed version, or an older revision of the draft
        with container.uow() as uow, pytest.raises(Conflict):
            save_draft(uow.session, "standard_sale", sale_named("Second"), "yang.fan", clock.now(), stale)
    with container.uow() as uow:
        draft = save_draft(uow.session, "standard_sale", sale_named("Second"), "yang.fan", clock.now(), 1)
        uow.commit()
        assert draft.revision == 2
    with container.session_factory() as session:
        assert open_design(session, "standard_sale").name == "Second"


def test_a_draft_behind_the_latest_version_says_so(container, deployed, clock):
    with container.uow() as uow:
        save_draft(uow.session, "standard_sale", sale_named("Old base"), "yang.fan", clock.now(), None, deployed)
        container.engine.deploy(uow.session, sale_named("Someone else's"), "admin", "meanwhile")
        uow.commit()
    with container.session_factory() as session:
        assert open_design(session, "standard_sale").behind


def test_a_template_copy_deploys_as_a_new_process_beside_the_original(container, deployed, clock):
    template = next(files for files in bootstrap.shipped_bundles() if "standard_sale.bpmn" in files)
    with container.uow() as uow:
        draft = start_from_template(uow.session, template, "key_account", "Key account", "yang.fan", clock.now())
        uow.commit()
        files = dict(draft.sources)
    with container.uow() as uow:
        [definition] = container.engine.deploy(uow.session, files, "yang.fan", "first")
        uow.commit()
        assert (definition.key, definition.name, definition.version) == ("key_account", "Key account", 1)
    with container.uow() as uow, pytest.raises(InvalidInput) as refused:
        start_from_template(uow.session, template, "key_account", "Again", "yang.fan", clock.now())
    assert "key" in refused.value.fields


def test_an_earlier_version_is_restored_as_a_draft_based_on_it(container, deployed, clock):
    with container.uow() as uow:
        container.engine.deploy(uow.session, sale_named("v2"), "admin", "renamed")
        restore_version(uow.session, "standard_sale", 1, "yang.fan", clock.now())
        uow.commit()
    with container.session_factory() as session:
        design = open_design(session, "standard_sale")
        assert design.sources == {"standard_sale.bpmn": SALE} and design.behind
    with container.uow() as uow, pytest.raises(Conflict):
        restore_version(uow.session, "standard_sale", 1, "yang.fan", clock.now())


def test_nothing_is_stored_for_files_that_are_no_design_of_the_key(container, deployed, clock):
    with container.uow() as uow, pytest.raises(DraftRejected) as refused:
        save_draft(uow.session, "standard_sale", {"standard_sale.bpmn": SALE.replace('id="standard_sale"', 'id="x"')},
                   "yang.fan", clock.now())
    assert refused.value.details[0].file == "standard_sale.bpmn"
    with container.session_factory() as session:
        assert open_design(session, "standard_sale").draft is None
