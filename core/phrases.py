"""User-facing text from below the web layer, kept translatable.

Domain and engine code cannot call Flask-Babel, yet their messages reach users. A
``Phrase`` is the English text (so logs, tests and ``str()`` read naturally) that also
keeps its msgid and values, so ``web`` can look the msgid up in the reader's catalogue.
``pybabel extract -k Phrase`` collects the msgids.
"""

from __future__ import annotations


class Phrase(str):
    """English text that remembers its msgid and ``%(name)s`` values for translation."""

    msgid: str
    values: dict[str, object]

    def __new__(cls, msgid: str, **values: object) -> Phrase:
        phrase = super().__new__(cls, msgid % values if values else msgid)
        phrase.msgid, phrase.values = msgid, values
        return phrase
