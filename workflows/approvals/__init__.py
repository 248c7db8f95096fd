"""Approvals: who approves what, resolved from roles and the submitter's place in the org."""
