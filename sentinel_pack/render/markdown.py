"""The small Markdown subset solution descriptions use, turned into the package's HTML.

The marketplace shows ``descriptionHtml``; the install wizard shows the Markdown. Both come
from one text, so they cannot drift apart.
"""

from __future__ import annotations

import re

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def inline_html(text: str) -> str:
    text = _LINK.sub(r'<a href="\2">\1</a>', text)
    return _BOLD.sub(r"<strong>\1</strong>", text)


_ITEM = re.compile(r"^(?:([a-z])\.|(\d+)\.|[-*])\s+(.*)$")


def _block(block: str) -> str:
    """A paragraph, or a list when every line is an item (``a.`` items are Markdig's ``type="a"`` list)."""
    lines = block.splitlines()
    items = [_ITEM.match(line.strip()) for line in lines]
    if not all(items):
        return f"<p>{inline_html(block)}</p>\n"
    first = items[0]
    tag, attrs = ("ol", ' type="a"') if first.group(1) else ("ol", "") if first.group(2) else ("ul", "")
    body = "".join(f"<li>{inline_html(m.group(3))}</li>\n" for m in items)
    return f"<{tag}{attrs}>\n{body}</{tag}>\n"


def to_html(markdown: str) -> str:
    """Paragraphs separated by blank lines become ``<p>`` elements, one per line; item blocks become lists."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", markdown) if p.strip()]
    return "".join(_block(p) for p in paragraphs)
