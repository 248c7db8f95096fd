"""Outbound messages to people: email, SMS and in-app."""
