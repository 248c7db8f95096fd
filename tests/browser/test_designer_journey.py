"""In a real browser: a process designer opens the standard pipeline, adds a stage, sees the
check pin an error on a gateway flow without a condition, fixes it in the properties panel,
deploys with a note, the next opportunity a rep creates runs on the new version, and the
designer moves an older opportunity onto it, where it goes on through the new stage."""

from __future__ import annotations

from sqlalchemy import select

import bootstrap
from engine import ProcessInstance
from engine.models import ProcessDraft
from tests.deals import standard_sale
from workflows.opportunities.models import Opportunity

# The new stage between Discover and Analysis, drawn through the modeler's API (the palette's
# drag and drop is not worth driving): a user task with its stage properties and outcome form,
# and a gateway whose "advance" flow is its default and whose "lost" flow has no condition yet.
ADD_STAGE = """() => {
  const modeler = document.getElementById("designer").bpmnModeler;
  const registry = modeler.get("elementRegistry");
  const modeling = modeler.get("modeling");
  const moddle = modeler.get("moddle");
  const analysis = registry.get("stage_analysis");
  const bottom = Math.max(...registry.filter((e) => e.y !== undefined).map((e) => e.y + (e.height || 0)));
  const task = modeling.createShape({ type: "bpmn:UserTask" }, { x: analysis.x + 60, y: bottom + 120 },
                                    analysis.parent);
  modeling.updateProperties(task, {
    id: "stage_demo", "camunda:assignee": "${owner}", "camunda:candidateGroups": "sales_rep",
    extensionElements: moddle.create("bpmn:ExtensionElements", { values: [
      moddle.create("camunda:Properties", { values: [
        moddle.create("camunda:Property", { name: "stage", value: "demo" }),
        moddle.create("camunda:Property", { name: "probability", value: "10" }),
      ] }),
      moddle.create("camunda:FormData", { fields: [moddle.create("camunda:FormField", {
        id: "outcome", label: "Outcome", type: "enum",
        values: [moddle.create("camunda:Value", { id: "advance", name: "Advance to next stage" }),
                 moddle.create("camunda:Value", { id: "lost", name: "Lost" })],
        validation: moddle.create("camunda:Validation", {
          constraints: [moddle.create("camunda:Constraint", { name: "required" })] }),
      })] }),
    ] }),
  });
  modeling.reconnectEnd(registry.get("flow_discover_advance"), task,
                        { x: task.x, y: task.y + task.height / 2 });
  const gateway = modeling.createShape({ type: "bpmn:ExclusiveGateway" },
                                       { x: task.x + task.width + 100, y: task.y + task.height / 2 },
                                       analysis.parent);
  modeling.updateProperties(gateway, { id: "gateway_demo", name: "Outcome?" });
  const done = modeling.connect(task, gateway);
  const advance = modeling.connect(gateway, analysis);
  modeling.updateProperties(advance, { id: "flow_demo_advance", name: "advance" });
  modeling.updateProperties(gateway, { default: advance.businessObject });
  const lost = modeling.connect(gateway, registry.get("closed_lost"));
  modeling.updateProperties(lost, { id: "flow_demo_lost", name: "lost" });
  modeling.updateProperties(done, { id: "flow_demo_done" });
  modeler.get("selection").select(task);
}"""


def select_element(page, element_id: str) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("""(id) => {
      const modeler = document.getElementById("designer").bpmnModeler;
      modeler.get("selection").select(modeler.get("elementRegistry").get(id));
    }""", element_id)


def new_deal(rep, live_server: str, sale: dict[str, int], name: str) -> None:  # type: ignore[no-untyped-def]
    rep.goto(f"{live_server}/opportunities/new")
    rep.fill("#name", name)
    rep.select_option("#account_id", str(sale["account"]))
    rep.select_option("#business_type_id", str(sale["type"]))
    rep.fill("#amount", "80000")
    with rep.expect_navigation():
        rep.click("form.stacked button[type=submit]")


def instance_of(container: bootstrap.Container, name: str) -> ProcessInstance:
    with container.session_factory() as session:
        deal = session.scalars(select(Opportunity).where(Opportunity.name == name)).one()
        instance = session.scalars(select(ProcessInstance).where(
            ProcessInstance.business_key == f"opportunity:{deal.id}")).one()
        session.expunge(instance)
        return instance


def test_a_designer_adds_a_stage_deploys_it_and_moves_an_older_deal_onto_it(
        container: bootstrap.Container, live_server: str, log_in):
    sale = standard_sale(container)
    rep = log_in("wang.fang")
    new_deal(rep, live_server, sale, "Older AGVs")  # on version 1, waiting at its first stage
    errors: list[str] = []
    page = log_in("yang.fan")
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{live_server}/designer")
    with page.expect_navigation():
        page.click("tr[data-key=standard_sale] a:text-is('Edit')")
    page.wait_for_selector("#designer[data-ready=true]", timeout=15000)

    page.evaluate(ADD_STAGE)
    name = page.locator("#bio-properties-panel-name")  # the panel shows the new task: name it there
    if not name.is_visible():
        page.click("[data-group-id=group-general] .bio-properties-panel-group-header")
    name.fill("Product demo")
    page.keyboard.press("Tab")
    page.click("[data-action=preview]")  # its form as the rep will see it
    preview = page.locator("dialog.preview-dialog")
    preview.locator("#f_outcome").wait_for()
    assert "Advance to next stage" in preview.locator("#f_outcome").inner_text()
    preview.locator("[data-action=close]").click()

    page.click("[data-action=check]")
    problem = page.locator(".problems li.error", has_text="flow_demo_lost")
    problem.wait_for()
    assert "without a condition" in problem.inner_text()
    assert page.locator(".djs-element.df-problem[data-element-id=flow_demo_lost]").count() == 1
    assert page.locator(".djs-overlay-df-problem").count() == 1

    select_element(page, "flow_demo_lost")  # the fix, in the properties panel's Condition group
    condition_type = page.locator("#bio-properties-panel-conditionType")
    if not condition_type.is_visible():
        page.click("[data-group-id=group-CamundaPlatform__Condition] .bio-properties-panel-group-header")
    condition_type.select_option("expression")
    page.locator("#bio-properties-panel-conditionExpression").fill('outcome == "lost"')
    page.keyboard.press("Tab")
    page.click("[data-action=check]")
    page.locator(".designer-status[data-kind=ok]").wait_for()
    assert page.locator(".problems li.error").count() == 0
    assert page.locator(".djs-element.df-problem").count() == 0
    page.click("[data-action=save]")  # kept as a draft: reopening the designer shows it
    page.locator(".designer-status[data-kind=ok]", has_text="Draft saved").wait_for()
    page.reload()
    page.wait_for_selector("#designer[data-ready=true]", timeout=15000)
    assert page.locator(".djs-element[data-element-id=stage_demo]").count() == 1

    page.click("[data-action=deploy]")
    page.fill("#deploy-note", "Product demo stage after discovery")
    with page.expect_navigation():
        page.click("dialog.deploy-dialog button[type=submit]")
    assert "Version 2 of standard_sale is deployed" in page.locator(".flash").inner_text()
    assert "Product demo stage after discovery" in page.locator("tr[data-version='2']").inner_text()
    assert errors == []

    new_deal(rep, live_server, sale, "Demo-first AGVs")  # the next deal runs on version 2, through the new stage
    stages = rep.locator("ol.path li").all_inner_texts()
    assert [s.splitlines()[0] for s in stages[:3]] == ["Discover opportunity", "Product demo", "Opportunity analysis"]
    assert instance_of(container, "Demo-first AGVs").definition_id != instance_of(container, "Older AGVs").definition_id

    older = instance_of(container, "Older AGVs")  # the designer moves the older deal to version 2
    page.goto(f"{live_server}/instances/{older.id}")
    with page.expect_navigation():
        page.click("#migrate button[type=submit]")
    assert page.locator("#migration-check").inner_text() == "It can move to version 2."
    with page.expect_navigation():
        page.click("button:text-is('Move to version 2')")
    assert "Moved from version 1 to version 2." in page.locator(".flash").inner_text()
    assert instance_of(container, "Older AGVs").definition_id == instance_of(container, "Demo-first AGVs").definition_id

    rep.goto(f"{live_server}/opportunities/{older.business_key.split(':')[1]}")  # and it works on, through the new stage
    with rep.expect_navigation():
        rep.click("button[name=advance]")
    assert rep.locator("ol.path li[aria-current=step]").inner_text().startswith("Product demo")
    assert errors == []


def test_a_decision_table_is_edited_in_its_tab_and_kept_in_the_draft(container: bootstrap.Container,
                                                                      live_server: str, log_in):
    bootstrap.deploy_shipped(container)
    errors: list[str] = []
    page = log_in("yang.fan")
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{live_server}/designer/contract_approval")
    page.wait_for_selector("#designer[data-ready=true]", timeout=15000)
    page.click("[role=tab][data-file='approval_route.dmn']")
    cell = page.locator(".dmn-panel td.input-cell", has_text="< 0.3").first
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("< 0.35")
    page.click(".dmn-panel .decision-table-name")  # leave the cell
    page.click("[data-action=save]")
    page.locator(".designer-status[data-kind=ok]").wait_for()
    assert errors == []
    with container.session_factory() as session:
        draft = session.scalars(select(ProcessDraft).where(ProcessDraft.key == "contract_approval")).one()
        assert "&lt; 0.35" in draft.sources["approval_route.dmn"]
        assert draft.sources["contract_approval.bpmn"].count("<bpmn:userTask") >= 1
