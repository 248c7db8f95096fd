"""Record visibility on the demo organisation, on SQLite and PostgreSQL.

Shanghai branch: director chen.hao; Team 1 (manager liu.yang: zhang.wei, li.na,
wang.fang) and Team 2 (manager huang.lei: zhao.qiang, wu.jing). Hangzhou branch:
director zhou.min; Team 3 (xu.tao: sun.li, ...) and Team 4. At head office: the general
manager wang.jianguo, the directors, finance; in IT: the designer yang.fan and admin.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bootstrap import Container
from core.clock import ManualClock
from core.errors import NotFound, PermissionDenied
from engine import HumanTask, ProcessDefinition, ProcessInstance
from engine.models import TaskCandidate
from workflows.org import service
from workflows.org.models import User
from workflows.org.visibility import (
    Viewer,
    can_see_owner,
    require_visible,
    viewer_for,
    visible_task_condition,
    visible_usernames,
)

SHANGHAI_TEAM_1 = {"liu.yang", "zhang.wei", "li.na", "wang.fang"}
SHANGHAI_TEAM_2 = {"huang.lei", "zhao.qiang", "wu.jing"}


def visible(container: Container, viewer: Viewer) -> set[str]:
    with container.session_factory() as session:
        return set(session.scalars(visible_usernames(viewer)))


def test_a_rep_sees_only_themselves(container, as_, demo):
    rep = as_("zhang.wei")
    assert (rep.is_admin, rep.is_manager, rep.groups) == (False, False, {"sales_rep"})
    assert visible(container, rep) == {"zhang.wei"}
    with container.session_factory() as session:
        assert can_see_owner(session, rep, "zhang.wei")
        assert not can_see_owner(session, rep, "li.na")
        assert not can_see_owner(session, rep, None)


def test_a_team_manager_sees_their_team_only(container, as_):
    assert visible(container, as_("liu.yang")) == SHANGHAI_TEAM_1


def test_a_branch_director_sees_the_branch_but_not_the_other_branch(container, as_):
    shanghai, hangzhou = as_("chen.hao"), as_("zhou.min")
    assert visible(container, shanghai) == SHANGHAI_TEAM_1 | SHANGHAI_TEAM_2 | {"chen.hao"}
    with container.session_factory() as session:
        assert can_see_owner(session, shanghai, "wu.jing")
        assert not can_see_owner(session, shanghai, "sun.li")
        assert not can_see_owner(session, hangzhou, "zhang.wei")


def test_the_general_manager_and_the_admin_see_everyone(container, as_, demo):
    general_manager, admin = as_("wang.jianguo"), as_("admin")
    assert visible(container, general_manager) == set(demo)
    assert visible(container, admin) == set(demo)
    with container.session_factory() as session:
        assert can_see_owner(session, admin, None)  # unowned records: admins only
        assert not can_see_owner(session, general_manager, None)


def test_anything_out_of_sight_is_not_found_never_forbidden(container, as_):
    manager, rep = as_("liu.yang"), as_("zhang.wei")
    with container.session_factory() as session:
        require_visible(session, manager, "li.na")
        with pytest.raises(NotFound, match="This opportunity does not exist") as caught:
            require_visible(session, manager, "sun.li", what="This opportunity")
        assert not isinstance(caught.value, PermissionDenied)
        with pytest.raises(NotFound):
            require_visible(session, rep, "nobody.at.all")


def test_moving_a_user_moves_their_records_out_of_the_old_managers_sight(container, as_, demo):
    admin = as_("admin")
    with container.uow() as uow:
        hangzhou_team = uow.session.get(User, demo["xu.tao"]).org_unit_id
        service.move_user(uow.session, admin, demo["li.na"], hangzhou_team, demo["xu.tao"])
        uow.commit()
    assert "li.na" not in visible(container, as_("liu.yang"))
    assert "li.na" in visible(container, as_("xu.tao"))


def test_deactivated_users_have_no_viewer_but_their_records_stay_visible(container, as_, demo):
    admin = as_("admin")
    with container.uow() as uow:
        service.deactivate_user(uow.session, admin, demo["li.na"])
        uow.commit()
    with container.session_factory() as session:
        assert viewer_for(session, demo["li.na"]) is None
        assert viewer_for(session, 999_999) is None
    assert "li.na" in visible(container, as_("liu.yang"))


def test_list_users_is_paginated_and_scoped(container, as_, demo):
    director, rep, admin = as_("chen.hao"), as_("zhang.wei"), as_("admin")
    with container.session_factory() as session:
        users, total = service.list_users(session, director, page=2, per_page=3)
        assert total == 8
        assert [u.username for u in users] == ["liu.yang", "wang.fang", "wu.jing"]
        assert service.list_users(session, rep)[1] == 1
        assert service.list_users(session, admin, per_page=1000)[1] == len(demo)
        assert service.get_user(session, director, demo["wu.jing"]).display_name == "吴静"
        with pytest.raises(NotFound):
            service.get_user(session, director, demo["sun.li"])


# --- the task inbox's "all I may see" ----------------------------------------------------


def add_tasks(container: Container, clock: ManualClock) -> None:
    """Seven open tasks with the owners, assignees and candidates the cases below need."""
    tasks = {
        "t1": ("zhang.wei", "zhang.wei", []),  # name: (owner, assignee, candidates)
        "t2": ("sun.li", None, [("group", "sales_rep")]),
        "t3": ("li.na", None, [("user", "li.na")]),
        "t4": ("sun.li", "sun.li", []),
        "t5": ("zhang.wei", None, [("group", "sales_director")]),
        "t6": (None, "liu.yang", []),
        "t7": ("zhang.wei", "sun.li", []),
    }
    with container.uow() as uow:
        s = uow.session
        definition = ProcessDefinition(key="p", version=1, name="P", content_hash="x" * 64, sources={},
                                       deployed_by="t", deployed_at=clock.now(), note="")
        s.add(definition)
        s.flush()
        instance = ProcessInstance(definition_id=definition.id, process_key="p", status="running", state="{}",
                                   serializer_version="1", started_at=clock.now(), updated_at=clock.now())
        s.add(instance)
        s.flush()
        for name, (owner, assignee, offered) in tasks.items():
            s.add(HumanTask(id=name, instance_id=instance.id, definition_id=definition.id, process_key="p",
                            bpmn_id=name, name=name, assignee=assignee, owner=owner, created_at=clock.now(),
                            candidates=[TaskCandidate(kind=k, name=n) for k, n in offered]))
        uow.commit()


@pytest.mark.parametrize(("username", "expected"), [
    ("zhang.wei", {"t1", "t2"}),  # mine; offered to my group
    ("li.na", {"t2", "t3"}),  # offered to my group; offered to me by name
    ("sun.li", {"t2", "t4", "t7"}),
    ("liu.yang", {"t1", "t3", "t5", "t6", "t7"}),  # mine; owner or assignee in Team 1
    ("chen.hao", {"t1", "t3", "t5", "t6", "t7"}),  # the branch: t5 is also offered to directors
    ("zhou.min", {"t2", "t4", "t5", "t7"}),  # Hangzhou owners/assignees; t5 offered to directors
    ("wang.jianguo", {"t1", "t2", "t3", "t4", "t5", "t6", "t7"}),
    ("admin", {"t1", "t2", "t3", "t4", "t5", "t6", "t7"}),
])
def test_all_i_may_see_in_the_task_inbox(container, clock, as_, username, expected):
    add_tasks(container, clock)
    condition = visible_task_condition(as_(username))
    with container.session_factory() as session:
        assert set(session.scalars(select(HumanTask.id).where(condition))) == expected
