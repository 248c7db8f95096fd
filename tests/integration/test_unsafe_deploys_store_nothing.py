"""A hostile upload is refused at deploy with a clear message and nothing is stored, even when
the same transaction deployed a good process first. Warnings alone never block a deploy."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bootstrap import Container
from engine import DeployError, ProcessDefinition
from tests import diagrams
from tests.engine.test_malicious_uploads import HOSTILE_XML, script

FOREIGN = Path(__file__).parents[1] / "fixtures" / "foreign"
HOSTILE = {
    "billion laughs": (HOSTILE_XML["billion laughs"], "DOCTYPE declarations are not allowed"),
    "external entity": (HOSTILE_XML["external entity"], "DOCTYPE declarations are not allowed"),
    "internal entity": (HOSTILE_XML["internal entity"], "DOCTYPE declarations are not allowed"),
    "50 MB": (diagrams.two_stages().replace("</bpmn:definitions>", "<!--" + "x" * (50 * 1024 * 1024) + "-->"
                                            "</bpmn:definitions>"), "the limit is 2,097,152"),
    "script importing os": (script("import os\nos.system('rm -rf /')".replace("'", "&apos;")),
                            "element 'calc' (Compute margin): script: line 1: 'import' statements are not allowed"),
    "class escape": (script("x = ().__class__.__bases__[0].__subclasses__()"),
                     "element 'calc' (Compute margin): script: attribute '__class__' is not allowed"),
}


def stored(container: Container) -> int:
    with container.session_factory() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_upload_is_refused_and_nothing_is_stored(container: Container, kind: str):
    xml, message = HOSTILE[kind]
    with pytest.raises(DeployError) as refused, container.uow() as uow:
        container.engine.deploy(uow.session, {"good.bpmn": diagrams.timer_then_task()}, "yang.fan")
        container.engine.deploy(uow.session, {"evil.bpmn": xml}, "yang.fan")
        uow.commit()
    assert any(message in str(problem) for problem in refused.value.details), refused.value.details
    assert message in str(refused.value)
    assert stored(container) == 0


def test_a_foreign_diagram_with_what_the_engine_cannot_run_is_refused_whole(container: Container):
    with pytest.raises(DeployError) as refused, container.uow() as uow:
        container.engine.deploy(uow.session, {"java.bpmn": (FOREIGN / "camunda_java.bpmn").read_bytes()}, "yang.fan")
    assert {p.element_id for p in refused.value.details} == {
        "Activity_0archiv", "Activity_1score0", "Flow_1large0", "Activity_0notify"}  # the warning is left out
    assert stored(container) == 0


def test_warnings_do_not_block_a_deploy(container: Container):
    listened = (FOREIGN / "camunda_modeler.bpmn").read_text().replace(
        "<camunda:properties>", '<camunda:taskListener class="com.acme.Audit" event="create" /><camunda:properties>')
    container.engine.services.register("notify.rep", lambda call: None)
    [problem] = container.engine.check({"discount.bpmn": listened})
    assert problem.severity == "warning" and problem.element_id == "Activity_1m2x9qz"
    with container.uow() as uow:
        [definition] = container.engine.deploy(uow.session, {"discount.bpmn": listened}, "yang.fan")
        uow.commit()
    assert (definition.key, definition.version, stored(container)) == ("discount_approval", 1, 1)
