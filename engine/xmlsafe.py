"""Hostile-input-safe XML loading for uploaded BPMN and DMN files.

lxml would otherwise expand entities (billion laughs) and may fetch external DTDs.
Documents with a DOCTYPE are refused outright: BPMN and DMN never need one. The
DOCTYPE is looked for before parsing too, so an entity bomb is refused by name rather
than by whichever parser limit it trips first.
"""

from __future__ import annotations

import re

from lxml import etree

from core.phrases import Phrase

from .errors import Problem

MAX_FILE_BYTES = 2 * 1024 * 1024

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)
_FIRST_TAG = re.compile(rb"<[A-Za-z_]")
NO_DOCTYPE = Phrase("DOCTYPE declarations are not allowed: BPMN and DMN files need none, and they can "
                    "declare entities that expand without end or read other files")


def load_xml(
    content: bytes | str, filename: str, max_bytes: int = MAX_FILE_BYTES
) -> tuple[etree._Element | None, Problem | None]:
    """Parse ``content``; return the root element, or a problem naming the file and line."""
    data = content.encode() if isinstance(content, str) else content
    if len(data) > max_bytes:
        return None, Problem(Phrase("file is %(size)s bytes; the limit is %(limit)s",
                                    size=f"{len(data):,}", limit=f"{max_bytes:,}"), file=filename)
    if _declares_doctype(data):
        return None, Problem(NO_DOCTYPE, file=filename)
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        return None, Problem(Phrase("not well-formed XML (line %(line)s): %(reason)s",
                                    line=exc.lineno, reason=exc.msg), file=filename)
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        return None, Problem(NO_DOCTYPE, file=filename)
    return root, None


def _declares_doctype(data: bytes) -> bool:
    """A DOCTYPE before the first element (an encoding other than UTF-8 is caught after parsing)."""
    first = _FIRST_TAG.search(data)
    return b"<!DOCTYPE" in data[: first.start() if first else len(data)]
