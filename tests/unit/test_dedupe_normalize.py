"""Normalisation for duplicate checks: the ways one customer gets typed become one string."""

from __future__ import annotations

import pytest

from workflows.dedupe.matching import score
from workflows.dedupe.normalize import normalize_company, normalize_email, normalize_text, phone_e164


def test_full_width_letters_and_digits_become_half_width_lower_case():
    assert normalize_text("ＡＢＣ１２３") == "abc123"
    assert normalize_text("ＡＢＣ１２３") == normalize_text("abc123")


def test_traditional_characters_become_simplified():
    assert normalize_text("繁體") == "繁体"
    assert normalize_text("臺灣資訊") == normalize_text("台湾资讯")


def test_punctuation_and_spacing_are_folded():
    assert normalize_text("  John   O'Brien, Jr. ") == "john o brien jr"
    assert normalize_text("上海 · 某某") == "上海某某"  # a space between Chinese characters says nothing


@pytest.mark.parametrize("typed", ["上海某某科技有限公司", "上海某某科技", "上海某某科技股份有限公司",
                                   "上海某某科技（中国）有限公司", "上海某某科技有限責任公司", "上海某某科技集团"])
def test_company_suffixes_and_legal_forms_are_dropped(typed):
    assert normalize_company(typed) == "上海某某科技"


@pytest.mark.parametrize("typed", ["Acme Co., Ltd.", "ACME Inc.", "Acme LLC", "Acme GmbH", "Acme Corp.",
                                   "Acme Limited", "ＡＣＭＥ Company Limited"])
def test_english_legal_forms_are_dropped(typed):
    assert normalize_company(typed) == "acme"


def test_a_leading_city_is_kept_because_it_tells_companies_apart():
    assert normalize_company("上海某某科技有限公司") != normalize_company("北京某某科技有限公司")


def test_a_name_that_is_only_a_legal_form_is_not_emptied():
    assert normalize_company("集团") == "集团"
    assert normalize_company("") == ""


def test_phones_compare_in_e164():
    assert phone_e164("+86 138-0013-8000") == phone_e164("13800138000") == "+8613800138000"
    assert phone_e164("021-6234 5678") == "+862162345678"
    assert phone_e164("+1 650 253 0000", region="CN") == "+16502530000"


@pytest.mark.parametrize("typed", ["", "   ", "123", "not a phone", "+86 138"])
def test_an_invalid_phone_is_none(typed):
    assert phone_e164(typed) is None


def test_emails_are_trimmed_and_lower_cased():
    assert normalize_email("  Wang.Fang@Example.COM ") == "wang.fang@example.com"


def test_fuzzy_scores_see_extra_words_and_word_order():
    fuzzy = {"match": "fuzzy", "threshold": 90}
    assert score(fuzzy, "上海某某", "上海某某科技发展") == 90
    assert score(fuzzy, "john smith", "smith john") == 95
    assert score(fuzzy, "上海某某科技", "北京另外物流") < 50
    assert score(fuzzy, "", "anything") == 0


def test_exact_and_prefix_scores_are_all_or_nothing():
    assert score({"match": "exact"}, "a", "a") == 100 and score({"match": "exact"}, "a", "b") == 0
    prefix = {"match": "prefix", "prefix_length": 4}
    assert score(prefix, "上海某某科技", "上海某某物流") == 100
    assert score(prefix, "上海某某科技", "上海另外科技") == 0
