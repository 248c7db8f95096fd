"""Activities on SQLite and PostgreSQL: logged on every kind of record, listed per person with
filters that never reach past the visibility rule, and counted per rep by day, week and month
in the viewer's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bootstrap import Container
from core.errors import NotFound
from tests.deals import seed_deals
from tests.usecases import run
from workflows.accounts.models import Account, Contact
from workflows.activities.lists import ActivityFilter, activity_page, parse_filter
from workflows.activities.models import Activity
from workflows.activities.service import ActivityInput, activities_of, log_activity
from workflows.activities.statistics import StatisticsFilter, parse_statistics, visit_statistics

SHANGHAI = "Asia/Shanghai"


@pytest.fixture
def records(container: Container, demo) -> dict[str, int]:
    """The seeded deals' accounts (ACME: wang.fang, Huajin: zhang.wei, Westlake: sun.li), a contact
    at each, and the deals."""
    ids = seed_deals(container)
    now = container.engine.clock.now()
    with container.uow() as uow:
        accounts = dict(uow.session.execute(select(Account.name, Account.id)).all())
        owners = dict(uow.session.execute(select(Account.name, Account.owner)).all())
        contacts = {name: Contact(account_id=accounts[name], name=f"Buyer at {name}", owner=owners[name],
                                  created_at=now, updated_at=now) for name in accounts}
        uow.session.add_all(contacts.values())
        uow.commit()
    return {**ids, **accounts, **{f"contact:{name}": contact.id for name, contact in contacts.items()}}


def logged(container: Container, owner: str, kind: str, at: datetime, subject: tuple[str, int]) -> int:
    """An activity at an exact moment, as if logged then."""
    with container.uow() as uow:
        activity = Activity(kind=kind, subject_type=subject[0], subject_id=subject[1], owner=owner, happened_at=at,
                            outcome=f"{kind} by {owner}", next_step="", created_at=at)
        uow.session.add(activity)
        uow.commit()
        return activity.id


def listed(container: Container, viewer, **params: str) -> tuple[list[str], dict[str, str], int]:
    with container.session_factory() as session:
        found, problems = parse_filter(session, viewer, params)
        page = activity_page(session, viewer, found, SHANGHAI)
    return [row.outcome for row in page.rows], problems, page.total


def test_a_contact_and_an_opportunity_take_activities_and_another_team_cannot_log(container, as_, records, clock):
    rep = as_("wang.fang")
    on_contact = run(container, log_activity, rep, "contact", records["contact:ACME"],
                     ActivityInput("call", outcome="Asked for the price list", next_step="Send it"), SHANGHAI,
                     clock.now())
    run(container, log_activity, rep, "opportunity", records["ACME robots"],
        ActivityInput("meeting", happened_on="2026-01-02", outcome="Demo at their site"), SHANGHAI, clock.now())
    manager = as_("liu.yang")
    with container.session_factory() as session:
        assert [a.outcome for a in activities_of(session, rep, "contact", records["contact:ACME"])] == [
            "Asked for the price list"]
        meeting = activities_of(session, manager, "opportunity", records["ACME robots"])[0]
    assert on_contact.happened_at == clock.now()
    assert meeting.happened_at == datetime(2026, 1, 2, 4, 0, tzinfo=UTC)  # noon in Shanghai that day
    for subject, record_id in (("contact", records["contact:Westlake"]), ("opportunity", records["Westlake AGVs"])):
        with pytest.raises(NotFound):
            run(container, log_activity, rep, subject, record_id, ActivityInput("call", outcome="x"), SHANGHAI,
                clock.now())
        with pytest.raises(NotFound), container.session_factory() as session:
            activities_of(session, rep, subject, record_id)


@pytest.fixture
def team_activities(container: Container, records) -> dict[str, int]:
    """wang.fang's visit, call and meeting, zhang.wei's call (both team 1), sun.li's visit (team 3)."""
    return {
        "wf visit": logged(container, "wang.fang", "visit", datetime(2026, 1, 4, 16, 0, tzinfo=UTC),  # 5 Jan 00:00
                           ("account", records["ACME"])),
        "wf call": logged(container, "wang.fang", "call", datetime(2026, 1, 4, 15, 59, tzinfo=UTC),  # 4 Jan 23:59
                          ("contact", records["contact:ACME"])),
        "wf meeting": logged(container, "wang.fang", "meeting", datetime(2026, 1, 3, 2, 0, tzinfo=UTC),
                             ("opportunity", records["ACME robots"])),
        "zw call": logged(container, "zhang.wei", "call", datetime(2026, 1, 2, 2, 0, tzinfo=UTC),
                          ("account", records["Huajin"])),
        "sl visit": logged(container, "sun.li", "visit", datetime(2026, 1, 4, 2, 0, tzinfo=UTC),
                           ("account", records["Westlake"])),
    }


def test_each_person_sees_their_own_and_managers_their_subtree(container, as_, team_activities):
    mine, problems, total = listed(container, as_("wang.fang"))
    assert (mine, problems, total) == (["visit by wang.fang", "call by wang.fang", "meeting by wang.fang"], {}, 3)
    assert listed(container, as_("liu.yang"))[2] == 4  # team 1
    assert listed(container, as_("chen.hao"))[2] == 4  # Shanghai: teams 1 and 2
    assert listed(container, as_("xu.tao"))[0] == ["visit by sun.li"]  # team 3
    assert listed(container, as_("admin"))[2] == 5


def test_no_filter_reaches_past_the_visibility_rule(container, as_, team_activities):
    rep = as_("zhang.wei")
    for person in ("wang.fang", "sun.li", "nobody"):
        rows, problems, _total = listed(container, rep, person=person)
        assert rows == ["call by zhang.wei"] and set(problems) == {"person"}
    rows, problems, _total = listed(container, as_("liu.yang"), person="sun.li")
    assert "visit by sun.li" not in rows and set(problems) == {"person"}
    with container.session_factory() as session:  # a filter built by hand, past the parsing, finds nothing
        assert activity_page(session, rep, ActivityFilter(person="sun.li"), SHANGHAI).rows == []


def test_filters_by_person_kind_record_and_the_viewers_days(container, as_, team_activities):
    manager = as_("liu.yang")
    assert listed(container, manager, person="zhang.wei")[0] == ["call by zhang.wei"]
    assert listed(container, manager, kind="call")[0] == ["call by wang.fang", "call by zhang.wei"]
    assert listed(container, manager, record="opportunity")[0] == ["meeting by wang.fang"]
    # 16:00 UTC on 4 January is midnight starting 5 January in Shanghai.
    assert listed(container, manager, since="2026-01-05")[0] == ["visit by wang.fang"]
    assert listed(container, manager, until="2026-01-04")[0] == [
        "call by wang.fang", "meeting by wang.fang", "call by zhang.wei"]
    assert listed(container, manager, since="2026-01-03", until="2026-01-03")[0] == ["meeting by wang.fang"]


def test_bad_filter_values_are_named_and_left_out(container, as_, team_activities):
    rows, problems, total = listed(container, as_("wang.fang"), kind="telepathy", record="planet",
                                   since="yesterday", until="2026-13-01")
    assert set(problems) == {"kind", "record", "since", "until"} and total == 3
    rows, problems, _total = listed(container, as_("wang.fang"), since="2026-01-05", until="2026-01-01")
    assert set(problems) == {"until"} and rows == ["visit by wang.fang"]
    huge = "9" * 5000  # more digits than int() converts: the first page, not an error
    with container.session_factory() as session:
        found, problems = parse_filter(session, as_("wang.fang"), {"page": huge, "per_page": huge})
    assert (found.page, found.per_page, problems) == (1, 25, {})


def test_rows_name_their_record_and_pages_hold_the_last_page_past_the_end(container, as_, records,
                                                                          team_activities):
    viewer = as_("wang.fang")
    with container.session_factory() as session:
        first = activity_page(session, viewer, ActivityFilter(per_page=2), SHANGHAI)
        past_end = activity_page(session, viewer, ActivityFilter(per_page=2, page=99), SHANGHAI)
    assert (first.total, first.pages, past_end.page) == (3, 2, 2)
    visit, call = first.rows
    assert (visit.record, visit.path, visit.owner_name) == ("ACME", f"/accounts/{records['ACME']}", "王芳")
    assert (call.record, call.path) == ("Buyer at ACME", f"/contacts/{records['contact:ACME']}")
    assert [row.record for row in past_end.rows] == ["ACME robots"]


def counts(container: Container, viewer, unit: str, since: date, until: date, time_zone: str = SHANGHAI,
           **filters: str) -> dict[tuple[date, date, str], tuple[int, int, int]]:
    with container.session_factory() as session:
        rows = visit_statistics(session, viewer, StatisticsFilter(unit, since, until, **filters), time_zone)
    return {(row.first, row.last, row.owner): (row.visits, row.calls, row.meetings) for row in rows}


@pytest.fixture
def month_of_work(container: Container, records) -> None:
    """Visits, calls and meetings placed on both sides of midnight, a Monday and a month's end,
    in Shanghai (UTC+8); an email and a note that count for nothing."""
    acme, huajin, westlake = (("account", records[name]) for name in ("ACME", "Huajin", "Westlake"))
    for owner, kind, at, subject in (
        ("wang.fang", "visit", datetime(2026, 1, 4, 15, 59), acme),  # Sun 4 Jan 23:59
        ("wang.fang", "visit", datetime(2026, 1, 4, 16, 0), acme),  # Mon 5 Jan 00:00: a new week
        ("wang.fang", "meeting", datetime(2026, 1, 5, 2, 0), acme),  # Mon 5 Jan 10:00
        ("wang.fang", "note", datetime(2026, 1, 5, 3, 0), acme),
        ("wang.fang", "email", datetime(2026, 1, 5, 3, 0), acme),
        ("wang.fang", "call", datetime(2026, 1, 31, 15, 0), acme),  # Sat 31 Jan 23:00
        ("wang.fang", "call", datetime(2026, 1, 31, 16, 30), acme),  # Sun 1 Feb 00:30: a new month
        ("wang.fang", "visit", datetime(2026, 2, 1, 16, 0), acme),  # Mon 2 Feb 00:00: after the period
        ("wang.fang", "visit", datetime(2025, 12, 31, 15, 59), acme),  # Wed 31 Dec 23:59: before it
        ("zhang.wei", "visit", datetime(2026, 1, 5, 1, 0), huajin),
        ("sun.li", "visit", datetime(2026, 1, 5, 1, 0), westlake),
    ):
        logged(container, owner, kind, at.replace(tzinfo=UTC), subject)


JAN_1, FEB_1 = date(2026, 1, 1), date(2026, 2, 1)


def test_statistics_by_day_week_month_and_period_count_the_viewers_days(container, as_, month_of_work):
    manager = as_("liu.yang")
    assert counts(container, manager, "day", JAN_1, FEB_1) == {
        (date(2026, 1, 4), date(2026, 1, 4), "wang.fang"): (1, 0, 0),
        (date(2026, 1, 5), date(2026, 1, 5), "wang.fang"): (1, 0, 1),
        (date(2026, 1, 5), date(2026, 1, 5), "zhang.wei"): (1, 0, 0),
        (date(2026, 1, 31), date(2026, 1, 31), "wang.fang"): (0, 1, 0),
        (date(2026, 2, 1), date(2026, 2, 1), "wang.fang"): (0, 1, 0),
    }
    assert counts(container, manager, "week", JAN_1, FEB_1) == {  # weeks from Monday, cut to the period
        (JAN_1, date(2026, 1, 4), "wang.fang"): (1, 0, 0),
        (date(2026, 1, 5), date(2026, 1, 11), "wang.fang"): (1, 0, 1),
        (date(2026, 1, 5), date(2026, 1, 11), "zhang.wei"): (1, 0, 0),
        (date(2026, 1, 26), FEB_1, "wang.fang"): (0, 2, 0),
    }
    assert counts(container, manager, "month", JAN_1, FEB_1) == {
        (JAN_1, date(2026, 1, 31), "wang.fang"): (2, 1, 1),
        (JAN_1, date(2026, 1, 31), "zhang.wei"): (1, 0, 0),
        (FEB_1, FEB_1, "wang.fang"): (0, 1, 0),
    }
    assert counts(container, manager, "period", JAN_1, FEB_1) == {
        (JAN_1, FEB_1, "wang.fang"): (2, 2, 1), (JAN_1, FEB_1, "zhang.wei"): (1, 0, 0)}


def test_statistics_count_only_people_in_sight(container, as_, month_of_work):
    assert set(counts(container, as_("zhang.wei"), "period", JAN_1, FEB_1)) == {(JAN_1, FEB_1, "zhang.wei")}
    assert set(counts(container, as_("xu.tao"), "period", JAN_1, FEB_1)) == {(JAN_1, FEB_1, "sun.li")}
    assert set(counts(container, as_("liu.yang"), "period", JAN_1, FEB_1, person="zhang.wei")) == {
        (JAN_1, FEB_1, "zhang.wei")}
    with container.session_factory() as session:
        found, problems = parse_statistics(session, as_("zhang.wei"), {"person": "sun.li"}, FEB_1)
    assert found.person is None and set(problems) == {"person"}


def test_statistics_follow_daylight_saving_in_the_viewers_zone(container, as_, records):
    """Berlin moves from UTC+1 to UTC+2 at 01:00 UTC on 29 March 2026."""
    acme = ("account", records["ACME"])
    for at in (datetime(2026, 3, 28, 23, 30), datetime(2026, 3, 29, 21, 30),  # 00:30 and 23:30 on the 29th
               datetime(2026, 3, 29, 22, 30)):  # 00:30 on the 30th, summer time
        logged(container, "wang.fang", "visit", at.replace(tzinfo=UTC), acme)
    found = counts(container, as_("wang.fang"), "day", date(2026, 3, 28), date(2026, 3, 31), "Europe/Berlin")
    assert found == {(date(2026, 3, 29), date(2026, 3, 29), "wang.fang"): (2, 0, 0),
                     (date(2026, 3, 30), date(2026, 3, 30), "wang.fang"): (1, 0, 0)}


def test_statistics_parameters_default_and_refuse_what_they_cannot_show(container, as_, demo):
    viewer = as_("liu.yang")
    with container.session_factory() as session:
        default, problems = parse_statistics(session, viewer, {}, date(2026, 1, 7))
        too_long, long_problems = parse_statistics(session, viewer, {"unit": "day", "since": "2025-01-01",
                                                                     "until": "2026-01-31"}, date(2026, 2, 1))
        bad, bad_problems = parse_statistics(session, viewer, {"unit": "year", "since": "soon"}, date(2026, 1, 7))
    assert problems == {} and (default.unit, default.since, default.until) == ("week", date(2025, 12, 15),
                                                                                date(2026, 1, 7))
    assert set(long_problems) == {"since"} and (too_long.until - too_long.since).days == 91
    assert set(bad_problems) == {"unit", "since"} and bad.unit == "week"

