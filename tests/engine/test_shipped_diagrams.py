"""Every diagram in bpmn/ deploys, draws, and runs its main paths, with and without save/restore."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import combinations, pairwise
from pathlib import Path

import pytest
from lxml import etree

from bootstrap import SHIPPED_PROCESSES
from engine.forms import validate_submission
from engine.stepping import waiting_timers
from engine.validation import check_process
from tests.engine.conftest import BUNDLES, FUNCTIONS, Run, fill, parsed
from workflows.accounts.cadence import SERVICES as ACCOUNT_CADENCE_SERVICES
from workflows.approvals.services import SERVICES as APPROVAL_SERVICES
from workflows.leads.assignment import SERVICES as LEAD_SERVICES
from workflows.leads.cadence import SERVICES as CADENCE_SERVICES
from workflows.visits.services import SERVICES as VISIT_SERVICES

SHIPPED_SERVICES = {*APPROVAL_SERVICES, *LEAD_SERVICES, *CADENCE_SERVICES, *ACCOUNT_CADENCE_SERVICES,
                    *VISIT_SERVICES}

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
    "dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "dmndi": "https://www.omg.org/spec/DMN/20191111/DMNDI/",
}
FLOW_NODES = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
              "task", "userTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask", "receiveTask",
              "manualTask", "callActivity", "subProcess", "exclusiveGateway", "inclusiveGateway",
              "parallelGateway", "eventBasedGateway", "complexGateway")
DIAGRAMS = sorted(SHIPPED_PROCESSES.rglob("*.bpmn"))
DECISION_TABLES = sorted(SHIPPED_PROCESSES.rglob("*.dmn"))


@dataclass(frozen=True)
class Pipeline:
    stages: list[tuple[str, str, int]]  # (stage property, task name, probability)
    lost: str
    abandoned: str


PIPELINES = {
    "standard_sale": Pipeline([
        ("discover", "Discover opportunity", 0),
        ("analysis", "Opportunity analysis", 20),
        ("quotation", "Quotation", 40),
        ("negotiation", "Contract negotiation", 60),
        ("collection", "Collection", 90),
    ], lost="Lost", abandoned="Abandoned"),
    "project_tender": Pipeline([
        ("discover", "Discover opportunity", 0),
        ("confirmed", "Opportunity confirmed", 15),
        ("solution", "Solution confirmed", 30),
        ("bidding", "Bidding", 60),
        ("negotiation", "Contract negotiation", 80),
        ("after_sales", "After-sales", 100),
    ], lost="Lost", abandoned="Abandoned"),
    "non_continuing_project": Pipeline([
        ("basic_info", "Basic information obtained", 10),
        ("analysis", "Analysis done", 20),
        ("confirmed", "Confirmed", 30),
        ("solution_agreed", "Solution initially confirmed by the customer", 40),
        ("final_proposal", "Final proposal done", 50),
        ("shortlisted", "Shortlisted", 60),
        ("bid_submitted", "Bid submitted", 70),
        ("bid_won", "Bid won, to be signed", 80),
        ("contract_signed", "Contract signed and order placed", 90),
        ("implementation", "Implementation", 100),
    ], lost="Bid lost", abandoned="Bid abandoned"),
}
WON = "Closed (won)"


def diagram_id(path: Path) -> str:
    return str(path.relative_to(SHIPPED_PROCESSES))


def tree(path: Path) -> etree._Element:
    return etree.parse(str(path)).getroot()


def bounds(element: etree._Element) -> tuple[float, float, float, float]:
    b = element.find("dc:Bounds", NS)
    assert b is not None
    return float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height"))


def stage_of(task) -> tuple[str, str, int]:
    props = task.task_spec.extensions["properties"]
    return props["stage"], task.task_spec.bpmn_name, int(props["probability"])


# -- every diagram deploys ---------------------------------------------------------------------


def test_the_shipped_processes_are_the_nine_the_crm_starts():
    keys = {p.key: p.name for name in BUNDLES for p in parsed(name).processes}
    assert keys == {
        "standard_sale": "Standard sale",
        "project_tender": "Project tender",
        "non_continuing_project": "Non-continuing project",
        "contract_approval": "Contract approval",
        "lead_followup": "Lead follow-up",
        "account_followup": "Account follow-up",
        "overdue_instalment": "Overdue instalment",
        "lead_intake": "Lead intake",
        "visit_plan": "Visit plan",
    }


@pytest.mark.parametrize("bpmn_name", sorted(BUNDLES))
def test_each_diagram_parses_and_passes_the_deploy_check(bpmn_name):
    result = parsed(bpmn_name)
    assert [str(p) for p in result.problems] == []
    [loaded] = result.processes
    assert [str(p) for p in check_process(loaded, services=SHIPPED_SERVICES, functions=set(FUNCTIONS))] == []


# -- every diagram draws in bpmn-js / the Camunda Modeler ---------------------------------------


@pytest.mark.parametrize("path", DIAGRAMS, ids=diagram_id)
def test_every_element_has_a_shape_and_every_flow_an_edge(path):
    root = tree(path)
    shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    drawn = [el.get("id") for tag in (*FLOW_NODES, "lane", "participant")
             for el in root.iterfind(f".//bpmn:{tag}", NS)]
    flows = [f.get("id") for f in root.iterfind(".//bpmn:sequenceFlow", NS)]
    assert drawn and flows
    assert [i for i in drawn if i not in shapes] == []
    assert [i for i in flows if i not in edges] == []
    assert all(bounds(shapes[i])[2] > 0 and bounds(shapes[i])[3] > 0 for i in drawn)
    assert all(len(edges[i].findall("di:waypoint", NS)) >= 2 for i in flows)
    planes = {p.get("bpmnElement") for p in root.iterfind(".//bpmndi:BPMNPlane", NS)}
    assert planes == {p.get("id") for p in root.iterfind("bpmn:process", NS)}


@pytest.mark.parametrize("path", DIAGRAMS, ids=diagram_id)
def test_the_layout_is_tidy(path):
    """Shapes do not overlap, edges run square from the border of one shape to the border of the next."""
    root = tree(path)
    shapes = {s.get("bpmnElement"): bounds(s) for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    attached = {(b.get("id"), b.get("attachedToRef")) for b in root.iterfind(".//bpmn:boundaryEvent", NS)}
    for (a, box_a), (b, box_b) in combinations(shapes.items(), 2):
        if (a, b) in attached or (b, a) in attached:
            assert _on_border((box_a[0] + box_a[2] / 2, box_a[1] + box_a[3] / 2), box_b) or _on_border(
                (box_b[0] + box_b[2] / 2, box_b[1] + box_b[3] / 2), box_a), f"{a} is not on the border of {b}"
            continue
        assert not _overlap(box_a, box_b), f"{a} overlaps {b}"
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        edge = root.find(f".//bpmndi:BPMNEdge[@bpmnElement='{flow.get('id')}']", NS)
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)]
        assert _on_border(points[0], shapes[flow.get("sourceRef")]), f"{flow.get('id')} starts off its source"
        assert _on_border(points[-1], shapes[flow.get("targetRef")]), f"{flow.get('id')} ends off its target"
        assert all(p[0] == q[0] or p[1] == q[1] for p, q in pairwise(points)), f"{flow.get('id')} is slanted"


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _on_border(point: tuple[float, float], box: tuple[float, ...]) -> bool:
    x, y, w, h = box
    inside = x <= point[0] <= x + w and y <= point[1] <= y + h
    return inside and (point[0] in (x, x + w) or point[1] in (y, y + h))


@pytest.mark.parametrize("path", DECISION_TABLES, ids=diagram_id)
def test_every_decision_has_a_shape(path):
    root = tree(path)
    shapes = {s.get("dmnElementRef") for s in root.iterfind(".//dmndi:DMNShape", NS)}
    decisions = [d.get("id") for d in root.iterfind("dmn:decision", NS)]
    assert decisions and set(decisions) <= shapes


@pytest.mark.parametrize("path", DIAGRAMS, ids=diagram_id)
def test_form_and_property_ids_never_reuse_a_flow_node_id(path):
    """SpiffWorkflow finds flow targets by any ``id`` in the process, extension elements included.

    An enum value ``approve`` in the form of a task ``approve`` made the parser take the value
    for the task ("There is no support implemented for this task type").
    """
    root = tree(path)
    nodes = {el.get("id") for tag in FLOW_NODES for el in root.iterfind(f".//bpmn:{tag}", NS)}
    extensions = {el.get("id") for el in root.iter(f"{{{NS['camunda']}}}*") if el.get("id")}
    assert nodes & extensions == set()


@pytest.mark.parametrize("path", DIAGRAMS, ids=diagram_id)
def test_multi_instance_loops_survive_the_modeler(path):
    """The modeler keeps loop data references only if they resolve; its panel shows the Camunda pair."""
    root = tree(path)
    for loop in root.iterfind(".//bpmn:multiInstanceLoopCharacteristics", NS):
        process = next(a for a in loop.iterancestors() if a.tag == f"{{{NS['bpmn']}}}process")
        declared = {p.get("id") for p in process.iterfind("bpmn:property", NS)}
        refs = [loop.findtext(f"bpmn:{tag}", namespaces=NS) for tag in ("loopDataInputRef", "loopDataOutputRef")]
        assert set(refs) <= declared
        assert loop.get(f"{{{NS['camunda']}}}collection") == refs[0]
        assert loop.get(f"{{{NS['camunda']}}}elementVariable") == loop.find("bpmn:inputDataItem", NS).get("id")


# -- pipelines -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(PIPELINES))
def test_a_pipeline_walks_its_stages_in_order_to_the_won_end(key, start):
    run = start(key, owner="alice")
    seen = []
    while run.ready():
        [task] = run.ready()
        seen.append(stage_of(task))
        run.submit(task, fill(task.task_spec.extensions["form"], outcome="advance"))
    assert seen == PIPELINES[key].stages
    assert run.ended_at == [WON]
    assert run.data["outcome"] == "advance" and run.data["owner"] == "alice"


def test_the_pipeline_end_events_carry_the_closing_probability():
    for key in PIPELINES:
        root = tree(SHIPPED_PROCESSES / "pipelines" / f"{key}.bpmn")
        ends = {}
        for end in root.iterfind(".//bpmn:endEvent", NS):
            props = {p.get("name"): p.get("value") for p in end.iterfind(".//camunda:property", NS)}
            ends[end.get("name")] = int(props["probability"])
        assert ends == {WON: 100, PIPELINES[key].lost: 0, PIPELINES[key].abandoned: 0}


def close_in_the_middle(start, key: str, outcome: str) -> tuple[Run, tuple[str, str, int]]:
    """An opportunity advanced to the middle of its pipeline, then closed there."""
    pipeline = PIPELINES[key]
    middle = len(pipeline.stages) // 2
    run = start(key, owner="alice")
    for _ in range(middle):
        [task] = run.ready()
        run.submit(task, fill(task.task_spec.extensions["form"], outcome="advance"))
    [task] = run.ready()
    assert stage_of(task) == pipeline.stages[middle]
    run.submit(task, fill(task.task_spec.extensions["form"], outcome=outcome, reason="Went with a competitor"))
    return run, pipeline.stages[middle]


@pytest.mark.parametrize("outcome", ["lost", "abandoned"])
@pytest.mark.parametrize("key", sorted(PIPELINES))
def test_a_closure_from_a_middle_stage_becomes_final_after_180_days(key, outcome, start, engine_clock):
    run, _ = close_in_the_middle(start, key, outcome)
    assert run.ready() == [] and run.ended_at == []  # closed, but it may still be reopened
    engine_clock.advance(days=180, seconds=1)
    run.advance()
    assert run.ended_at == [getattr(PIPELINES[key], outcome)]
    assert run.data["reason"] == "Went with a competitor"


@pytest.mark.parametrize("outcome", ["lost", "abandoned"])
@pytest.mark.parametrize("key", sorted(PIPELINES))
def test_a_reopened_opportunity_goes_back_to_the_stage_it_left(key, outcome, start):
    run, stage = close_in_the_middle(start, key, outcome)
    assert run.deliver("reopen", {"reopen_at": stage[0]}) is True
    [task] = run.ready()
    assert stage_of(task) == stage


@pytest.mark.parametrize("key", sorted(PIPELINES))
def test_every_stage_is_the_owners_and_offers_advance_lost_or_abandoned(key, processes):
    stages = [spec for spec in processes[key].spec.task_specs.values()
              if spec.manual and getattr(spec, "extensions", {}).get("properties", {}).get("stage")]
    assert len(stages) == len(PIPELINES[key].stages)
    for spec in stages:
        ext = spec.extensions
        assert (ext["candidateGroups"], ext["assignee"]) == (["sales_rep"], "${owner}")
        assert spec.documentation and ext["properties"]["playbook"].count(";") >= 2
        fields = {f.id: f for f in ext["form"]}
        assert fields["outcome"].required and fields["outcome"].type == "enum"
        assert fields["outcome"].options == (
            ("advance", "Advance to next stage"), ("lost", "Lost"), ("abandoned", "Abandoned"))
        assert fields["reason"].type == "textarea" and fields["reason"].help


def test_the_quotation_and_negotiation_stages_insist_on_their_playbook_fields(start):
    run = start("standard_sale", owner="alice")
    while stage_of(task := run.ready()[0])[0] != "quotation":
        run.submit(task, fill(task.task_spec.extensions["form"], outcome="advance"))
    form = task.task_spec.extensions["form"]
    assert validate_submission(form, {"outcome": "advance"})[1] == {"quote_amount": "is required"}
    assert validate_submission(form, {"outcome": "advance", "quote_amount": "-5"})[1] == {
        "quote_amount": "must be at least 0"}
    assert validate_submission(form, {"quote_amount": "100"})[1] == {"outcome": "is required"}
    assert validate_submission(form, {"outcome": "lost"})[1] == {"reason": "is required"}  # not the quote
    assert validate_submission(form, {"outcome": "won", "quote_amount": "100"})[1] == {
        "outcome": "is not one of the allowed values"}
    run.submit(task, {"outcome": "advance", "quote_amount": "120000"})

    negotiation = run.only("Contract negotiation")
    assert negotiation.data["quote_amount"] == Decimal("120000.00")
    form = negotiation.task_spec.extensions["form"]
    assert validate_submission(form, {"outcome": "advance"})[1] == {"expected_close_date": "is required"}
    assert validate_submission(form, {"outcome": "advance", "expected_close_date": "next week"})[1] == {
        "expected_close_date": "must be a date (YYYY-MM-DD)"}


# -- contract approval ----------------------------------------------------------------------------

SD, CD, SVC, GM = "sales_director", "commercial_director", "service_director", "general_manager"


def approve_all(run: Run) -> None:
    for task in run.ready("Approve contract"):
        run.submit(task, {"decision": "approve", "comment": f"OK from {task.data['role']}"})


@pytest.mark.parametrize(("margin", "roles"), [
    (Decimal("0.35"), [SD]),
    (Decimal("0.25"), [SD, CD]),
    (Decimal("0.15"), [SD, CD, SVC]),
    (Decimal("0.05"), [SD, CD, SVC, GM]),
    (Decimal("0.30"), [SD]),
    (Decimal("0.20"), [SD, CD]),
    (Decimal("0.10"), [SD, CD, SVC]),
    (0.1, [SD, CD, SVC]),
    (0, [SD, CD, SVC, GM]),
], ids=lambda v: repr(v) if not isinstance(v, list) else str(len(v)))
def test_the_margin_decides_who_approves(margin, roles, start):
    run = start("contract_approval", owner="alice", margin=margin)
    tasks = run.ready()
    assert sorted(t.data["role"] for t in tasks) == sorted(roles)
    assert all(t.task_spec.bpmn_name == "Approve contract" for t in tasks)
    assert all(t.task_spec.extensions["assignee"] == "${approvers[role]}" for t in tasks)
    assert {t.data["approvers"][t.data["role"]] for t in tasks} == {f"{role}.holder" for role in roles}
    approve_all(run)
    assert run.ended_at == ["Approved"]
    assert run.data["approved"] is True and run.data["decisions"] == ["approve"] * len(roles)
    assert run.services.calls == ["contract.submit", "approval.find_approvers", "contract.activate"]


def test_a_rejection_needs_a_comment_and_ends_the_round_for_every_approver(start):
    run = start("contract_approval", owner="alice", margin=Decimal("0.15"))
    by_role = {t.data["role"]: t for t in run.ready()}
    assert sorted(by_role) == sorted([SD, CD, SVC])
    form = by_role[CD].task_spec.extensions["form"]
    assert validate_submission(form, {"decision": "reject"})[1] == {"comment": "is required"}
    assert validate_submission(form, {"decision": "approve"})[1] == {}
    run.submit(by_role[SD], {"decision": "approve"})
    run.submit(by_role[CD], {"decision": "reject", "comment": "Margin too thin"})

    revise = run.only("Revise contract")  # the service director's task went with the round
    assert (revise.task_spec.extensions["assignee"], revise.task_spec.extensions["candidateGroups"]) == (
        "${owner}", ["sales_rep"])
    assert run.services.calls[-1] == "contract.send_back"
    form = revise.task_spec.extensions["form"]
    assert validate_submission(form, {"note": "Raised the price"})[1] == {"action": "is required"}


def test_a_resubmitted_contract_is_routed_afresh_on_its_new_margin(start):
    run = start("contract_approval", owner="alice", margin=Decimal("0.15"))
    run.submit(run.ready("Approve contract")[0], {"decision": "reject", "comment": "Too cheap"})
    run.services.margins.append("0.32")  # the owner raised the price on the contract
    run.submit(run.only("Revise contract"), {"action": "resubmit", "note": "Raised the price"})

    [task] = run.ready()
    assert (task.task_spec.bpmn_name, task.data["role"]) == ("Approve contract", SD)
    run.submit(task, {"decision": "approve"})
    assert run.ended_at == ["Approved"]
    assert run.data["margin"] == "0.32" and run.data["decisions"] == ["approve"]
    assert run.services.calls.count("contract.submit") == 2


def test_a_contract_rejected_twice_keeps_coming_back_until_approved(start):
    run = start("contract_approval", owner="alice", margin=Decimal("0.25"))
    for margin in ("0.26", "0.05"):
        run.submit(run.ready("Approve contract")[0], {"decision": "reject", "comment": "No"})
        run.services.margins.append(margin)
        run.submit(run.only("Revise contract"), {"action": "resubmit"})
    assert sorted(t.data["role"] for t in run.ready()) == sorted([SD, CD, SVC, GM])
    approve_all(run)
    assert run.ended_at == ["Approved"]


def test_the_owner_may_withdraw_a_rejected_contract(start):
    run = start("contract_approval", owner="alice", margin=Decimal("0.25"))
    run.submit(run.ready("Approve contract")[0], {"decision": "reject", "comment": "No"})
    run.submit(run.only("Revise contract"), {"action": "withdraw"})
    assert run.ended_at == ["Withdrawn"]
    assert run.services.calls[-1] == "contract.withdraw"


def test_undecided_approvals_remind_their_approvers_after_two_working_days_then_tell_the_managers(
        engine_clock, start):
    engine_clock.set(datetime(2026, 1, 9, 9, 0, tzinfo=UTC))  # Friday, 17:00 in Shanghai
    run = start("contract_approval", owner="alice", margin=Decimal("0.25"))
    first, second = run.ready("Approve contract")

    engine_clock.set(datetime(2026, 1, 13, 8, 59, tzinfo=UTC))  # the weekend does not count
    run.advance()
    assert run.services.reminders == []
    engine_clock.advance(minutes=2)
    run.advance()
    assert run.services.reminders == ["approver"]
    run.submit(first, {"decision": "approve"})

    engine_clock.advance(days=1)
    run.advance()
    assert run.services.reminders == ["approver", "manager"]
    run.submit(second, {"decision": "approve"})
    assert sorted(run.ended_at) == ["Approved", "Approvers reminded", "Managers told"]
    assert run.workflow.is_completed() and waiting_timers(run.workflow) == []


@pytest.mark.parametrize(("region", "size", "team", "method"), [
    ("上海", "50-199", "销售一组 Team 1", "round_robin"),
    ("Jiangsu", "", "销售一组 Team 1", "round_robin"),
    ("宁波", "1-49", "销售三组 Team 3", "round_robin"),
    ("上海", "1000+", "销售二组 Team 2", "least_loaded"),  # the first matching rule wins
    ("北京", "", "", "round_robin"),  # no team: the lead waits in its pool
])
def test_the_assignment_table_picks_a_team_and_a_method(region, size, team, method, start):
    run = start("lead_intake", region=region, source="website", size=size, industry="")
    assert (run.data["team"], run.data["method"]) == (team, method)
    assert run.services.calls == ["lead.assign"] and run.ended_at == ["Lead placed"]


def test_an_overdue_instalment_is_chased_by_its_owner_who_records_what_was_promised(start):
    run = start("overdue_instalment", owner="alice", title="C-2026-1 #2", amount="5000.00")
    task = run.only("Chase overdue payment")
    ext = task.task_spec.extensions
    assert (ext["assignee"], ext["candidateGroups"], ext["dueDate"]) == ("${owner}", ["finance"], "P3D")
    assert validate_submission(ext["form"], {"outcome": "promised", "note": "Paying Friday"})[1] == {
        "promised_on": "is required"}
    run.submit(task, {"outcome": "promised", "promised_on": "2026-12-04", "note": "Paying Friday"})
    assert run.ended_at == ["Customer chased"]


# -- lead follow-up --------------------------------------------------------------------------------


def _cycle(start, clock, rating: str = "warm", recycle_days: int = 30, warn_days: int = 3) -> Run:
    now = clock.now()
    return start("lead_followup", owner="alice", rating=rating, title="Wang Fang · 上海云杉", since=now.isoformat(),
                 warn_at=(now + timedelta(days=recycle_days - warn_days)).isoformat(),
                 recycle_at=(now + timedelta(days=recycle_days)).isoformat())


@pytest.mark.parametrize(("rating", "days"), [("hot", 3), ("warm", 7), ("cold", 15), ("", 7)])
def test_the_rating_sets_how_long_a_lead_may_wait_for_a_follow_up(engine_clock, start, rating, days):
    run = _cycle(start, engine_clock, rating)
    assert run.ready() == []
    engine_clock.advance(days=days, hours=-1)
    run.advance()
    assert run.ready() == []
    engine_clock.advance(hours=1, seconds=1)  # a timer fires once its moment has passed
    run.advance()
    task = run.only("Follow up lead")
    ext = task.task_spec.extensions
    assert (ext["assignee"], ext["candidateGroups"], ext["dueDate"]) == ("${owner}", ["sales_rep"], "P1D")


def test_a_cycle_counts_from_the_last_contact_not_from_when_it_started(engine_clock, start):
    now = engine_clock.now()
    run = start("lead_followup", owner="alice", rating="hot", title="Wang Fang", since=(now - timedelta(days=5))
                .isoformat(), warn_at=(now + timedelta(days=22)).isoformat(),
                recycle_at=(now + timedelta(days=25)).isoformat())
    engine_clock.advance(seconds=1)
    run.advance()
    run.only("Follow up lead")  # three days after a contact five days ago: due already


def test_a_follow_up_that_could_not_reach_the_lead_comes_back_after_the_same_period(engine_clock, start):
    run = _cycle(start, engine_clock, "hot")
    engine_clock.advance(days=3, seconds=1)
    run.advance()
    task = run.only("Follow up lead")
    assert validate_submission(task.task_spec.extensions["form"], {"outcome": "x"})[1] == {
        "result": "is required"}
    run.submit(task, {"result": "no_answer", "outcome": "Voicemail"})
    assert run.ready() == [] and run.services.calls == ["lead.log_follow_up"]
    engine_clock.advance(days=3, seconds=1)
    run.advance()
    run.submit(run.only("Follow up lead"), {"result": "call", "outcome": "Wants a demo"})
    assert run.ended_at == ["Contact made"] and waiting_timers(run.workflow) == []


def test_a_contact_logged_meanwhile_ends_the_cycle_and_its_open_follow_up(engine_clock, start):
    run = _cycle(start, engine_clock, "hot")
    engine_clock.advance(days=4)
    run.advance()
    run.only("Follow up lead")
    assert run.deliver("contact_logged", {"contacted_at": engine_clock.now().isoformat()}) is True
    assert run.ended_at == ["Contact made"] and run.ready() == [] and waiting_timers(run.workflow) == []
    assert run.workflow.is_completed()


def test_without_contact_the_owner_is_warned_then_the_lead_is_recycled(engine_clock, start):
    run = _cycle(start, engine_clock, "cold", recycle_days=30, warn_days=3)
    engine_clock.advance(days=26, hours=23)
    run.advance()
    assert run.services.calls == [] and len(run.ready()) == 1  # the day-15 follow-up, still open
    engine_clock.advance(days=1, hours=2)
    run.advance()
    assert run.services.calls == ["lead.warn_recycle"]
    engine_clock.advance(days=3)
    run.advance()
    assert run.services.calls == ["lead.warn_recycle", "lead.recycle"]
    assert run.ended_at == ["Owner warned", "Back in the pool"]
    assert run.ready() == [] and run.workflow.is_completed()


def test_catching_up_after_an_outage_gives_one_follow_up_one_warning_one_recycling(engine_clock, start):
    run = _cycle(start, engine_clock, "hot", recycle_days=60, warn_days=3)
    engine_clock.advance(days=59)  # the scheduler was down for eight weeks
    run.advance()
    assert [t.task_spec.bpmn_name for t in run.ready()] == ["Follow up lead"]
    assert run.services.calls == ["lead.warn_recycle"]
    engine_clock.advance(days=2)
    run.advance()
    assert run.services.calls == ["lead.warn_recycle", "lead.recycle"] and "Back in the pool" in run.ended_at


# -- account follow-up -----------------------------------------------------------------------------


def _account_cycle(start, clock, category: str = "ordinary", recycle_days: int = 30, warn_days: int = 3) -> Run:
    now = clock.now()
    return start("account_followup", owner="alice", category=category, title="华锦汽车零部件集团", region="上海",
                 since=now.isoformat(), warn_at=(now + timedelta(days=recycle_days - warn_days)).isoformat(),
                 recycle_at=(now + timedelta(days=recycle_days)).isoformat())


@pytest.mark.parametrize(("category", "days"), [("strategic", 7), ("vip", 10), ("ordinary", 15), ("", 15)])
def test_the_category_sets_how_long_an_account_may_wait_for_a_follow_up(engine_clock, start, category, days):
    run = _account_cycle(start, engine_clock, category)
    engine_clock.advance(days=days, hours=-1)
    run.advance()
    assert run.ready() == []
    engine_clock.advance(hours=1, seconds=1)
    run.advance()
    task = run.only("Follow up account")
    assert task.task_spec.extensions["assignee"] == "${owner}"


def test_an_account_follow_up_that_reached_the_customer_ends_the_cycle(engine_clock, start):
    run = _account_cycle(start, engine_clock, "strategic")
    engine_clock.advance(days=7, seconds=1)
    run.advance()
    run.submit(run.only("Follow up account"), {"result": "no_answer", "outcome": "Line busy"})
    engine_clock.advance(days=7, seconds=1)
    run.advance()
    run.submit(run.only("Follow up account"), {"result": "visit", "outcome": "Met the plant manager"})
    assert run.services.calls == ["account.log_follow_up", "account.log_follow_up"]
    assert run.ended_at == ["Contact made"] and waiting_timers(run.workflow) == []


def test_a_contact_logged_on_the_account_ends_its_cycle(engine_clock, start):
    run = _account_cycle(start, engine_clock)
    engine_clock.advance(days=2)
    run.advance()
    assert run.deliver("contact_logged", {"contacted_at": engine_clock.now().isoformat()}) is True
    assert run.ended_at == ["Contact made"] and run.workflow.is_completed()


def test_an_account_nobody_reaches_warns_its_owner_then_goes_back_to_the_pool(engine_clock, start):
    run = _account_cycle(start, engine_clock, "vip", recycle_days=30, warn_days=3)
    engine_clock.advance(days=27, seconds=1)
    run.advance()
    assert run.services.calls == ["account.warn_recycle"]
    assert [t.task_spec.bpmn_name for t in run.ready()] == ["Follow up account"]  # the day-10 follow-up
    engine_clock.advance(days=3)
    run.advance()
    assert run.services.calls == ["account.warn_recycle", "account.recycle"]
    assert run.ended_at == ["Owner warned", "Back in the pool"] and run.ready() == []


def test_catching_up_on_an_account_after_an_outage_warns_once_and_recycles_once(engine_clock, start):
    run = _account_cycle(start, engine_clock, "strategic", recycle_days=30, warn_days=3)
    engine_clock.advance(days=45)
    run.advance()
    run.advance()
    assert run.services.calls == ["account.warn_recycle", "account.recycle"]
    assert "Back in the pool" in run.ended_at and run.workflow.is_completed()
