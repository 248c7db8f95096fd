"""Duplicate rules find the same customer however it was typed, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text

from workflows.accounts.contacts import ContactInput, create_contact
from workflows.accounts.service import AccountInput, create_account, update_account
from workflows.dedupe import (
    ConditionInput,
    DuplicateBlocked,
    DuplicateRule,
    RuleInput,
    check_duplicates,
    deactivate_rule,
    find_duplicates,
    load_default_rules,
    match,
    refresh_match_columns,
    save_rule,
)
from workflows.leads.models import Lead


@pytest.fixture
def rules(container, demo):
    with container.uow() as uow:
        load_default_rules(uow.session)
        uow.commit()


def add_lead(container, clock, **values) -> int:
    now = clock.now()
    with container.uow() as uow:
        lead = Lead(source="manual", created_at=now, updated_at=now, **values)
        refresh_match_columns(lead)
        uow.session.add(lead)
        uow.session.flush()
        uow.commit()
        return lead.id


def test_the_same_phone_in_another_format_blocks_a_lead(container, clock, rules):
    lead = add_lead(container, clock, name="李雷", company="上海某某科技有限公司", phone="+86 138-0013-8000",
                    owner="wang.fang")
    with container.session_factory() as session, pytest.raises(DuplicateBlocked) as refused:
        check_duplicates(session, "lead", {"name": "韩梅梅", "phone": "13800138000"})
    found = refused.value.duplicate
    assert (found.record_id, found.rule_name, found.action, found.owner) == (lead, "Same phone", "block", "wang.fang")
    assert found.scores == {"phone": 100}
    assert "Same phone" in str(refused.value) and "李雷" in str(refused.value)
    assert refused.value.fields == {"phone": str(refused.value)}


def test_the_same_email_in_another_case_blocks_a_lead(container, clock, rules):
    add_lead(container, clock, name="Li Lei", email="Li.Lei@Example.com")
    with container.session_factory() as session, pytest.raises(DuplicateBlocked) as refused:
        check_duplicates(session, "lead", {"name": "Someone", "email": " li.lei@example.COM"})
    assert refused.value.duplicate.rule_name == "Same email"


def test_a_similar_company_and_name_warns_with_the_score_of_each_field(container, clock, rules):
    lead = add_lead(container, clock, name="李雷", company="上海某某科技有限公司")
    with container.session_factory() as session:
        warnings = check_duplicates(session, "lead", {"name": "李雷", "company": "上海某某科技"})
        assert [(w.record_id, w.action) for w in warnings] == [(lead, "warn")]
        assert warnings[0].scores == {"company": 100, "name": 100}
        assert warnings[0].label == "李雷 · 上海某某科技有限公司"
        # Every field of a rule must match: the same company with another person is no duplicate.
        assert find_duplicates(session, "lead", {"name": "韩梅梅", "company": "上海某某科技"}) == []
        # A field left empty cannot say "the same".
        assert find_duplicates(session, "lead", {"company": "上海某某科技"}) == []


def test_traditional_and_full_width_input_finds_the_simplified_record(container, clock, rules):
    lead = add_lead(container, clock, name="陈小红", company="ＡＢＣ資訊科技有限公司")
    with container.session_factory() as session:
        found = find_duplicates(session, "lead", {"name": "陳小紅", "company": "abc资讯科技"})
    assert [d.record_id for d in found] == [lead]


def test_the_record_being_edited_is_not_its_own_duplicate(container, clock, rules):
    lead = add_lead(container, clock, name="李雷", phone="13800138000")
    with container.session_factory() as session:
        assert check_duplicates(session, "lead", {"phone": "13800138000"}, exclude_id=lead) == []
        with pytest.raises(DuplicateBlocked):
            check_duplicates(session, "lead", {"phone": "13800138000"}, exclude_id=lead + 1)


def test_an_inactive_rule_is_skipped(container, clock, rules, as_):
    add_lead(container, clock, name="李雷", phone="13800138000")
    admin = as_("admin")  # viewers are read before the write transaction: SQLite has one writer
    with container.uow() as uow:
        rule = uow.session.scalars(select(DuplicateRule).filter_by(object="lead", name="Same phone")).one()
        deactivate_rule(uow.session, admin, rule.id)
        uow.commit()
    with container.session_factory() as session:
        assert find_duplicates(session, "lead", {"phone": "13800138000"}) == []


def test_a_prefix_rule_compares_the_first_characters(container, clock, demo, as_):
    lead = add_lead(container, clock, name="李雷", company="上海某某科技有限公司")
    add_lead(container, clock, name="李雷", company="上海另外物流有限公司")
    admin = as_("admin")
    with container.uow() as uow:
        save_rule(uow.session, admin, None, RuleInput(
            object="lead", name="Company starts alike", action="warn",
            conditions=[ConditionInput("company", "prefix", prefix_length="4")]))
        uow.commit()
    with container.session_factory() as session:
        found = find_duplicates(session, "lead", {"company": "上海某某物流"})
    assert [(d.record_id, d.scores) for d in found] == [(lead, {"company": 100})]


def test_accounts_saved_by_the_service_are_matched_fuzzily(container, clock, rules, as_):
    rep = as_("wang.fang")
    with container.uow() as uow:
        account = create_account(uow.session, rep, AccountInput(name="杭州华锦汽配有限公司", phone="0571-8888 6666"),
                                 clock.now())
        uow.commit()
    with container.session_factory() as session:
        found = find_duplicates(session, "account", {"name": "杭州華錦汽配股份有限公司"})
        assert [(d.record_id, d.rule_name, d.scores) for d in found] == [(account.id, "Similar name", {"name": 100})]
        assert find_duplicates(session, "account", {"name": "杭州华锦汽配"}, exclude_id=account.id) == []
    with container.uow() as uow:
        update_account(uow.session, rep, account.id, AccountInput(name="宁波东方物流"), clock.now())
        uow.commit()
    with container.session_factory() as session:
        assert find_duplicates(session, "account", {"name": "杭州华锦汽配"}) == []
        assert [d.record_id for d in find_duplicates(session, "account", {"name": "宁波东方物流有限公司"})] == [account.id]


def test_a_contact_with_the_same_phone_warns(container, clock, rules, as_):
    now, rep = clock.now(), as_("wang.fang")
    with container.uow() as uow:
        account = create_account(uow.session, rep, AccountInput(name="ACME"), now)
        contact = create_contact(uow.session, rep, ContactInput(
            account_id=str(account.id), name="Zhang Wei", phone="138 0013 8000", email="ZW@acme.cn"), now)
        uow.commit()
    with container.session_factory() as session:
        warnings = check_duplicates(session, "contact", {"name": "Wei Zhang", "phone": "+8613800138000"})
    assert [(w.record_id, w.action, w.label) for w in warnings] == [(contact.id, "warn", "Zhang Wei · ZW@acme.cn")]


def test_only_candidates_sharing_an_indexed_prefix_are_scored(container, clock, rules):
    now = clock.now()
    with container.uow() as uow:
        uow.session.add_all(Lead(name=f"Person {i}", company=f"Company {i:04d} Ltd", source="import",
                                 match_name=f"person {i}", match_company=f"company {i:04d}",
                                 created_at=now, updated_at=now) for i in range(600))
        uow.commit()
    lead = add_lead(container, clock, name="李雷", company="上海某某科技有限公司")
    add_lead(container, clock, name="王芳", company="上海另外物流有限公司")
    with container.session_factory() as session:
        result = match(session, "lead", {"name": "李雷", "company": "上海某某科技"})
    assert [d.record_id for d in result.duplicates] == [lead]
    assert result.scored == 1  # the company and name prefixes leave one row of 602 to score


def test_a_near_miss_shows_its_scores_for_tuning(container, clock, rules):
    lead = add_lead(container, clock, name="李雷", company="上海某某科技有限公司")
    with container.session_factory() as session:
        result = match(session, "lead", {"name": "李雷", "company": "上海某某电子"})
    assert result.duplicates == []
    assert [(d.record_id, d.scores["name"]) for d in result.near_misses] == [(lead, 100)]
    assert result.near_misses[0].scores["company"] < 90


def test_a_check_asks_the_database_once_whatever_the_number_of_rules(container, clock, rules):
    lead = add_lead(container, clock, name="李雷", company="上海某某科技有限公司", phone="13800138000",
                    email="li@example.com")
    with container.session_factory() as session:
        lead_rules = session.scalars(select(DuplicateRule).where(DuplicateRule.object == "lead")).all()
        statements: list[str] = []
        event.listen(session.connection(), "before_cursor_execute",
                     lambda _conn, _cursor, statement, *_rest: statements.append(statement))
        result = match(session, "lead", {"name": "李雷", "company": "上海某某科技", "phone": "13800138000",
                                         "email": "li@example.com"}, rules=lead_rules)
    assert len(lead_rules) == 3 and len(statements) == 1
    assert [(d.record_id, d.rule_name) for d in result.duplicates] == [
        (lead, "Same phone"), (lead, "Same email"), (lead, "Similar company and name")]
    assert result.scored == 3


def test_a_prefix_is_compared_as_typed_even_with_like_wildcards_in_it(container, clock, demo, as_):
    underscore = add_lead(container, clock, name="A", email="a_1@example.com")
    add_lead(container, clock, name="B", email="ab@example.com")
    admin = as_("admin")
    with container.uow() as uow:
        save_rule(uow.session, admin, None, RuleInput(object="lead", name="Email starts alike", action="warn",
                                                      conditions=[ConditionInput("email", "prefix", prefix_length="2")]))
        uow.commit()
    with container.session_factory() as session:
        assert [d.record_id for d in find_duplicates(session, "lead", {"email": "a_9@example.org"})] == [underscore]
        assert find_duplicates(session, "lead", {"email": "a%9@example.org"}) == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_fuzzy_checks_read_indexes_not_the_whole_table(container, clock, rules):
    """A plain btree serves ``LIKE 'xx%'`` only in the "C" collation: the match columns' pattern
    indexes serve it in any, so a check does not read every lead (nor every account)."""
    add_lead(container, clock, name="李雷", company="上海某某科技有限公司")
    with container.session_factory() as session:
        seen: list[tuple[str, object]] = []
        event.listen(session.connection(), "before_cursor_execute",
                     lambda _conn, _cursor, statement, parameters, *_rest: seen.append((statement, parameters)))
        match(session, "lead", {"name": "李雷", "company": "上海某某科技"})
        match(session, "account", {"name": "杭州华锦汽配"})
        checks = [(statement, parameters) for statement, parameters in seen if " LIKE " in statement]
        assert len(checks) == 2
        session.execute(text("SET LOCAL enable_seqscan = off"))  # a table this small would be read whole anyway
        for statement, parameters in checks:
            plan = "\n".join(session.connection().exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars())
            assert "Seq Scan" not in plan, plan
