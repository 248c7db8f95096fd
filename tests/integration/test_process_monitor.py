"""Watching a version: where its instances wait, how long each stage took, the instance list."""

from __future__ import annotations

from datetime import timedelta

from bootstrap import Container
from core.clock import ManualClock
from engine import running_instances, time_per_element, version_counts, waiting_work
from tests.integration.test_process_migration import complete_open, deploy, start_at
from tests.versions import V1, pipeline


def test_counts_times_and_the_instance_list_of_a_version(container: Container, demo, clock: ManualClock):
    version = deploy(container, pipeline(*V1))
    a = start_at(container, 0)                    # t0: a waits at Qualify
    clock.advance(hours=1)
    b = start_at(container, 0)                    # t0+1h: b too
    clock.advance(hours=2)
    complete_open(container, a)                   # t0+3h: a's Qualify took 3h; Propose opens
    clock.advance(hours=2)
    complete_open(container, b)                   # t0+5h: b's Qualify took 4h
    clock.advance(hours=1)
    c = start_at(container, 0)                    # t0+6h
    clock.advance(hours=1)
    complete_open(container, c)                   # t0+7h: c's Qualify took 1h
    clock.advance(hours=2)
    complete_open(container, a)                   # t0+9h: a's Propose took 6h; a waits at Negotiate
    timed = deploy(container, pipeline("wait", "follow_up", process_id="timed", timers={"wait": "P3D"}))
    with container.uow() as uow:
        for number in range(2):
            container.engine.start(uow.session, "timed", f"lead:{number}", {"owner": "wang.fang"})
        uow.commit()

    with container.session_factory() as session:
        work = {(w.bpmn_id, w.tasks, w.timers) for w in waiting_work(session, version)}
        timers = [(w.bpmn_id, w.total) for w in waiting_work(session, timed)]
        times = {t.bpmn_id: t for t in time_per_element(session, version)}
        counts = version_counts(session, version)
        first = running_instances(session, version, 1, per_page=2)
        second = running_instances(session, version, 2, per_page=2)
        at_propose = running_instances(session, version, at="propose")
    assert work == {("propose", 2, 0), ("negotiate", 1, 0)}
    assert timers == [("wait", 2)]
    assert set(times) == {"qualify", "propose"}
    qualify = times["qualify"]                    # 3h, 4h and 1h
    assert (qualify.name, qualify.completed) == ("Qualify", 3)
    assert qualify.average == timedelta(hours=8 / 3)
    assert qualify.median == timedelta(hours=3)
    assert (times["propose"].completed, times["propose"].average, times["propose"].median) == (
        1, timedelta(hours=6), timedelta(hours=6))
    assert (counts.running, counts.failing) == (3, 0)
    assert [(i.id, i.waits_at) for i in first.items] == [(a, ["negotiate"]), (b, ["propose"])]
    assert first.has_next and not first.has_previous
    assert [(i.id, i.waits_at) for i in second.items] == [(c, ["propose"])]
    assert not second.has_next
    assert [i.id for i in at_propose.items] == [b, c]


def test_an_even_number_of_completions_has_the_middle_two_as_median(container: Container, demo, clock):
    version = deploy(container, pipeline("qualify"))
    for hours in (1, 2, 4, 10):
        instance_id = start_at(container, 0)
        clock.advance(hours=hours)
        complete_open(container, instance_id)
    with container.session_factory() as session:
        [qualify] = time_per_element(session, version)
    assert (qualify.completed, qualify.average, qualify.median) == (4, timedelta(hours=4.25), timedelta(hours=3))
