"""Demo organisation: a believable company to click through on first start.

East China Smart Equipment Co. (华东智能装备有限公司) has a Shanghai and a Hangzhou
branch, a sales department in each with two teams, and the managers, directors, finance,
a process designer and an admin around them. Loading is idempotent: units are matched
by name under their parent and users by username, so a second run adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import OrgUnit, User
from .passwords import hash_password
from .service import insert_user
from .units import insert_unit

DEMO_PASSWORD = "demo1234"  # noqa: S105  (published on the demo login page on purpose)
DEMO_TIMEZONE = "Asia/Shanghai"
EMAIL_DOMAIN = "ecse-demo.example.com"


@dataclass(frozen=True)
class DemoLogin:
    """A login to print on start-up and show on the login page in demo mode."""

    username: str
    password: str
    description: str


@dataclass(frozen=True)
class _Unit:
    key: str
    name: str
    kind: str
    parent: str | None


@dataclass(frozen=True)
class _Person:
    username: str
    display_name: str
    role: str
    unit: str
    manager: str | None
    title: str
    locale: str = "zh_CN"


UNITS = (
    _Unit("hq", "华东智能装备有限公司 East China Smart Equipment Co.", "company", None),
    _Unit("it", "信息技术部 IT", "department", "hq"),
    _Unit("sh", "上海分公司 Shanghai branch", "branch", "hq"),
    _Unit("sh_sales", "华东销售部 East China sales", "department", "sh"),
    _Unit("sh_t1", "销售一组 Team 1", "team", "sh_sales"),
    _Unit("sh_t2", "销售二组 Team 2", "team", "sh_sales"),
    _Unit("hz", "杭州分公司 Hangzhou branch", "branch", "hq"),
    _Unit("hz_sales", "浙江销售部 Zhejiang sales", "department", "hz"),
    _Unit("hz_t3", "销售三组 Team 3", "team", "hz_sales"),
    _Unit("hz_t4", "销售四组 Team 4", "team", "hz_sales"),
)

# Managers come before the people who report to them.
PEOPLE = (
    _Person("wang.jianguo", "王建国", "general_manager", "hq", None, "General manager"),
    _Person("li.ming", "李明", "commercial_director", "hq", "wang.jianguo", "Commercial director"),
    _Person("zhao.li", "赵丽", "service_director", "hq", "wang.jianguo", "Service director"),
    _Person("sun.yan", "孙燕", "finance", "hq", "wang.jianguo", "Finance"),
    _Person("chen.hao", "陈浩", "sales_director", "sh", "wang.jianguo", "Sales director, Shanghai"),
    _Person("zhou.min", "周敏", "sales_director", "hz", "wang.jianguo", "Sales director, Hangzhou"),
    _Person("liu.yang", "刘洋", "sales_manager", "sh_t1", "chen.hao", "Sales manager, Team 1"),
    _Person("zhang.wei", "张伟", "sales_rep", "sh_t1", "liu.yang", "Sales rep, Team 1"),
    _Person("li.na", "李娜", "sales_rep", "sh_t1", "liu.yang", "Sales rep, Team 1"),
    _Person("wang.fang", "王芳", "sales_rep", "sh_t1", "liu.yang", "Sales rep, Team 1", "en"),
    _Person("huang.lei", "黄磊", "sales_manager", "sh_t2", "chen.hao", "Sales manager, Team 2"),
    _Person("zhao.qiang", "赵强", "sales_rep", "sh_t2", "huang.lei", "Sales rep, Team 2"),
    _Person("wu.jing", "吴静", "sales_rep", "sh_t2", "huang.lei", "Sales rep, Team 2"),
    _Person("xu.tao", "徐涛", "sales_manager", "hz_t3", "zhou.min", "Sales manager, Team 3"),
    _Person("sun.li", "孙丽", "sales_rep", "hz_t3", "xu.tao", "Sales rep, Team 3"),
    _Person("ma.chao", "马超", "sales_rep", "hz_t3", "xu.tao", "Sales rep, Team 3"),
    _Person("lin.xiaoyu", "林晓雨", "sales_rep", "hz_t3", "xu.tao", "Sales rep, Team 3"),
    _Person("he.jun", "何军", "sales_manager", "hz_t4", "zhou.min", "Sales manager, Team 4"),
    _Person("guo.hua", "郭华", "sales_rep", "hz_t4", "he.jun", "Sales rep, Team 4"),
    _Person("luo.qian", "罗倩", "sales_rep", "hz_t4", "he.jun", "Sales rep, Team 4"),
    _Person("yang.fan", "杨帆", "process_designer", "it", "wang.jianguo", "Process designer", "en"),
    _Person("admin", "系统管理员 Administrator", "admin", "it", "wang.jianguo", "Administrator", "en"),
)


def demo_logins() -> list[DemoLogin]:
    """The demo logins, without touching the database."""
    return [
        DemoLogin(p.username, DEMO_PASSWORD, f"{p.display_name} · {p.title}") for p in PEOPLE
    ]


def load_demo(session: Session, now: datetime) -> list[DemoLogin]:
    """Create whatever part of the demo organisation is missing; the caller commits.

    Existing users are left as they are (an edited password stays edited).
    """
    units = _load_units(session)
    ids = dict(session.execute(
        select(User.username, User.id).where(User.username.in_([p.username for p in PEOPLE]))
    ).all())
    password_hash: str | None = None  # argon2 is slow on purpose: hash once, share it
    for person in PEOPLE:
        if person.username in ids:
            continue
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        user = insert_user(
            session, username=person.username, display_name=person.display_name,
            email=f"{person.username}@{EMAIL_DOMAIN}", password_hash=password_hash,
            org_unit_id=units[person.unit].id,
            manager_id=ids.get(person.manager) if person.manager else None,
            roles=[person.role], locale=person.locale, timezone=DEMO_TIMEZONE, now=now,
        )
        ids[person.username] = user.id
    return demo_logins()


def _load_units(session: Session) -> dict[str, OrgUnit]:
    """Each demo unit by key, found by name under its parent or created."""
    units: dict[str, OrgUnit] = {}
    for spec in UNITS:
        parent = units[spec.parent] if spec.parent else None
        parent_filter = OrgUnit.parent_id == parent.id if parent else OrgUnit.parent_id.is_(None)
        found = session.scalar(
            select(OrgUnit).where(OrgUnit.name == spec.name, parent_filter).order_by(OrgUnit.id).limit(1)
        )
        units[spec.key] = found or insert_unit(session, spec.name, spec.kind, parent)
    return units
