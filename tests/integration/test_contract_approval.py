"""Contract approval end to end on SQLite and PostgreSQL: the margin routes the contract to
the right directors of the submitter's branch, each decides on their own task, a rejection
sends it back for revision, and full approval activates it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

import bootstrap
from bootstrap import Container
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine import HumanTask, TaskAlreadyCompleted, fire_due_timers
from notifications.models import Notification
from tests.contracts import (
    CD,
    GM,
    SD,
    SVC,
    at_margin,
    contract_input,
    decide,
    new_contract,
    open_approvals,
    reload,
    rounds,
    submit,
)
from tests.usecases import run
from workflows.approvals import absence, submission
from workflows.approvals.absence import AbsenceInput
from workflows.contracts import service
from workflows.contracts.models import Contract
from workflows.contracts.service import ContractLineInput


@pytest.mark.parametrize(("margin", "approvers", "rules"), [
    ("0.0999", [SD, CD, SVC, GM], 4),
    ("0.1000", [SD, CD, SVC], 3),
    ("0.1999", [SD, CD, SVC], 3),
    ("0.2000", [SD, CD], 2),
    ("0.2999", [SD, CD], 2),
    ("0.3000", [SD], 1),
])
def test_each_margin_boundary_routes_to_the_directors_the_table_names(container, as_, deployed, margin,
                                                                      approvers, rules):
    rep = as_("wang.fang")
    contract = at_margin(container, rep, deployed, margin)
    preview = run(container, submission.preview_submission, container.engine, rep, contract.id,
                  container.engine.clock.now())
    assert preview.problem is None and preview.figures.margin == Decimal(margin)
    assert sorted(preview.route.approvers.values()) == sorted(approvers)
    assert len(preview.decision.matches) == rules and preview.decision.matches[0].description == "Every contract"

    submit(container, rep, contract)
    assert sorted(open_approvals(container, contract)) == sorted(approvers)
    [first] = rounds(container, contract)
    assert (first.number, first.margin, first.revenue, first.outcome) == (1, Decimal(margin),
                                                                         Decimal("100000.00"), "pending")
    assert reload(container, contract).status == "submitted"


def test_a_rejection_goes_back_to_the_rep_and_the_revised_contract_is_routed_again(container, as_, deployed):
    rep = as_("wang.fang")
    contract = at_margin(container, rep, deployed, "0.15")
    submit(container, rep, contract, note="Rush order")
    tasks = open_approvals(container, contract)
    assert sorted(tasks) == sorted([SD, CD, SVC])
    with pytest.raises(Conflict):  # the figures are locked while the directors decide
        run(container, service.update_contract, rep, contract.id, contract_input(deployed),
            container.engine.clock.now())

    decide(container, tasks[SD], SD, "approve", "Fine by me")
    with pytest.raises(InvalidInput) as refused:
        decide(container, tasks[SVC], SVC, "reject")
    assert refused.value.field_errors == {"comment": "is required"}
    decide(container, tasks[SVC], SVC, "reject", "Service cost is underestimated")

    assert reload(container, contract).status == "rejected"
    assert list(open_approvals(container, contract)) == ["wang.fang"]  # the commercial director's went too
    with pytest.raises(TaskAlreadyCompleted):
        decide(container, tasks[CD], CD, "approve")
    [first] = rounds(container, contract)
    assert first.outcome == "rejected" and first.note == "Rush order"
    assert [(d.approver, d.role, d.decision, d.comment) for d in first.decisions] == [
        (SD, "sales_director", "approve", "Fine by me"),
        (SVC, "service_director", "reject", "Service cost is underestimated")]

    # The rep raises the price to a 25% margin and resubmits from the contract.
    run(container, service.update_contract, rep, contract.id,
        contract_input(deployed, ContractLineInput(str(deployed["agv"]), "1", "113333.33"),
                       cost_reserve="85000.00"), container.engine.clock.now())
    submit(container, rep, contract, note="Price raised")
    tasks = open_approvals(container, contract)
    assert sorted(tasks) == sorted([SD, CD])
    decide(container, tasks[CD], CD, "approve")
    decide(container, tasks[SD], SD, "approve")

    done = reload(container, contract)
    assert (done.status, done.activated_at) == ("active", container.engine.clock.now())
    second = rounds(container, contract)[1]
    assert (second.number, second.margin, second.outcome, second.note) == (2, Decimal("0.2500"), "approved",
                                                                            "Price raised")
    assert second.approvers == {"sales_director": SD, "commercial_director": CD}
    assert open_approvals(container, contract) == {}


def test_the_rep_may_withdraw_a_rejected_contract(container, as_, deployed):
    rep = as_("wang.fang")
    contract = at_margin(container, rep, deployed, "0.35")
    submit(container, rep, contract)
    decide(container, open_approvals(container, contract)[SD], SD, "reject", "Not this year")
    run(container, submission.withdraw_contract, container.engine, rep, contract.id,
        container.engine.clock.now())
    assert reload(container, contract).status == "cancelled"
    assert open_approvals(container, contract) == {}


def test_nobody_decides_on_their_own_contract(container, as_, deployed):
    rep = as_("wang.fang")
    contract = at_margin(container, rep, deployed, "0.35")
    submit(container, rep, contract)
    task_id = open_approvals(container, contract)[SD]
    with container.uow() as uow:  # a manager hands the task to the rep herself
        container.engine.assign(uow.session, task_id, "wang.fang", "liu.yang")
        uow.commit()
    with pytest.raises(PermissionDenied):
        decide(container, task_id, "wang.fang", "approve")
    assert reload(container, contract).status == "submitted"
    assert rounds(container, contract)[0].decisions == []


def test_a_submitted_contract_cannot_be_submitted_twice_nor_one_without_revenue(container, as_, deployed):
    rep = as_("wang.fang")
    contract = at_margin(container, rep, deployed, "0.35")
    submit(container, rep, contract)
    with pytest.raises(Conflict):
        submit(container, rep, contract)
    empty = new_contract(container, rep, deployed, ContractLineInput(str(deployed["agv"]), "1", "0.00"))
    with pytest.raises(InvalidInput) as refused:
        submit(container, rep, empty)
    assert list(refused.value.fields) == ["lines"]
    preview = run(container, submission.preview_submission, container.engine, rep, empty.id,
                  container.engine.clock.now())
    assert preview.problem is not None and preview.decision is None
    assert reload(container, empty).status == "draft"


def test_another_teams_rep_can_neither_preview_nor_submit(container, as_, deployed):
    contract = at_margin(container, as_("wang.fang"), deployed, "0.35")
    with pytest.raises(NotFound):
        submit(container, as_("sun.li"), contract)
    with pytest.raises(NotFound):
        run(container, submission.preview_submission, container.engine, as_("sun.li"), contract.id,
            container.engine.clock.now())


def test_an_approver_out_of_office_is_replaced_by_their_delegate_with_both_names_kept(
        container, as_, deployed, clock, demo):
    today = clock.now().date()
    run(container, absence.set_out_of_office, as_(SD), AbsenceInput(
        str(today), str(today + timedelta(days=3)), str(demo["huang.lei"]), "Trade fair"),
        "Asia/Shanghai", clock.now())
    rep = as_("wang.fang")
    contract = at_margin(container, rep, deployed, "0.35")
    preview = run(container, submission.preview_submission, container.engine, rep, contract.id, clock.now())
    assert preview.route.approvers == {"sales_director": "huang.lei"}
    assert preview.route.stand_ins == {"sales_director": SD}

    submit(container, rep, contract)
    decide(container, open_approvals(container, contract)["huang.lei"], "huang.lei", "approve", "For chen.hao")
    [decision] = rounds(container, contract)[0].decisions
    assert (decision.approver, decision.on_behalf_of) == ("huang.lei", SD)
    assert reload(container, contract).status == "active"

    clock.advance(days=5)  # back in the office: new submissions reach chen.hao again
    later = at_margin(container, rep, deployed, "0.35")
    submit(container, rep, later)
    assert list(open_approvals(container, later)) == [SD]


def test_out_of_office_periods_are_checked(container, as_, deployed, clock, demo):
    today = clock.now().date()
    director = as_(SD)

    def refused(first, last, delegate) -> dict[str, str]:
        with pytest.raises(InvalidInput) as caught:
            run(container, absence.set_out_of_office, director,
                AbsenceInput(str(first), str(last), str(delegate)), "Asia/Shanghai", clock.now())
        return caught.value.fields

    assert refused(today, today - timedelta(days=1), demo["huang.lei"]) == {
        "last_day": "must not be before the first day"}
    assert refused(today, today, demo[SD]) == {"delegate_id": "must be someone else"}
    assert set(refused("", "soon", "x")) == {"first_day", "last_day", "delegate_id"}
    run(container, absence.set_out_of_office, director,
        AbsenceInput(str(today), str(today + timedelta(days=2)), str(demo["huang.lei"])), "Asia/Shanghai",
        clock.now())
    assert refused(today + timedelta(days=1), today + timedelta(days=5), demo["huang.lei"]) == {
        "first_day": "overlaps a period you are already away"}


def test_a_designers_edited_table_routes_new_submissions_only(container, as_, deployed):
    rep = as_("wang.fang")
    waiting = at_margin(container, rep, deployed, "0.32")
    submit(container, rep, waiting)
    decide(container, open_approvals(container, waiting)[SD], SD, "reject", "Check the price")

    # The designer moves the commercial director's threshold from 30% to 35%.
    files = next(f for f in bootstrap.shipped_bundles() if "contract_approval.bpmn" in f)
    files["approval_route.dmn"] = files["approval_route.dmn"].replace(b"&lt; 0.3<", b"&lt; 0.35<")
    with container.uow() as uow:
        container.engine.deploy(uow.session, files, "yang.fan", "Commercial director from 35%")
        uow.commit()

    fresh = at_margin(container, rep, deployed, "0.32")
    submit(container, rep, fresh)
    assert sorted(open_approvals(container, fresh)) == sorted([SD, CD])
    preview = run(container, submission.preview_submission, container.engine, rep, waiting.id,
                  container.engine.clock.now())
    assert preview.route.approvers == {"sales_director": SD}  # still on the version it started on
    submit(container, rep, waiting)
    assert list(open_approvals(container, waiting)) == [SD]


def test_two_directors_approving_at_the_same_moment_both_count(container, as_, deployed):
    rep = as_("wang.fang")
    contract = at_margin(container, rep, deployed, "0.25")
    submit(container, rep, contract)
    tasks = open_approvals(container, contract)
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def approve(director: str) -> None:
        try:
            with container.uow() as uow:
                barrier.wait()
                container.engine.complete(uow.session, tasks[director], {"decision": "approve"}, director)
                uow.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=approve, args=(who,)) for who in (SD, CD)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert reload(container, contract).status == "active"
    assert sorted(d.approver for d in rounds(container, contract)[0].decisions) == sorted([SD, CD])


def test_the_demo_company_has_a_contract_waiting_for_its_directors(container):
    bootstrap.deploy_shipped(container)
    bootstrap.load_demo(container)
    bootstrap.load_demo(container)  # a second load submits nothing more
    with container.session_factory() as session:
        [waiting] = session.scalars(select(Contract).where(Contract.status == "submitted")).all()
        session.expunge(waiting)
    approvers = open_approvals(container, waiting)
    assert len(approvers) == 2 and CD in approvers  # 29.9% margin: the sales and commercial directors


def notices(container: Container, kind: str) -> list[tuple[str, str]]:
    """(recipient, subject) of every notification of ``kind``, oldest first."""
    with container.session_factory() as session:
        return [(n.username, n.subject) for n in session.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.id))]


def test_undecided_approvals_remind_the_approvers_then_tell_their_manager(container, as_, deployed, clock):
    clock.set(datetime(2026, 1, 9, 9, 0, tzinfo=UTC))  # Friday, 17:00 in Shanghai
    rep = as_("wang.fang")
    contract = at_margin(container, rep, deployed, "0.25")
    submit(container, rep, contract)
    with container.session_factory() as session:
        due = set(session.scalars(select(HumanTask.due_at).where(HumanTask.process_key == "contract_approval")))
    assert due == {datetime(2026, 1, 13, 9, 0, tzinfo=UTC)}  # two working days: Tuesday

    clock.set(datetime(2026, 1, 13, 9, 1, tzinfo=UTC))
    fire_due_timers(container.engine, container.session_factory)
    assert sorted(who for who, _ in notices(container, "reminder")) == sorted([SD, CD])
    decide(container, open_approvals(container, contract)[CD], CD, "approve")

    clock.advance(days=1)
    fire_due_timers(container.engine, container.session_factory)
    fire_due_timers(container.engine, container.session_factory)  # nobody is told twice
    told = notices(container, "reminder")
    assert len(told) == 3 and told[-1][0] == GM  # chen.hao's manager; li.ming had decided
    assert SD in told[-1][1] or "陈浩" in told[-1][1]


def test_the_rep_is_told_of_the_rejection_and_of_the_approval(container, as_, deployed):
    rep = as_("wang.fang")
    contract = at_margin(container, rep, deployed, "0.35")
    submit(container, rep, contract)
    decide(container, open_approvals(container, contract)[SD], SD, "reject", "Discount too deep")
    submit(container, rep, contract)
    decide(container, open_approvals(container, contract)[SD], SD, "approve")
    told = notices(container, "approval_decided")
    assert [who for who, _ in told] == ["wang.fang", "wang.fang"]
    assert contract.number in told[0][1] and contract.number in told[1][1]
