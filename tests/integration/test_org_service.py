"""People and org use cases on SQLite and PostgreSQL: login, passwords, user admin, units."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from bootstrap import Container
from core.clock import ManualClock
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.phrases import Phrase
from workflows.org import login, preferences, service, units
from workflows.org.login import InvalidCredentials, TooManyAttempts
from workflows.org.models import LoginFailure, OrgUnit, User
from workflows.org.passwords import hash_password, verify_password
from workflows.org.visibility import Viewer, viewer_for

PASSWORD = "s3cret-pass"


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def org(container: Container, clock: ManualClock) -> dict[str, int]:
    """ACME / Shanghai / Team 1 and Team 2, with an admin, a director, a manager and a rep."""
    with container.uow() as uow:
        s = uow.session
        company = units.insert_unit(s, "ACME", "company", None)
        branch = units.insert_unit(s, "Shanghai", "branch", company)
        team = units.insert_unit(s, "Team 1", "team", branch)
        team2 = units.insert_unit(s, "Team 2", "team", branch)
        ids = {"company": company.id, "branch": branch.id, "team": team.id, "team2": team2.id}
        for username, role, unit, manager in (
            ("root", "admin", company, None), ("boss", "sales_director", branch, None),
            ("mgr", "sales_manager", team, "boss"), ("rep", "sales_rep", team, "mgr"),
        ):
            user = service.insert_user(
                s, username=username, display_name=username.title(), email="", password_hash=password_hash(),
                org_unit_id=unit.id, manager_id=ids.get(manager) if manager else None, roles=[role],
                locale="zh_CN", timezone="Asia/Shanghai", now=clock.now(),
            )
            ids[username] = user.id
        uow.commit()
    return ids


def viewer(container: Container, user_id: int) -> Viewer:
    with container.session_factory() as session:
        found = viewer_for(session, user_id)
    assert found is not None
    return found


def run(container: Container, use_case: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One use case in its own unit of work, committed when it succeeds."""
    with container.uow() as uow:
        result = use_case(uow.session, *args, **kwargs)
        uow.commit()
    return result


def refused(container: Container, use_case: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, str]:
    """The fields a use case refuses, by name; each message is a Phrase the web translates."""
    with pytest.raises(InvalidInput) as caught:
        run(container, use_case, *args, **kwargs)
    assert all(isinstance(message, Phrase) for message in caught.value.fields.values())
    return caught.value.fields


def log_in(container: Container, clock: ManualClock, username: str, password: str, ip: str = "10.0.0.1") -> User:
    with container.uow() as uow:
        return login.log_in(uow, username, password, ip, clock.now())


def failures(container: Container) -> list[tuple[str, str]]:
    with container.session_factory() as session:
        return [(f.username, f.ip) for f in session.scalars(select(LoginFailure).order_by(LoginFailure.id))]


# --- logging in -------------------------------------------------------------------------


def test_the_right_password_logs_in_case_insensitively_and_records_nothing(container, clock, org):
    user = log_in(container, clock, " Rep ", PASSWORD)
    assert (user.id, user.username) == (org["rep"], "rep")
    assert failures(container) == []


def test_unknown_user_and_wrong_password_get_the_same_message_and_are_recorded(container, clock, org):
    messages = []
    for username, password in (("nobody", PASSWORD), ("rep", "wrong-password")):
        with pytest.raises(InvalidCredentials) as caught:
            log_in(container, clock, username, password, ip="10.0.0.9")
        messages.append(str(caught.value))
    assert messages == ["Wrong username or password"] * 2
    assert failures(container) == [("nobody", "10.0.0.9"), ("rep", "10.0.0.9")]


def test_a_deactivated_user_cannot_log_in_and_keeps_their_row(container, clock, org):
    run(container, service.deactivate_user, viewer(container, org["root"]), org["rep"])
    with pytest.raises(InvalidCredentials, match="^This account is deactivated$"):
        log_in(container, clock, "rep", PASSWORD)
    with pytest.raises(InvalidCredentials, match="^Wrong username or password$"):
        log_in(container, clock, "rep", "wrong-password")
    with container.session_factory() as session:
        assert session.get(User, org["rep"]).active is False
        assert viewer_for(session, org["rep"]) is None
    run(container, service.reactivate_user, viewer(container, org["root"]), org["rep"])
    assert log_in(container, clock, "rep", PASSWORD).id == org["rep"]


def test_five_failures_lock_the_username_for_fifteen_minutes(container, clock, org):
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            log_in(container, clock, "rep", "wrong-password")
    with pytest.raises(TooManyAttempts, match="try again in 15 minutes") as caught:
        log_in(container, clock, "rep", PASSWORD)  # refused before the password is checked
    assert isinstance(caught.value, PermissionDenied)
    assert caught.value.retry_after == timedelta(minutes=15)
    assert len(failures(container)) == 5  # refused attempts do not extend the lock
    assert log_in(container, clock, "mgr", PASSWORD, ip="10.0.0.1").username == "mgr"  # other users fine
    clock.advance(minutes=14, seconds=30)
    with pytest.raises(TooManyAttempts, match="try again in 1 minute$"):
        log_in(container, clock, "rep", PASSWORD)
    clock.advance(seconds=31)
    assert log_in(container, clock, "rep", PASSWORD).username == "rep"


def test_twenty_failures_from_one_ip_lock_that_ip_for_every_username(container, clock, org):
    with container.uow() as uow:
        for n in range(20):
            login.record_failed_login(uow.session, f"guess{n}", "10.6.6.6", clock.now() - timedelta(minutes=5))
        uow.commit()
    with pytest.raises(TooManyAttempts, match="try again in 10 minutes"):
        log_in(container, clock, "rep", PASSWORD, ip="10.6.6.6")
    assert log_in(container, clock, "rep", PASSWORD, ip="10.0.0.2").username == "rep"


def test_an_outdated_hash_is_upgraded_on_login(container, clock, org):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with container.uow() as uow:
        uow.session.get(User, org["rep"]).password_hash = weak
        uow.commit()
    log_in(container, clock, "rep", PASSWORD)
    with container.session_factory() as session:
        upgraded = session.get(User, org["rep"]).password_hash
    assert upgraded != weak and verify_password(upgraded, PASSWORD)


def test_change_password_names_the_wrong_field(container, clock, org):
    assert refused(container, login.change_password, org["rep"], "not-it", "new-password-1") == {
        "current_password": "the current password is wrong"}
    assert refused(container, login.change_password, org["rep"], PASSWORD, "short") == {
        "new_password": "must be at least 8 characters"}
    run(container, login.change_password, org["rep"], PASSWORD, "new-password-1")
    assert log_in(container, clock, "rep", "new-password-1").username == "rep"
    with pytest.raises(InvalidCredentials):
        log_in(container, clock, "rep", PASSWORD)


def test_a_user_may_only_pick_a_known_language(container, org):
    assert refused(container, preferences.set_locale, org["rep"], "fr") == {"locale": "must be one of zh_CN, en"}
    with pytest.raises(NotFound, match="^User 4242 does not exist$"):
        run(container, preferences.set_locale, 4242, "en")
    run(container, preferences.set_locale, org["rep"], "en")
    with container.session_factory() as session:
        assert session.get(User, org["rep"]).locale == "en"


# --- user administration ----------------------------------------------------------------


def new_user(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict(
        username="Zhang.Wei", display_name="张伟", email="zhang.wei@example.com", password="long-enough",
        manager_id=None, roles=["sales_rep"], locale="zh_CN", timezone="Asia/Shanghai",
    )
    return fields | overrides


def test_an_admin_creates_a_user_who_can_log_in(container, clock, org):
    admin = viewer(container, org["root"])
    user = run(container, service.create_user, admin, org_unit_id=org["team"], now=clock.now(),
               **new_user(manager_id=org["mgr"]))
    assert (user.username, user.roles, user.manager_id) == ("zhang.wei", ["sales_rep"], org["mgr"])
    assert log_in(container, clock, "zhang.wei", "long-enough").display_name == "张伟"
    assert refused(container, service.create_user, admin, org_unit_id=org["team"], now=clock.now(),
                   **new_user(username="ZHANG.WEI", password="short")) == {
        "username": "'zhang.wei' is already taken", "password": "must be at least 8 characters"}


def test_a_username_taken_meanwhile_is_a_conflict(container, clock, org):
    """``create_user`` checks first; a user added between its check and the insert races it."""
    with pytest.raises(Conflict, match="^The username 'rep' is already taken$"):
        run(container, service.insert_user, username="rep", display_name="Rep", email="",
            password_hash=password_hash(), org_unit_id=org["team"], manager_id=None, roles=[],
            locale="en", timezone="UTC", now=clock.now())


def test_every_bad_field_is_named_at_once(container, clock, org):
    fields = refused(
        container, service.create_user, viewer(container, org["root"]), org_unit_id=9999, now=clock.now(),
        **new_user(username="x", display_name=" ", email="nope", password="short", roles=["sales_rep", "king"],
                   locale="fr", timezone="Mars/Olympus", manager_id=9998))
    assert list(fields) == ["username", "display_name", "email", "password", "roles", "locale", "timezone",
                            "org_unit_id", "manager_id"]
    assert fields["roles"] == "unknown role(s) king" and fields["locale"] == "must be one of zh_CN, en"
    assert fields["manager_id"] == "user 9998 does not exist or is deactivated"


@pytest.mark.parametrize("use_case", [
    lambda s, actor, ids, now: service.create_user(s, actor, org_unit_id=ids["team"], now=now, **new_user()),
    lambda s, actor, ids, now: service.update_user(s, actor, ids["rep"], display_name="X"),
    lambda s, actor, ids, now: service.deactivate_user(s, actor, ids["rep"]),
    lambda s, actor, ids, now: service.reactivate_user(s, actor, ids["rep"]),
    lambda s, actor, ids, now: service.move_user(s, actor, ids["rep"], ids["team2"], None),
    lambda s, actor, ids, now: service.set_roles(s, actor, ids["rep"], ["admin"]),
    lambda s, actor, ids, now: units.create_unit(s, actor, "Team 9", "team", ids["branch"]),
], ids=["create", "update", "deactivate", "reactivate", "move", "set_roles", "create_unit"])
def test_only_admins_manage_users_and_units(container, clock, org, use_case):
    for who in ("rep", "mgr", "boss"):
        actor = viewer(container, org[who])
        with container.uow() as uow, pytest.raises(PermissionDenied, match="Only administrators"):
            use_case(uow.session, actor, org, clock.now())


def test_update_user_changes_only_the_given_fields(container, clock, org):
    admin = viewer(container, org["root"])
    run(container, service.update_user, admin, org["rep"], display_name=" 李娜 ", locale="en", password="reset-pass-1")
    with container.session_factory() as session:
        rep = session.get(User, org["rep"])
        assert (rep.display_name, rep.locale, rep.timezone, rep.email) == ("李娜", "en", "Asia/Shanghai", "")
    assert log_in(container, clock, "rep", "reset-pass-1").username == "rep"
    assert refused(container, service.update_user, admin, org["rep"], timezone="Nowhere/City", email="x@") == {
        "email": "not a valid email address", "timezone": "'Nowhere/City' is not a known time zone"}
    with pytest.raises(NotFound):
        run(container, service.update_user, admin, 4242, display_name="Ghost")


def test_admins_cannot_lock_themselves_out(container, org):
    admin = viewer(container, org["root"])
    assert refused(container, service.deactivate_user, admin, org["root"]) == {
        "user_id": "you cannot deactivate your own account"}
    assert refused(container, service.set_roles, admin, org["root"], ["sales_director"]) == {
        "roles": "you cannot remove your own admin role"}


def test_set_roles_replaces_the_roles(container, org):
    admin = viewer(container, org["root"])
    run(container, service.set_roles, admin, org["rep"], ["sales_rep", "finance"])
    assert viewer(container, org["rep"]).roles == {"sales_rep", "finance"}
    run(container, service.set_roles, admin, org["rep"], ["finance", "process_designer"])
    assert viewer(container, org["rep"]).roles == {"finance", "process_designer"}
    assert refused(container, service.set_roles, admin, org["rep"], ["emperor"]) == {
        "roles": "unknown role(s) emperor"}


def test_a_reporting_cycle_is_refused(container, org):
    admin = viewer(container, org["root"])
    cycle = refused(container, service.move_user, admin, org["boss"], org["branch"], org["rep"])["manager_id"]
    assert cycle == "rep already reports to this user; that would make a reporting cycle"  # rep → mgr → boss
    assert isinstance(cycle, Phrase) and cycle.values == {"username": "rep"}
    assert refused(container, service.move_user, admin, org["mgr"], org["team"], org["mgr"]) == {
        "manager_id": "a user cannot be their own manager"}
    assert refused(container, service.move_user, admin, org["mgr"], 777, org["boss"]) == {
        "org_unit_id": "org unit 777 does not exist"}
    moved = run(container, service.move_user, admin, org["rep"], org["team2"], org["boss"])
    assert (moved.org_unit.name, moved.manager_id) == ("Team 2", org["boss"])


def test_a_deactivated_manager_cannot_be_given_new_reports(container, org):
    admin = viewer(container, org["root"])
    run(container, service.deactivate_user, admin, org["mgr"])
    assert refused(container, service.move_user, admin, org["rep"], org["team"], org["mgr"]) == {
        "manager_id": f"user {org['mgr']} does not exist or is deactivated"}


def test_list_users_filters_by_name_unit_role_and_status(container, org):
    admin, mgr = viewer(container, org["root"]), viewer(container, org["mgr"])
    run(container, service.deactivate_user, admin, org["rep"])

    def names(who: Viewer = admin, **where: Any) -> list[str]:
        with container.session_factory() as session:
            users, total = service.list_users(session, who, where=service.UserFilter(**where))
        assert total == len(users)
        return [u.username for u in users]

    assert names(search=" O ") == ["boss", "root"]  # username or display name, any case
    assert names(search="%") == []  # a wildcard is just a character
    assert names(org_unit_id=org["branch"]) == ["boss", "mgr", "rep"]  # the units below count
    assert names(org_unit_id=org["team2"]) == [] and names(org_unit_id=4242) == []
    assert names(role="sales_manager") == ["mgr"]
    assert names(active=False) == ["rep"] and names(active=True) == ["boss", "mgr", "root"]
    assert names(mgr, search="o") == []  # still only what the viewer sees
    with container.session_factory() as session:
        assert service.list_users(session, admin, active_only=True)[1] == 3


def test_pickers_list_every_active_user_in_sight_and_units_count_active_members(container, org):
    admin, mgr = viewer(container, org["root"]), viewer(container, org["mgr"])
    run(container, service.deactivate_user, admin, org["rep"])
    with container.session_factory() as session:
        assert [u.username for u in service.list_active_users(session, admin)] == ["boss", "mgr", "root"]
        assert [u.username for u in service.list_active_users(session, mgr)] == ["mgr"]
        assert units.count_members(session) == {org["company"]: 1, org["branch"]: 1, org["team"]: 1}


# --- org units --------------------------------------------------------------------------


def test_units_keep_their_materialised_path(container, org):
    admin = viewer(container, org["root"])
    company = run(container, units.create_unit, admin, "Beta Co.", "company", None)
    branch = run(container, units.create_unit, admin, "Hangzhou", "branch", company.id)
    team = run(container, units.create_unit, admin, "Team 7", "team", branch.id)  # department skipped
    assert company.path == f"/{company.id}/"
    assert branch.path == f"/{company.id}/{branch.id}/"
    assert team.path == f"/{company.id}/{branch.id}/{team.id}/"
    with container.session_factory() as session:
        paths = [u.path for u in units.list_units(session)]
    assert paths.index(company.path) < paths.index(branch.path) < paths.index(team.path)


def test_units_list_in_tree_order_with_siblings_by_number(container, org):
    admin = viewer(container, org["root"])
    teams = [run(container, units.create_unit, admin, f"Team {n}", "team", org["branch"]).id for n in range(3, 9)]
    assert teams[-1] >= 10  # "/1/2/10/" sorts before "/1/2/9/" as text
    with container.session_factory() as session:
        ids = [u.id for u in units.list_units(session)]
    assert ids == [org["company"], org["branch"], org["team"], org["team2"], *teams]


@pytest.mark.parametrize(("name", "kind", "parent", "problem"), [
    ("Sub", "team", "team", {"kind": "a team cannot sit under a team"}),
    ("Sub", "branch", "team", {"kind": "a branch cannot sit under a team"}),
    ("Sub", "company", "company", {"parent_id": "a company is a root unit and has no parent"}),
    ("Sub", "branch", None, {"parent_id": "a branch needs a parent unit"}),
    (" ", "division", "company", {"name": "required, at most 120 characters",
                                  "kind": "must be one of company, branch, department, team"}),
    (" ", "team", "branch", {"name": "required, at most 120 characters"}),
])
def test_units_nest_in_kind_order(container, org, name, kind, parent, problem):
    admin = viewer(container, org["root"])
    assert refused(container, units.create_unit, admin, name, kind, org[parent] if parent else None) == problem


def test_a_missing_parent_unit_is_named(container, org):
    assert refused(container, units.create_unit, viewer(container, org["root"]), "Sub", "team", 555) == {
        "parent_id": "org unit 555 does not exist"}
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(OrgUnit)) == 4
