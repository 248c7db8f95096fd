"""In a real browser: a designer watches a version (heatmap badges on its diagram) and moves its
instances to the next version, from the dry run through the background job to its results."""

from __future__ import annotations

import bootstrap
from engine import HumanTask
from tests.versions import V1, V2, pipeline


def test_the_heatmap_shows_and_a_bulk_migration_runs_to_its_results(container: bootstrap.Container,
                                                                     live_server, log_in, tmp_path):
    with container.uow() as uow:
        [first] = container.engine.deploy(uow.session, {"pipe.bpmn": pipeline(*V1)}, "yang.fan")
        ids = [container.engine.start(uow.session, "pipe", f"opportunity:{n}", {"owner": "wang.fang"}).id
               for n in range(4)]
        uow.commit()
    for instance_id, stages_done in zip(ids, (0, 1, 1, 2), strict=True):
        for _ in range(stages_done):
            with container.uow() as uow:
                task = uow.session.query(HumanTask).filter_by(instance_id=instance_id).one()
                container.engine.complete(uow.session, task.id, {}, "wang.fang")
                uow.commit()
    with container.uow() as uow:
        container.engine.deploy(uow.session, {"pipe.bpmn": pipeline(*V2)}, "yang.fan")
        uow.commit()

    errors: list[str] = []
    page = log_in("yang.fan")
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server}/processes/versions/{first.id}")
    page.wait_for_selector(".diagram[data-ready=true]", timeout=15000)
    badges = {b.get_attribute("data-element"): b.inner_text() for b in page.locator(".df-count").all()}
    assert badges == {"qualify": "1", "propose": "2", "negotiate": "1"}
    assert page.locator(".djs-element.df-heat-2[data-element-id=propose]").count() == 1
    assert page.locator(".df-average[data-element=qualify]").count() == 1
    page.screenshot(path=str(tmp_path / "monitor.png"))

    page.locator(".df-count[data-element=propose]").click()
    assert page.locator("#instance-list tbody tr").count() == 2

    page.select_option("select[name=target]", label=page.locator("select[name=target] option").first.inner_text())
    page.click("button:has-text('Migrate to…')")
    assert page.locator("#dry-run tr.refused").count() == 1
    assert "which version 2 removed" in page.locator("#dry-run tr.refused").inner_text()
    page.click("button:has-text('Move all 4 running instances')")
    page.wait_for_selector("#status[data-status=done]", timeout=20000)
    assert page.locator("#counts").inner_text().split() == ["Moved", "3", "Stayed", "1"]
    assert page.locator("#results tbody tr").count() == 4
    page.screenshot(path=str(tmp_path / "results.png"))
    assert errors == []
