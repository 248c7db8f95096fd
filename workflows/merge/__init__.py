"""Merging duplicate accounts, contacts or leads into one record, and undoing a merge.

``service`` previews and runs a merge, ``undo`` puts it back; ``kinds`` says per kind of
record which fields a person picks and what follows from the pick; ``moving`` finds and
moves the rows that point at a merged record; ``snapshot`` keeps rows as JSON.
"""
