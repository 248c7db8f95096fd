"""Messages and emails rendered in the reader's language, complete in both, safe in HTML."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from jinja2 import UndefinedError

from notifications.delivery import backoff
from notifications.preferences import KINDS
from notifications.rendering import (
    LOCALES,
    TEMPLATES,
    Letter,
    Message,
    blocks,
    render_email,
    render_message,
    supported_locale,
)

WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
# Every shipped message with a full context: the templates' documented contract.
CONTEXTS = {
    "task_assigned": {"task": "Qualify", "record": "ACME", "assigned_by": "Liu Yang", "due_at": WHEN},
    "reminder": {"task": "Qualify", "record": "ACME", "due_at": WHEN, "overdue": True},
    "approval_escalated": {"approver": "Chen Hao", "record": "Contract 12", "waiting_since": WHEN},
    "approval_decided": {"record": "Contract 12", "decision": "rejected", "decided_by": "Chen Hao",
                         "comment": "Margin too low"},
    "recycled_to_pool": {"record": "ACME", "pool": "East China", "days": 30},
    "recycle_warning": {"record": "ACME", "pool": "East China", "recycle_at": WHEN, "since": WHEN},
    "recycled_team": {"record": "ACME", "pool": "East China", "owner": "Liu Yang", "days": 30},
    "daily_digest": {"day": date(2026, 1, 5), "due_today": ["Call ACME"], "overdue": ["Visit Beta"],
                     "approvals": ["Contract 12"], "leads": ["Zhou Liqun · 19 days"], "more": {"overdue": 2}},
    "activity_comment": {"commenter": "Liu Yang", "record": "ACME", "kind": "visit", "happened_at": WHEN,
                         "comment": "Ask about the budget next time"},
    "birthday_reminder": {"contact": "Zhou Liqun", "account": "ACME", "birthday": date(2026, 1, 8), "days": 3},
    "holiday_greetings": {"holidays": ["Spring Festival"], "first_day": date(2026, 2, 16),
                          "contacts": ["Zhou Liqun · ACME"], "more": 2},
}


def names(locale: str) -> set[str]:
    return {path.stem for path in (TEMPLATES / "messages" / locale).glob("*.txt")}


def test_both_languages_have_every_message():
    assert names("en") == names("zh_CN") and set(CONTEXTS) | {"_email"} == names("en")
    assert set(KINDS) <= names("en")  # each kind has a message of its own name


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_every_message_renders_with_its_context(template: str, locale: str):
    message = render_message(template, locale, "Asia/Shanghai", CONTEXTS[template])
    assert message.subject and message.body and message.action and "\n" not in message.subject
    assert ("{" not in message.body) and ("  " not in message.subject)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("overdue", [True, False])
def test_paragraphs_stay_apart_whichever_branch_a_template_takes(locale: str, overdue: bool):
    """Regression: a line ending in a block tag lost its newline (trim_blocks), which ran
    the reminder's two paragraphs together."""
    body = render_message("reminder", locale, "UTC", {**CONTEXTS["reminder"], "overdue": overdue}).body
    assert len(blocks(body)) == 2 and "\n\n" in body


def test_optional_values_may_be_left_out_and_leave_no_gap():
    message = render_message("task_assigned", "en", "UTC", {"task": "Call back"})
    assert message == Message("New task: Call back", 'You have a new task: "Call back".', "Open the task")


def test_times_are_in_the_readers_zone_and_words():
    english = render_message("task_assigned", "en", "Asia/Shanghai", CONTEXTS["task_assigned"])
    chinese = render_message("task_assigned", "zh_CN", "Asia/Shanghai", CONTEXTS["task_assigned"])
    assert "It is due Jan 5, 2026 5:00" in english.body
    assert "截止时间：2026年1月5日 17:00" in chinese.body and chinese.subject == "新任务：Qualify（ACME）"


def test_a_missing_value_fails_loudly_rather_than_sending_a_blank():
    with pytest.raises(UndefinedError):
        render_message("approval_decided", "en", "UTC", {"record": "Contract 12"})


@pytest.mark.parametrize(("given", "used"), [("zh-CN", "zh_CN"), ("zh_Hans_CN", "zh_CN"), ("en_GB", "en"),
                                             ("fr", "zh_CN"), ("", "zh_CN"), (None, "zh_CN")])
def test_locales_map_to_the_two_we_write(given: str | None, used: str):
    assert supported_locale(given) == used


def test_an_unknown_time_zone_falls_back_rather_than_failing():
    assert render_message("task_assigned", "en", "Mars/Olympus", CONTEXTS["task_assigned"]).body


def test_the_email_says_the_same_in_text_and_html_and_escapes_what_it_is_given():
    message = render_message("approval_decided", "en", "UTC", {**CONTEXTS["approval_decided"],
                                                                "comment": "<script>alert(1)</script>"})
    content = render_email(Letter("en", "Wang <Fang>", message, "https://crm.example.com/contracts/12?a=1&b=2",
                                  "https://crm.example.com/account/notifications"))
    assert content.text.startswith("Hello Wang <Fang>,\n\nChen Hao rejected Contract 12.")
    assert "Comment: <script>alert(1)</script>" in content.text
    assert "Open the record: https://crm.example.com/contracts/12?a=1&b=2" in content.text
    assert "<script>" not in content.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in content.html
    assert 'href="https://crm.example.com/contracts/12?a=1&amp;b=2"' in content.html
    assert "Wang &lt;Fang&gt;" in content.html and 'lang="en"' in content.html


def test_a_chinese_email_is_chinese_throughout():
    message = render_message("daily_digest", "zh_CN", "Asia/Shanghai", CONTEXTS["daily_digest"])
    content = render_email(Letter("zh_CN", "王芳", message, None, "https://crm.example.com/account/notifications"))
    assert content.text.startswith("王芳，您好：") and "逾期跟进：\n\n- Visit Beta" in content.text
    assert "通知设置" in content.text and "打开我的任务" not in content.text  # no link, no button
    assert '<li>Call ACME</li>' in content.html and 'lang="zh-CN"' in content.html


@pytest.mark.parametrize(("locale", "subject", "cut"), [
    ("en", "Your day, Jan 5, 2026: 1 due, 3 overdue, 1 to approve, 1 lead to contact", "- … and 2 more"),
    ("zh_CN", "2026年1月5日工作概览：今日到期 1 项，逾期 3 项，待审批 1 项，待联系线索 1 条", "- ……另有 2 项"),
])
def test_a_digest_counts_the_lines_it_left_out(locale: str, subject: str, cut: str):
    message = render_message("daily_digest", locale, "UTC", CONTEXTS["daily_digest"])
    assert message.subject == subject
    assert f"- Visit Beta\n{cut}\n" in message.body and message.body.endswith("\n\n- Zhou Liqun · 19 days")


def test_a_body_becomes_paragraphs_and_lists():
    assert blocks("One\ntwo\n\n- a\n- b\n\n\nEnd") == [("p", ["One", "two"]), ("ul", ["a", "b"]), ("p", ["End"])]


def test_back_off_doubles_from_thirty_seconds_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 8, 20)] == [30, 60, 120, 240, 3600, 3600]
