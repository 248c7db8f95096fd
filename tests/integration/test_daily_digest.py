"""The daily job on SQLite and PostgreSQL: each user's digest of tasks due and overdue, approvals
waiting and leads gone quiet, once a day from the configured hour; birthday reminders (29
February kept on the 28th in other years) and greetings ahead of public holidays, each once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

import bootstrap
from bootstrap import Container
from core.clock import ManualClock
from notifications.models import Notification
from tests import diagrams
from tests.contracts import at_margin, submit
from tests.usecases import run
from workflows.accounts.models import Account, Contact
from workflows.activities.service import ActivityInput, log_activity
from workflows.leads import service as leads
from workflows.leads.models import Lead
from workflows.reminders.birthdays import next_birthday
from workflows.reminders.daily import DailyReport, run_daily


def daily(container: Container, force: bool = False) -> DailyReport:
    return run_daily(container.session_factory, container.settings, container.engine.clock.now(), force)


def told(container: Container, username: str, template: str | None = None) -> list[Notification]:
    with container.session_factory() as session:
        query = select(Notification).where(Notification.username == username)
        if template is not None:
            query = query.where(Notification.template == template)
        return list(session.scalars(query.order_by(Notification.id)))


def call_back(container: Container, owner: str, title: str, due: datetime) -> None:
    """A "Call back" task assigned to ``owner``, due at ``due``."""
    diagram = diagrams.process(
        '<bpmn:startEvent id="start"/>'
        + diagrams.user_task("call", "Call back", 'camunda:assignee="${owner}" camunda:dueDate="${due}"')
        + '<bpmn:endEvent id="end"/>' + diagrams.flows(("start", "call"), ("call", "end")), process_id="callback")
    with container.uow() as uow:
        container.engine.deploy(uow.session, {"callback.bpmn": diagram}, "designer")
        container.engine.start(uow.session, "callback", None, {"owner": owner, "title": title,
                                                                "due": due.isoformat()}, owner)
        uow.commit()


@pytest.fixture
def day_of_work(container: Container, as_, world, clock: ManualClock) -> dict[str, str]:
    """At 17:00 on Monday 5 January 2026 in Shanghai: wang.fang has a call due today, one overdue
    and one tomorrow, a lead untouched since before Christmas and one called on Saturday;
    chen.hao has her contract to approve; li.na has nothing."""
    rep = as_("wang.fang")
    now = clock.now()
    bootstrap.deploy_shipped(container)
    clock.set(datetime(2025, 12, 20, 2, 0, tzinfo=UTC))
    quiet = run(container, leads.create_lead, rep, leads.LeadInput("刘建华", "锦程物流", phone="13816612345"),
                clock.now())
    called = run(container, leads.create_lead, rep, leads.LeadInput("周立群", "申达仓储", phone="13901770011"),
                 clock.now())
    bootstrap.follow_up_leads(container)  # their follow-up cycles count from today
    clock.set(now)
    run(container, log_activity, rep, "lead", called.id, ActivityInput("call", happened_on="2026-01-03",
                                                                       outcome="Interested"), "Asia/Shanghai", now)
    bootstrap.follow_up_leads(container)
    call_back(container, "wang.fang", "ACME", datetime(2026, 1, 5, 10, 0, tzinfo=UTC))  # 18:00 today
    call_back(container, "wang.fang", "Huajin", datetime(2026, 1, 2, 2, 0, tzinfo=UTC))
    call_back(container, "wang.fang", "Westlake", datetime(2026, 1, 6, 2, 0, tzinfo=UTC))  # tomorrow
    contract = at_margin(container, rep, world, "0.35")
    submit(container, rep, contract)
    return {"lead": quiet.name, "contract": contract.number}


def test_the_digest_tells_each_user_their_day(container, day_of_work):
    report = daily(container)
    assert report.ran and report.failed == []
    [rep] = told(container, "wang.fang")
    assert (rep.kind, rep.link) == ("daily_digest", "/tasks")
    assert rep.subject == "Your day, Jan 5, 2026: 1 due, 1 overdue, 0 to approve, 1 lead to contact"
    assert "Due today:\n\n- Call back · ACME\n\nOverdue follow-ups:\n\n- Call back · Huajin · 2026-01-02" in rep.body
    assert "- 刘建华 · 锦程物流" in rep.body and "周立群" not in rep.body and "Westlake" not in rep.body
    [director] = told(container, "chen.hao")  # reads Chinese; the approval is not a task due besides
    assert director.subject == "2026年1月5日工作概览：今日到期 0 项，逾期 0 项，待审批 1 项"
    assert f"等待您审批：\n\n- {day_of_work['contract']} · ACME" in director.body
    assert told(container, "li.na") == []  # nothing to say, nothing said


def test_running_again_the_same_day_tells_nobody_twice(container, day_of_work, clock):
    first = daily(container)
    assert daily(container).ran is False  # the day is done: the scheduler's next looks cost one query
    clock.advance(hours=2)
    assert daily(container, force=True).ran  # on demand it runs, and still says nothing twice
    assert len(told(container, "wang.fang")) == 1 and len(told(container, "chen.hao")) == 1
    assert first.digests >= 2
    clock.advance(days=1)
    daily(container)
    assert [n.idempotency_key for n in told(container, "wang.fang")] == [
        "digest:wang.fang:2026-01-05", "digest:wang.fang:2026-01-06"]


def test_nothing_goes_out_before_the_configured_hour(container, day_of_work, clock):
    clock.set(datetime(2026, 1, 4, 23, 59, tzinfo=UTC))  # 07:59 in Shanghai
    assert daily(container).ran is False and told(container, "wang.fang") == []
    clock.set(datetime(2026, 1, 5, 0, 0, tzinfo=UTC))  # 08:00
    assert daily(container).ran and len(told(container, "wang.fang")) == 1


def test_a_long_list_is_cut_and_says_how_many_more(container, demo, clock):
    old = clock.now() - timedelta(days=30)
    with container.uow() as uow:
        uow.session.add_all(Lead(name=f"Lead {n:02d}", source="manual", owner="li.na", status="working",
                                 followup_since=old, created_at=old, updated_at=old) for n in range(22))
        uow.commit()
    daily(container)
    [digest] = told(container, "li.na")
    assert "待联系线索 22 条" in digest.subject
    assert "- Lead 19\n- ……另有 2 条" in digest.body and "Lead 20" not in digest.body


@pytest.fixture
def key_contacts(container: Container, demo, clock) -> dict[str, int]:
    """wang.fang's VIP account ACME (two people, one born on 29 February 2000), zhang.wei's strategic
    Huajin (one) and sun.li's ordinary Westlake (one, born on 1 March 1990)."""
    now = clock.now()
    with container.uow() as uow:
        accounts = {name: Account(name=name, owner=owner, category=category, created_at=now, updated_at=now)
                    for name, owner, category in (("ACME", "wang.fang", "vip"), ("Huajin", "zhang.wei", "strategic"),
                                                  ("Westlake", "sun.li", "ordinary"))}
        uow.session.add_all(accounts.values())
        uow.session.flush()
        people = {name: Contact(account_id=accounts[account].id, name=name, owner=accounts[account].owner,
                                birthday=birthday, created_at=now, updated_at=now)
                  for name, account, birthday in (("Leap Li", "ACME", date(2000, 2, 29)), ("Chen Jing", "ACME", None),
                                                  ("Huang Bo", "Huajin", None),
                                                  ("March Ma", "Westlake", date(1990, 3, 1)))}
        uow.session.add_all(people.values())
        uow.commit()
    return {name: contact.id for name, contact in people.items()}


def on(clock: ManualClock, day: date) -> None:
    """09:00 that day in Shanghai: after the job's hour."""
    clock.set(datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC))


def test_the_29th_of_february_is_kept_on_the_28th_in_other_years():
    assert next_birthday(date(2000, 2, 29), date(2027, 2, 1)) == date(2027, 2, 28)
    assert next_birthday(date(2000, 2, 29), date(2027, 3, 1)) == date(2028, 2, 29)
    assert next_birthday(date(1990, 12, 31), date(2026, 12, 31)) == date(2026, 12, 31)
    assert next_birthday(date(1990, 1, 2), date(2026, 12, 31)) == date(2027, 1, 2)


def test_birthdays_are_reminded_three_days_ahead_and_on_the_day(container, key_contacts, clock):
    for day in (date(2027, 2, 24), date(2027, 2, 25), date(2027, 2, 26), date(2027, 2, 27), date(2027, 2, 28),
                date(2027, 3, 1)):
        on(clock, day)
        daily(container)
    assert [(n.subject, n.link) for n in told(container, "wang.fang", "birthday_reminder")] == [
        ("Birthday in 3 days: Leap Li (ACME)", f"/contacts/{key_contacts['Leap Li']}"),
        ("Birthday today: Leap Li (ACME)", f"/contacts/{key_contacts['Leap Li']}")]
    ahead = told(container, "wang.fang", "birthday_reminder")[0]
    assert "has a birthday on Sunday, February 28, 2027" in ahead.body
    assert [n.subject for n in told(container, "sun.li", "birthday_reminder")] == [
        "3 天后是March Ma（Westlake）的生日", "今天是March Ma（Westlake）的生日"]
    for day in (date(2028, 2, 28), date(2028, 2, 29)):  # a leap year keeps the day itself
        on(clock, day)
        daily(container, force=True)
        daily(container, force=True)
    assert [n.idempotency_key for n in told(container, "wang.fang", "birthday_reminder")][2:] == [
        f"birthday:{key_contacts['Leap Li']}:2028:ahead", f"birthday:{key_contacts['Leap Li']}:2028:today"]
    assert told(container, "wang.fang", "birthday_reminder")[-1].created_at == datetime(2028, 2, 29, 1, 0,
                                                                                        tzinfo=UTC)


def test_owners_of_key_contacts_are_reminded_ahead_of_a_holiday_once(container, key_contacts, clock):
    on(clock, date(2026, 2, 12))  # the Spring Festival break starts on Monday 16 February: 4 days ahead
    daily(container)
    assert told(container, "wang.fang", "holiday_greetings") == []
    for day in (date(2026, 2, 13), date(2026, 2, 14), date(2026, 2, 15)):
        on(clock, day)
        daily(container, force=True)
    [english] = told(container, "wang.fang", "holiday_greetings")
    assert english.subject == ("Chinese New Year's Eve / Chinese New Year (Spring Festival) on Feb 16, 2026: "
                               "2 key contacts to greet")
    assert "- Chen Jing · ACME\n- Leap Li · ACME" in english.body
    assert english.created_at == datetime(2026, 2, 13, 1, 0, tzinfo=UTC)
    [chinese] = told(container, "zhang.wei", "holiday_greetings")
    assert chinese.subject == "2026年2月16日农历除夕、春节：1 位重点联系人待问候" and "- Huang Bo · Huajin" in chinese.body
    assert told(container, "sun.li", "holiday_greetings") == []  # an ordinary account's people are not listed
