"""Each kind of record's page: one map for every link to a lead, account, contact or
opportunity (activities, merges, messages), and ``record_url`` for code and templates."""

from __future__ import annotations

from flask import Flask, url_for

# kind → (endpoint, its id argument)
PAGES = {"lead": ("leads.show", "lead_id"), "account": ("accounts.show", "account_id"),
         "contact": ("accounts.contact", "contact_id"),
         "opportunity": ("opportunities.show", "opportunity_id")}


def record_url(kind: str, record_id: int, anchor: str | None = None) -> str:
    endpoint, argument = PAGES[kind]
    return url_for(endpoint, _anchor=anchor, **{argument: record_id})


def init_app(app: Flask) -> None:
    app.add_template_global(record_url)
