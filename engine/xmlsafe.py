"""Hostile-input-safe XML loading for uploaded BPMN and DMN files.

lxml would otherwise expand entities (billion laughs) and may fetch external DTDs.
Documents with a DOCTYPE are refused outright: BPMN and DMN never need one.
"""

from __future__ import annotations

from lxml import etree

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


def load_xml(
    content: bytes | str, filename: str, max_bytes: int = MAX_FILE_BYTES
) -> tuple[etree._Element | None, Problem | None]:
    """Parse ``content``; return the root element, or a problem naming the file and line."""
    data = content.encode() if isinstance(content, str) else content
    if len(data) > max_bytes:
        return None, Problem(f"file is {len(data):,} bytes; the limit is {max_bytes:,}", file=filename)
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        return None, Problem(f"not well-formed XML (line {exc.lineno}): {exc.msg}", file=filename)
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        return None, Problem("DOCTYPE declarations are not allowed", file=filename)
    return root, None
