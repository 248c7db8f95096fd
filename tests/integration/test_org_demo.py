"""The demo organisation: loads once, and every printed login really works."""

from __future__ import annotations

from sqlalchemy import func, select

from bootstrap import Container
from core.clock import ManualClock
from workflows.org.demo import DEMO_PASSWORD, load_demo
from workflows.org.login import log_in
from workflows.org.models import OrgUnit, User


def load(container: Container, clock: ManualClock) -> list:
    with container.uow() as uow:
        logins = load_demo(uow.session, clock.now())
        uow.commit()
    return logins


def counts(container: Container) -> tuple[int, int]:
    with container.session_factory() as session:
        return (session.scalar(select(func.count()).select_from(User)) or 0,
                session.scalar(select(func.count()).select_from(OrgUnit)) or 0)


def test_loading_twice_adds_nothing_and_returns_the_same_logins(container, clock):
    first = load(container, clock)
    before = counts(container)
    assert load(container, clock) == first
    assert counts(container) == before == (len(first), 10)


def test_every_demo_login_authenticates(container, clock):
    logins = load(container, clock)
    assert {login.password for login in logins} == {DEMO_PASSWORD}
    for login in logins:
        with container.uow() as uow:
            user = log_in(uow, login.username, login.password, "127.0.0.1", clock.now())
        assert user.username == login.username and user.active


def test_reps_report_up_through_manager_and_director_to_the_general_manager(container, clock):
    load(container, clock)
    with container.session_factory() as session:
        users = {u.username: u for u in session.scalars(select(User))}
        by_id = {u.id: u for u in users.values()}
        chain = []
        current = users["zhang.wei"]
        while current.manager_id is not None:
            current = by_id[current.manager_id]
            chain.append((current.username, current.roles))
        assert chain == [("liu.yang", ["sales_manager"]), ("chen.hao", ["sales_director"]),
                         ("wang.jianguo", ["general_manager"])]
        assert users["zhang.wei"].org_unit.path.startswith(users["chen.hao"].org_unit.path)
        assert users["zhang.wei"].timezone == "Asia/Shanghai"


def test_a_partly_loaded_demo_is_completed(container, clock):
    logins = load(container, clock)
    with container.uow() as uow:
        uow.session.delete(uow.session.scalar(select(User).where(User.username == "luo.qian")))
        uow.commit()
    assert load(container, clock) == logins
    assert counts(container) == (len(logins), 10)
