"""In a real browser: a designer compares two versions of the standard pipeline and sees them marked."""

from __future__ import annotations

import re

import bootstrap
from bootstrap import SHIPPED_PROCESSES


def second_version(xml: str) -> str:
    """Analysis gets a higher probability, Discover loses its "abandoned" flow, a Parked end appears."""
    xml = xml.replace('<camunda:property name="probability" value="20"/>',
                      '<camunda:property name="probability" value="25"/>')
    xml = re.sub(r'\s*<bpmn:sequenceFlow id="flow_discover_abandoned".*?</bpmn:sequenceFlow>', "", xml, flags=re.S)
    xml = re.sub(r'\s*<bpmndi:BPMNEdge id="flow_discover_abandoned_di".*?</bpmndi:BPMNEdge>', "", xml, flags=re.S)
    xml = re.sub(r"\s*<bpmn:(incoming|outgoing)>flow_discover_abandoned</bpmn:\1>", "", xml)
    xml = xml.replace("</bpmn:process>", '<bpmn:endEvent id="end_parked" name="Parked"/></bpmn:process>')
    return xml.replace("</bpmndi:BPMNPlane>", '<bpmndi:BPMNShape id="end_parked_di" bpmnElement="end_parked">'
                       '<dc:Bounds x="1912" y="600" width="36" height="36"/></bpmndi:BPMNShape></bpmndi:BPMNPlane>')


def test_the_two_versions_are_drawn_with_their_changes_marked(container: bootstrap.Container, live_server,
                                                              log_in, tmp_path):
    pipeline = (SHIPPED_PROCESSES / "pipelines" / "standard_sale.bpmn").read_text()
    for xml in (pipeline, second_version(pipeline)):
        with container.uow() as uow:
            container.engine.deploy(uow.session, {"standard_sale.bpmn": xml}, "yang.fan")
            uow.commit()
    errors: list[str] = []
    page = log_in("yang.fan")
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server}/processes/standard_sale/diff")
    old = page.locator(".diff-diagram[data-side=old]")
    new = page.locator(".diff-diagram[data-side=new]")
    page.wait_for_selector(".diff-diagram[data-side=old][data-ready=true]", timeout=15000)
    page.wait_for_selector(".diff-diagram[data-side=new][data-ready=true]", timeout=15000)
    assert new.locator(".djs-element.df-added").evaluate_all("els => els.map(e => e.dataset.elementId)") \
        == ["end_parked"]
    assert old.locator(".djs-element.df-removed").evaluate_all("els => els.map(e => e.dataset.elementId)") \
        == ["flow_discover_abandoned"]
    for side in (old, new):
        assert side.locator(".djs-element.df-changed").evaluate_all(
            "els => els.map(e => e.dataset.elementId)") == ["stage_analysis"]
    assert old.locator(".djs-element.df-added").count() == 0 and new.locator(".df-removed").count() == 0
    assert "property probability: 20 → 25" in page.locator("tr[data-element=stage_analysis]").inner_text()
    page.screenshot(path=str(tmp_path / "diff.png"), full_page=True)
    assert errors == []
