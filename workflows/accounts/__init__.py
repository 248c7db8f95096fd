"""Accounts (customers, with parent accounts for groups of companies) and their contacts."""
