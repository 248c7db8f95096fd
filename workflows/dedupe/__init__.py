"""Duplicate rules and duplicate matching for leads, accounts and contacts.

Every entry point (manual entry, the web form, import, conversion) calls ``check_duplicates``
before saving and ``refresh_match_columns`` on the record it saves; a pool claim checks the
lead it takes with ``duplicates_of``.
"""

from .demo import load_default_rules
from .matching import (
    Duplicate,
    DuplicateBlocked,
    MatchResult,
    check_duplicates,
    duplicates_of,
    find_duplicates,
    match,
)
from .models import DuplicateRule
from .normalize import normalize_company, normalize_email, normalize_text, phone_e164
from .rules import ConditionInput, RuleInput, deactivate_rule, list_rules, save_rule
from .sources import refresh_match_columns

__all__ = [
    "ConditionInput", "Duplicate", "DuplicateBlocked", "DuplicateRule", "MatchResult", "RuleInput",
    "check_duplicates", "deactivate_rule", "duplicates_of", "find_duplicates", "list_rules",
    "load_default_rules", "match", "normalize_company", "normalize_email", "normalize_text", "phone_e164",
    "refresh_match_columns", "save_rule",
]
