"""What the lead and account follow-up cadence tests share: Team 1's pool with a cycle
deployed, the scheduler's tick, the follow-up tasks of a record and who was told what."""

from __future__ import annotations

from sqlalchemy import select

import bootstrap
from bootstrap import Container
from engine import fire_due_timers
from engine.models import HumanTask
from notifications.models import Notification
from workflows.leads.models import Pool, PoolMember

MEMBERS = ("zhang.wei", "li.na", "wang.fang")


def team_pool(container: Container, demo: dict[str, int], diagram: str, **limits: int) -> int:
    """Team 1's pool 上海公海 (30 days without contact, warned 3 days before, unless ``limits``
    say otherwise), with the follow-up cycle in ``diagram`` deployed."""
    with container.uow() as uow:
        [cycle] = [files for files in bootstrap.shipped_bundles() if diagram in files]
        container.engine.deploy(uow.session, cycle)
        pool = Pool(name="上海公海", **{"recycle_after_days": 30, "warn_days_before": 3, **limits},
                    created_at=container.engine.clock.now())
        uow.session.add(pool)
        uow.session.flush()
        uow.session.add_all([PoolMember(pool_id=pool.id, user_id=demo[name]) for name in MEMBERS])
        uow.commit()
        return pool.id


def tick(container: Container) -> None:
    """What the scheduler does every few seconds: bring cycles up to date, fire due timers."""
    bootstrap.follow_up_leads(container)
    fire_due_timers(container.engine, container.session_factory)
    bootstrap.follow_up_leads(container)


def follow_ups(container: Container, key: str) -> list[HumanTask]:
    """The open follow-up tasks of the record with business key ``key``."""
    with container.session_factory() as session:
        return list(session.scalars(select(HumanTask).where(
            HumanTask.business_key == key, HumanTask.bpmn_id == "follow_up")))


def told(container: Container, username: str) -> list[str]:
    """The subjects of the going-back-to-the-pool notices ``username`` got, oldest first."""
    with container.session_factory() as session:
        return list(session.scalars(select(Notification.subject).where(
            Notification.username == username, Notification.kind == "recycled_to_pool").order_by(Notification.id)))
