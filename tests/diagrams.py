"""Small BPMN documents for tests, written the way the Camunda Modeler writes them."""

from __future__ import annotations

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
)


def process(body: str, process_id: str = "p", name: str = "Test process", executable: bool = True) -> str:
    flag = "true" if executable else "false"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NAMESPACES} id="defs" '
        f'targetNamespace="http://bpmn.io/schema/bpmn"><bpmn:process id="{process_id}" name="{name}" '
        f'isExecutable="{flag}">{body}</bpmn:process></bpmn:definitions>'
    )


def flows(*pairs: tuple[str, str]) -> str:
    return "".join(
        f'<bpmn:sequenceFlow id="f_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>' for a, b in pairs
    )


def user_task(task_id: str, name: str, extra: str = "", form: str = "", properties: str = "",
              documentation: str = "") -> str:
    ext = ""
    if form or properties:
        props = f"<camunda:properties>{properties}</camunda:properties>" if properties else ""
        fields = f"<camunda:formData>{form}</camunda:formData>" if form else ""
        ext = f"<bpmn:extensionElements>{props}{fields}</bpmn:extensionElements>"
    doc = f"<bpmn:documentation>{documentation}</bpmn:documentation>" if documentation else ""
    return f'<bpmn:userTask id="{task_id}" name="{name}" {extra}>{doc}{ext}</bpmn:userTask>'


def field(field_id: str, kind: str = "string", required: bool = False, extra: str = "") -> str:
    rule = '<camunda:validation><camunda:constraint name="required"/></camunda:validation>' if required else ""
    return f'<camunda:formField id="{field_id}" label="{field_id.title()}" type="{kind}">{rule}{extra}</camunda:formField>'


def two_stages() -> str:
    """Qualify (assigned to the owner) then Approve (for sales directors)."""
    return process(
        '<bpmn:startEvent id="start"/>'
        + user_task("qualify", "Qualify", 'camunda:assignee="${owner}" camunda:candidateGroups="sales_rep"',
                    field("budget", "money", required=True) + field("note", "textarea"),
                    '<camunda:property name="stage" value="qualify"/><camunda:property name="probability" value="20"/>',
                    documentation="Confirm the budget with the customer.")
        + user_task("approve", "Approve", 'camunda:candidateGroups="sales_director" camunda:dueDate="P2D"')
        + '<bpmn:endEvent id="end"/>'
        + flows(("start", "qualify"), ("qualify", "approve"), ("approve", "end")),
        name="Two stages",
    )


def timer_then_task(duration: str = "P3D") -> str:
    return process(
        '<bpmn:startEvent id="start"/>'
        f'<bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:timerEventDefinition>'
        f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{duration}</bpmn:timeDuration>'
        '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
        + user_task("follow_up", "Follow up", 'camunda:assignee="${owner}"')
        + '<bpmn:endEvent id="end"/>'
        + flows(("start", "wait"), ("wait", "follow_up"), ("follow_up", "end")),
        process_id="timed",
    )


def waits_for_message() -> str:
    return (
        process(
            '<bpmn:startEvent id="start"/>'
            '<bpmn:intermediateCatchEvent id="paid" name="Payment received">'
            '<bpmn:messageEventDefinition messageRef="msg_paid"/></bpmn:intermediateCatchEvent>'
            + user_task("thank", "Thank the customer", 'camunda:assignee="${owner}"')
            + '<bpmn:endEvent id="end"/>'
            + flows(("start", "paid"), ("paid", "thank"), ("thank", "end")),
            process_id="collect",
        ).replace("</bpmn:definitions>", '<bpmn:message id="msg_paid" name="payment_received"/></bpmn:definitions>')
    )
