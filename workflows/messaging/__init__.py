"""Email and SMS templates with placeholders, previewed on a real record and sent to one
record or many in the background, respecting each person's opt-out (issue 7)."""
