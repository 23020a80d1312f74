"""Links, anchors and raw HTML in article bodies, as the help site will render them."""

from __future__ import annotations

import functools
import html
import posixpath
import re
import unicodedata
from urllib.parse import unquote

from supportctl.base.datatypes import datatype
from supportctl.kb.model import Article

_FENCE_RE = re.compile(r"^( {0,3})(`{3,}|~{3,})")
_INLINE_CODE_RE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_LINK_RE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
_REFDEF_RE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_HTML_HREF_RE = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_ATTR_ID_RE = re.compile(r"\{\s*[^}]*#([\w-]+)[^}]*\}\s*$")
# An HTML tag, comment excepted: `<https://...>` and `<a@b.c>` are Markdown autolinks, not tags.
_HTML_TAG_RE = re.compile(r"<(?:/?([A-Za-z][A-Za-z0-9-]*)(?=[\s/>]|$)|(![A-Za-z\[])|(\?))")
# An attribute list (attr_list extension) that sets an event handler: `{ onclick="..." }`.
_EVENT_ATTR_RE = re.compile(r"\{[^}]*\bon[a-z]+\s*=", re.I)
# Schemes that run script or embed content in the page instead of linking.
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")
# A URL scheme (https:, mailto:): such a link leaves the KB and is not checked.
SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


# `kb check` asks for each article's several times in a row, then `site build` stages it: a pass over a
# large KB each time (a few MB held at most).
@functools.lru_cache(maxsize=4096)
def strip_code(body: str) -> str:
    """The body with fenced code blocks and inline code blanked out (line numbers kept)."""
    out = []
    fence: str | None = None
    for line in body.split("\n"):
        m = _FENCE_RE.match(line)
        if fence is None:
            if m:
                fence = m.group(2)[0] * len(m.group(2))
                out.append("")
                continue
            if line.startswith("    ") and not line.strip().startswith(("-", "*", "1")) and out and out[-1] == "":
                out.append("")       # an indented code block after a blank line
                continue
            out.append(_INLINE_CODE_RE.sub(lambda mm: " " * len(mm.group(0)), line) if "`" in line else line)
        else:
            if m and m.group(2).startswith(fence):
                fence = None
            out.append("")
    return "\n".join(out)


@datatype(frozen=True)
class Link:
    """A link or image target in an article body."""

    target: str
    line: int                      # 1-based line in the file


def links_of(article: Article) -> tuple[Link, ...]:
    """Every link and image target in the body (code excluded), with its line in the file."""
    return links_in(article.body, article.body_line)


@functools.lru_cache(maxsize=4096)     # checks, then staging, ask for each article's (a tuple: shared)
def links_in(markdown: str, first_line: int = 1) -> tuple[Link, ...]:
    """Every link and image target in Markdown text (code excluded); its first line is `first_line`."""
    out = []
    for n, line in enumerate(strip_code(markdown).split("\n")):
        if "](" in line:
            out.extend(Link(m.group(1), first_line + n) for m in _LINK_RE.finditer(line))
        if "]:" in line:
            m = _REFDEF_RE.match(line)
            if m:
                out.append(Link(m.group(1), first_line + n))
        if "<" in line:
            out.extend(Link(m.group(1), first_line + n) for m in _HTML_HREF_RE.finditer(line))
    return tuple(out)


def heading_slug(text: str, seen: dict[str, int] | None = None) -> str:
    """The id Python-Markdown's toc extension gives a heading (its default slugify)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)       # [text](url) -> text
    text = re.sub(r"<[^>]+>", "", text)
    text = text.replace("`", "").replace("*", "").replace("__", "")
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    slug = re.sub(r"[-\s]+", "-", value)
    if seen is not None:
        count = seen.get(slug)
        seen[slug] = (count or 0) + 1
        if count:
            slug = f"{slug}_{count}"
    return slug


def anchors_of(article: Article) -> set[str]:
    """Heading ids of the article as the site will render them."""
    ids: set[str] = set()
    seen: dict[str, int] = {}
    for line in strip_code(article.body).split("\n"):
        m = _HEADING_RE.match(line)
        if not m:
            continue
        text = m.group(2)
        explicit = _ATTR_ID_RE.search(text)
        if explicit:
            ids.add(explicit.group(1))
            continue
        ids.add(heading_slug(text, seen))
    for m in re.finditer(r"""\bid\s*=\s*["']([^"']+)["']|\{\s*:?\s*#([\w-]+)""", article.body):
        ids.add(m.group(1) or m.group(2))
    if article.related:
        ids.add("related-articles")
    return ids


def resolve(article: Article, target: str) -> tuple[str, str]:
    """Relative link target -> (path relative to the desk root, anchor)."""
    path, _, anchor = target.partition("#")
    path = path.split("?", 1)[0]
    if not path:
        return article.path, anchor
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(article.path), unquote(path)))
    return joined, anchor


def raw_html(markdown: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line, what) for raw HTML, event-handler attributes and script links in Markdown text (code excluded)."""
    out = []
    for n, line in enumerate(strip_code(markdown).split("\n")):
        tags = [f"<{m.group(1).lower()}>" if m.group(1) else ("<!...>" if m.group(2) else "<?...>")
                for m in _HTML_TAG_RE.finditer(line)] if "<" in line else []
        if tags:
            out.append((first_line + n, "raw HTML " + ", ".join(dict.fromkeys(tags))))
        if "{" in line and _EVENT_ATTR_RE.search(line):
            out.append((first_line + n, "an event-handler attribute"))
    for link in links_in(markdown, first_line):
        target = re.sub(r"[\x00-\x20]", "", html.unescape(link.target)).lower()
        if target.startswith(_SCRIPT_SCHEMES):
            out.append((link.line, f"a {target.split(':', 1)[0]}: link"))
    return sorted(out)
