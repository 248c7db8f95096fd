"""People and the organisation: users, roles, the org tree, and who may see what."""
