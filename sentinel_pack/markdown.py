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


def to_html(markdown: str) -> str:
    """Paragraphs separated by blank lines become ``<p>`` elements, one per line."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", markdown) if p.strip()]
    return "".join(f"<p>{inline_html(p)}</p>\n" for p in paragraphs)
