"""Opportunities: each a live instance of its business type's pipeline; quotes on them."""
