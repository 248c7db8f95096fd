"""Text, company names, phones and emails reduced to the form duplicate checks compare.

The same customer is typed in many ways: full-width letters from a Chinese keyboard,
traditional characters from Hong Kong or Taiwan, "有限公司" or not, "+86 138-0013-8000"
or "13800138000". Each function is pure, so the match columns written on save and the
values typed into a form are normalised identically.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import opencc
import phonenumbers

# Longest first, so "股份有限公司" goes as a whole rather than leaving "股份".
_CN_SUFFIXES = ("集团股份有限公司", "集团有限公司", "股份有限公司", "有限责任公司", "有限公司", "分公司",
                "集团", "公司")
_EN_SUFFIXES = ("co ltd", "co limited", "company limited", "pte ltd", "pty ltd", "limited", "ltd",
                "incorporated", "inc", "llc", "l l c", "gmbh", "corporation", "corp", "company", "co",
                "plc", "group", "holdings", "s a", "ag")
_COUNTRY_IN_BRACKETS = re.compile(r"[(\[]\s*(中国|china|prc)\s*[)\]]")
_SPACES = re.compile(r"\s+")
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")
_EN_SUFFIX = re.compile(r"(?:^|\s)(?:" + "|".join(re.escape(s) for s in _EN_SUFFIXES) + r")$")


@cache
def _to_simplified() -> opencc.OpenCC:
    """Built once: loading OpenCC's dictionaries takes milliseconds, converting microseconds."""
    return opencc.OpenCC("t2s")


def _fold(s: str) -> str:
    """NFKC (full-width ＡＢＣ１２３ becomes ABC123), casefold, traditional to simplified."""
    return str(_to_simplified().convert(unicodedata.normalize("NFKC", s).casefold()))


def _unpunctuate(s: str) -> str:
    """Punctuation and symbols become spaces; runs of spaces one; none between Chinese characters,
    where a space carries no meaning ("上海 某某" is "上海某某")."""
    kept = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in s)
    return _SPACE_BETWEEN_CJK.sub("", _SPACES.sub(" ", kept).strip())


# Pure functions of short strings, called several times per record checked (an import row
# is normalised by the plan, the duplicate rules and the save): caching them is free speed.
CACHED = 8192


@lru_cache(maxsize=CACHED)
def normalize_text(s: str) -> str:
    """A name or any text as compared: width, case, script, punctuation and spacing folded."""
    return _unpunctuate(_fold(s))


@lru_cache(maxsize=CACHED)
def normalize_company(s: str) -> str:
    """A company name without its legal form ("有限公司", "Co., Ltd.", "GmbH") or a bracketed
    "(中国)", which say nothing about which company it is. A leading city or province is kept:
    "上海某某科技" and "北京某某科技" are different companies."""
    text = _unpunctuate(_COUNTRY_IN_BRACKETS.sub(" ", _fold(s)))
    while True:
        shorter = _strip_suffix(text)
        if shorter == text or not shorter:
            return text
        text = shorter


def _strip_suffix(text: str) -> str:
    for suffix in _CN_SUFFIXES:
        if text.endswith(suffix):
            return text[: -len(suffix)].strip()
    return _EN_SUFFIX.sub("", text).strip()


def normalize_email(s: str) -> str:
    """Addresses are compared case-insensitively: nobody's mailbox depends on case in practice."""
    return s.strip().lower()


@lru_cache(maxsize=CACHED)
def phone_e164(raw: str, region: str = "CN") -> str | None:
    """The number in E.164 ("+8613800138000"); None when it is empty or not a valid number.
    ``region`` is assumed for numbers typed without a country code."""
    if not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
