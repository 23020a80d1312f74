"""HTML mail turned into plain text with inscriptis, quotes marked with '>' so replies can be trimmed."""

from __future__ import annotations

import re

import lxml.etree
import lxml.html
from inscriptis import Inscriptis
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

# Firefox's defaults ("strict"): the "relaxed" default indents every <div>, and mail is all divs.
_CONFIG = ParserConfig(css=CSS_PROFILES["strict"].copy(), display_links=True, display_images=True)
_SELF_LINK = re.compile(r"\[([^\[\]\n]+)\]\(([^()\s]+)\)")
_BLANK_RUN = re.compile(r"\n{3,}")
# Characters XML cannot hold: lxml refuses them when text is set on an element.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: no scripts or styles, links as [text](url), quotes as '> ' lines."""
    markup = _NOT_XML.sub("", markup)
    if not markup.strip():
        return ""
    try:
        # Encoded to UTF-8 bytes with the encoding fixed: lxml refuses str with an XML encoding
        # declaration, and a <meta charset> must not re-decode text that is already decoded.
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
        root = lxml.html.document_fromstring(markup.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.LxmlError, ValueError):  # "Document is empty" and kin: nothing to show
        return ""
    _mark_quotes(root)
    text = Inscriptis(root, _CONFIG).get_text()
    text = _SELF_LINK.sub(_link, text)
    lines = [line.rstrip() for line in text.splitlines()]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")


def _link(match: re.Match[str]) -> str:
    """`[url](url)` as just the url; `[text](mailto:text)` as just the text."""
    label, target = match.group(1), match.group(2)
    if target in (label, f"mailto:{label}") or target.rstrip("/") == label.rstrip("/"):
        return label
    return match.group(0)


def _mark_quotes(root: lxml.html.HtmlElement) -> None:
    """Replace each <blockquote> by a <pre> of its text with '> ' before every line (nested: '> > ')."""
    # Innermost first (reverse document order), so an outer quote sees its inner ones already marked.
    for quote in reversed(list(root.iter("blockquote"))):
        parent = quote.getparent()
        if parent is None:
            continue
        tail, quote.tail = quote.tail, None  # inscriptis would render the tail as part of the quote
        inner = Inscriptis(quote, _CONFIG).get_text().strip("\n")
        pre = lxml.html.Element("pre")
        pre.text = "\n".join(f"> {line}" if line.strip() else ">" for line in inner.splitlines())
        pre.tail = tail
        parent.replace(quote, pre)
