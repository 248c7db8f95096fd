"""The reports and dashboards shipped for each role: what a rep, a manager and a director see
on their dashboard until they compose their own. Plain definitions, as the builder saves them;
each runs with its reader's visibility, so "my pipeline" for a rep is a team's for a manager."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.phrases import Phrase

# Which default dashboard a person gets, by the first of their roles found here (highest first).
ROLE_KEYS = (
    ("director", ("admin", "general_manager", "commercial_director", "sales_director", "service_director",
                  "finance")),
    ("manager", ("sales_manager",)),
    ("rep", ("sales_rep", "process_designer")),
)


@dataclass(frozen=True)
class ShippedReport:
    name: Phrase
    definition: dict[str, Any]


def _grouped(object_key: str, groups: list[tuple[str, str]], chart: str, aggregate: str = "count",
             measure: str = "", filters: tuple[tuple[str, str, str], ...] = ()) -> dict[str, Any]:
    return {"object": object_key, "columns": [],
            "filters": [{"field": f, "op": op, "value": value, "value2": ""} for f, op, value in filters],
            "groups": [{"field": f, "period": period} for f, period in groups],
            "aggregate": aggregate, "measure": measure, "chart": chart}


OPEN = (("status", "equals", "open"),)
REPORTS: dict[str, ShippedReport] = {
    "rep.pipeline_by_stage": ShippedReport(Phrase("My open pipeline by stage"), _grouped(
        "opportunities", [("stage_name", "")], "bar", "sum", "amount", OPEN)),
    "rep.activities_by_month": ShippedReport(Phrase("My activities by month"), _grouped(
        "activities", [("happened_at", "month")], "line")),
    "rep.leads_by_status": ShippedReport(Phrase("My leads by status"), _grouped(
        "leads", [("status", "")], "pie")),
    "manager.pipeline_by_owner": ShippedReport(Phrase("Open pipeline by rep"), _grouped(
        "opportunities", [("owner", "")], "bar", "sum", "amount", OPEN)),
    "manager.activities_by_owner": ShippedReport(Phrase("Activities by rep and kind"), _grouped(
        "activities", [("owner", ""), ("kind", "")], "bar")),
    "manager.leads_by_source": ShippedReport(Phrase("Leads by source"), _grouped(
        "leads", [("source", "")], "pie")),
    "director.pipeline_by_type": ShippedReport(Phrase("Open pipeline by business type"), _grouped(
        "opportunities", [("business_type", "")], "bar", "sum", "amount", OPEN)),
    "director.signed_by_quarter": ShippedReport(Phrase("Signed contract revenue by quarter"), _grouped(
        "contracts", [("signed_on", "quarter")], "line", "sum", "revenue",
        (("status", "equals", "active"),))),
    "director.won_by_owner": ShippedReport(Phrase("Won amount by rep"), _grouped(
        "opportunities", [("owner", "")], "bar", "sum", "amount", (("status", "equals", "won"),))),
}
# Each role's dashboard: its reports in order, each drawn as chart, table or both.
DASHBOARDS: dict[str, tuple[tuple[str, str], ...]] = {
    key: tuple((report, "both") for report in REPORTS if report.startswith(f"{key}."))
    for key, _roles in ROLE_KEYS
}


def role_key(roles: frozenset[str]) -> str:
    """The default dashboard for someone with ``roles``: the highest role listed wins."""
    return next((key for key, held in ROLE_KEYS if roles & set(held)), "rep")


def shared_roles(report_key: str) -> tuple[str, ...]:
    """A shipped report is shared with the roles whose dashboard shows it."""
    dashboard = report_key.partition(".")[0]
    return next(held for key, held in ROLE_KEYS if key == dashboard)
