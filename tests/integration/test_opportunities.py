"""Opportunities run through the shipped pipelines: stage, probability and history follow."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import bootstrap
from bootstrap import Container
from core.errors import Conflict, InvalidInput, NotFound
from engine import FormInvalid, HumanTask, fire_due_timers
from tests.deals import standard_sale
from workflows.opportunities import service
from workflows.opportunities.models import Opportunity, StageVisit
from workflows.opportunities.service import OpportunityInput


@pytest.fixture
def sale(container: Container, demo) -> dict[str, int]:
    return standard_sale(container)


def create(container: Container, viewer, sale, **changes: str) -> Opportunity:
    fields = {"name": "ACME robots", "account_id": str(sale["account"]), "business_type_id": str(sale["type"]),
              "amount": "120000", **changes}
    with container.uow() as uow:
        opportunity = service.create_opportunity(uow.session, container.engine, viewer,
                                                 OpportunityInput(**fields), container.engine.clock.now())
        uow.commit()
        return opportunity


def advance(container: Container, viewer, opportunity_id: int, **values: str) -> None:
    with container.uow() as uow:
        service.advance(uow.session, container.engine, viewer, opportunity_id, values, [])
        uow.commit()


def reload(container: Container, opportunity_id: int) -> Opportunity:
    with container.session_factory() as session:
        found = session.get(Opportunity, opportunity_id)
        assert found is not None
        return found


def test_creating_starts_the_pipeline_and_the_owner_gets_the_first_stage(container, as_, sale):
    rep = as_("wang.fang")
    opportunity = create(container, rep, sale)
    assert (opportunity.stage, opportunity.stage_name, opportunity.probability, opportunity.status) == (
        "discover", "Discover opportunity", 0, "open")
    with container.session_factory() as session:
        task = session.scalars(select(HumanTask)).one()
        assert (task.assignee, task.title, task.amount) == ("wang.fang", "ACME robots", Decimal("120000.00"))


def test_advancing_follows_the_diagram_and_keeps_the_stage_history(container, as_, sale, clock):
    rep = as_("wang.fang")
    opportunity = create(container, rep, sale)
    clock.advance(days=2)
    advance(container, rep, opportunity.id, need="Forty AGVs for the new plant")
    clock.advance(days=3)
    advance(container, rep, opportunity.id)
    current = reload(container, opportunity.id)
    assert (current.stage, current.probability) == ("quotation", 40)
    with container.session_factory() as session:
        visits = session.scalars(select(StageVisit).order_by(StageVisit.id)).all()
        assert [(v.stage, v.probability, v.entered_by) for v in visits] == [
            ("discover", 0, "wang.fang"), ("analysis", 20, "wang.fang"), ("quotation", 40, "wang.fang")]
        assert visits[0].left_at is not None and (visits[1].left_at - visits[1].entered_at).days == 3
        assert visits[2].left_at is None


def test_a_missing_playbook_field_blocks_the_move_and_changes_nothing(container, as_, sale):
    rep = as_("wang.fang")
    opportunity = create(container, rep, sale)
    advance(container, rep, opportunity.id)
    advance(container, rep, opportunity.id)
    with pytest.raises(FormInvalid) as error:
        advance(container, rep, opportunity.id)
    assert error.value.field_errors == {"quote_amount": "is required"}
    assert reload(container, opportunity.id).stage == "quotation"
    advance(container, rep, opportunity.id, quote_amount="118000")
    advance(container, rep, opportunity.id, expected_close_date="2026-03-31")
    current = reload(container, opportunity.id)
    assert (current.stage, current.probability) == ("collection", 90)
    assert current.expected_close_date == date(2026, 3, 31)  # a stage field that is the opportunity's


def test_lost_from_any_stage_with_a_reason(container, as_, sale):
    rep = as_("wang.fang")
    opportunity = create(container, rep, sale)
    advance(container, rep, opportunity.id)
    with pytest.raises(InvalidInput) as error, container.uow() as uow:
        service.close(uow.session, container.engine, rep, opportunity.id, "lost", " ")
    assert error.value.fields == {"reason": "is required"}
    with container.uow() as uow:
        service.close(uow.session, container.engine, rep, opportunity.id, "lost", "Went with a competitor")
        uow.commit()
    current = reload(container, opportunity.id)
    assert (current.status, current.stage, current.probability, current.close_reason) == (
        "lost", "lost", 0, "Went with a competitor")
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(HumanTask)) == 0
        assert service.current_stage_work(session, container.engine, current) is None


@pytest.mark.parametrize(("changes", "field"), [
    ({"business_type_id": "999"}, "business_type_id"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "lots"}, "amount"),
    ({"expected_close_date": "next Friday"}, "expected_close_date"),
    ({"name": ""}, "name"),
    ({"source": "carrier pigeon"}, "source"),
])
def test_bad_input_names_the_field_and_saves_nothing(container, as_, sale, changes, field):
    with pytest.raises(InvalidInput) as error:
        create(container, as_("wang.fang"), sale, **changes)
    assert list(error.value.fields) == [field]
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Opportunity)) == 0


def test_someone_elses_opportunity_does_not_exist_for_another_team(container, as_, sale):
    opportunity = create(container, as_("wang.fang"), sale)
    with pytest.raises(InvalidInput) as error:  # nor can they put one on an account they cannot see
        create(container, as_("sun.li"), sale)
    assert list(error.value.fields) == ["account_id"]
    with pytest.raises(NotFound), container.uow() as uow:
        service.advance(uow.session, container.engine, as_("sun.li"), opportunity.id, {}, [])
    with container.session_factory() as session:
        assert service.get_opportunity(session, as_("liu.yang"), opportunity.id).name == "ACME robots"


def test_the_path_comes_from_the_diagram(container, as_, sale):
    opportunity = create(container, as_("wang.fang"), sale)
    with container.session_factory() as session:
        path = service.pipeline_of(session, container.engine, opportunity)
    assert [(s.key, s.probability, s.status) for s in path] == [
        ("discover", 0, "open"), ("analysis", 20, "open"), ("quotation", 40, "open"),
        ("negotiation", 60, "open"), ("collection", 90, "open"),
        ("won", 100, "won"), ("lost", 0, "lost"), ("abandoned", 0, "abandoned")]
    assert path[2].playbook[0].startswith("Prepare")


def with_demo_stage(xml: str) -> str:
    """The standard sale with a "Product demo" stage (50%) between quotation and negotiation."""
    demo = ('<bpmn:userTask id="stage_demo" name="Product demo" camunda:assignee="${owner}">'
            '<bpmn:extensionElements><camunda:properties>'
            '<camunda:property name="stage" value="demo"/><camunda:property name="probability" value="50"/>'
            '</camunda:properties></bpmn:extensionElements></bpmn:userTask>'
            '<bpmn:sequenceFlow id="flow_demo_done" sourceRef="stage_demo" targetRef="stage_negotiation"/>')
    xml = xml.replace('<bpmn:sequenceFlow id="flow_quotation_advance" sourceRef="gateway_quotation" '
                      'targetRef="stage_negotiation"/>',
                      '<bpmn:sequenceFlow id="flow_quotation_advance" sourceRef="gateway_quotation" '
                      'targetRef="stage_demo"/>' + demo)
    return xml.replace('<bpmn:incoming>flow_quotation_advance</bpmn:incoming>',
                       '<bpmn:incoming>flow_demo_done</bpmn:incoming>')


def test_a_new_pipeline_version_serves_new_opportunities_and_running_ones_keep_theirs(
        container, as_, sale):
    rep = as_("wang.fang")
    running = create(container, rep, sale)
    xml = (bootstrap.SHIPPED_PROCESSES / "pipelines" / "standard_sale.bpmn").read_text()
    with container.uow() as uow:
        [version] = container.engine.deploy(uow.session, {"standard_sale.bpmn": with_demo_stage(xml)}, "yang.fan")
        uow.commit()
    assert version.version == 2
    newer = create(container, rep, sale, name="Second deal")
    for opportunity, expected in ((running, "negotiation"), (newer, "demo")):
        advance(container, rep, opportunity.id)
        advance(container, rep, opportunity.id)
        advance(container, rep, opportunity.id, quote_amount="1000")
        assert reload(container, opportunity.id).stage == expected
    with container.session_factory() as session:
        assert "demo" not in [s.key for s in service.pipeline_of(session, container.engine, running)]
        assert [s.key for s in service.pipeline_of(session, container.engine, newer)][3:5] == [
            "demo", "negotiation"]
    advance(container, rep, running.id, expected_close_date="2026-06-30")
    assert reload(container, running.id).stage == "collection"  # the old version keeps working


def test_a_lost_opportunity_reopens_at_the_stage_it_left_until_the_closure_is_final(
        container, as_, sale, clock):
    rep = as_("wang.fang")
    opportunity = create(container, rep, sale)
    advance(container, rep, opportunity.id)
    with container.uow() as uow:
        service.close(uow.session, container.engine, rep, opportunity.id, "lost", "Budget frozen")
        uow.commit()
    with container.uow() as uow:
        service.reopen(uow.session, container.engine, rep, opportunity.id)
        uow.commit()
    current = reload(container, opportunity.id)
    assert (current.status, current.stage, current.probability, current.close_reason) == (
        "open", "analysis", 20, "")
    with container.uow() as uow:
        service.close(uow.session, container.engine, rep, opportunity.id, "abandoned", "Customer went quiet")
        uow.commit()
    clock.advance(days=181)
    fire_due_timers(container.engine, container.session_factory)
    with container.session_factory() as session:
        final = session.get(Opportunity, opportunity.id)
        assert (final.status, final.stage) == ("abandoned", "abandoned")
        assert not service.can_reopen(session, final)
        assert [v.stage for v in service.stage_visits(session, final)] == [
            "discover", "analysis", "lost", "analysis", "abandoned"]
    with pytest.raises(Conflict), container.uow() as uow:
        service.reopen(uow.session, container.engine, rep, opportunity.id)
