"""Checks of the built site: nothing hidden leaked, no script we did not put there, no third-party
request, no personal data in any page. They run on the engine's output, whatever produced it."""

from __future__ import annotations

import functools
import html
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from supportctl.desk.store import in_workers
from supportctl.errors import SupportctlError
from supportctl.kb.model import Kb
from supportctl.kb.privacy import pii_findings

# Elements that run code, load another document or change where links go:
# none of them may come from an article or a generated page's text.
_ACTIVE_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta", "link",
                "style", "portal"}
# (tag, attribute) pairs that make the browser fetch something when the page loads.
_FETCHING = {("script", "src"), ("img", "src"), ("img", "srcset"), ("source", "src"), ("source", "srcset"),
             ("iframe", "src"), ("video", "src"), ("video", "poster"), ("audio", "src"), ("track", "src"),
             ("embed", "src"), ("object", "data"), ("input", "src"), ("image", "href"), ("use", "href")}
_FETCHING_LINKS = {"stylesheet", "icon", "preload", "modulepreload", "prefetch", "manifest", "apple-touch-icon"}
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}
_SCRIPT_URL_RE = re.compile(r"^\s*(?:javascript|vbscript|data\s*:\s*text/html)", re.I)
_TEXT_ATTRS = {"title", "alt", "aria-label", "placeholder", "content"}
MAX_FINDINGS = 20
# From this many pages the checks run on every core (desk.store.in_workers).
PARALLEL_FROM = 200

# Regular expressions, not html.parser: a 1,000-article site is ~80 MB of HTML
# and html.parser reads ~1 MB/s. Script and style bodies are blanked first so
# that code and CSS are never taken for tags or text.
_RAW_RE = re.compile(r"<(?:((script|style)\b[^>]*>).*?</\2\s*>|!--.*?-->)", re.S | re.I)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s/>=\"']+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)"
                     r"\s*/?>")
_ATTR_RE = re.compile(r"([^\s/>=\"']+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
# A start tag as a whole (quoted values may hold ">"), for findall.
_START_TAG_RE = re.compile(r"<[a-zA-Z][a-zA-Z0-9:-]*(?:\s+[^\s/>=\"']+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*"
                           r"\s*/?>")
# Letter classes instead of re.I: a case-insensitive pattern loses the regex engine's fast search.
_SVG_RE = re.compile(r"<[sS][vV][gG]\b.*?</[sS][vV][gG]\s*>", re.S)
_ANY_TAG_RE = re.compile(r"<[^>]*>")


def _attrs(text: str) -> dict[str, str]:
    return {m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTR_RE.finditer(text)}


def scan_page(page: str, own_hosts: set[str], checked: set | None = None,
              memo: dict | None = None) -> tuple[list[str], list[str]]:
    """(what one built page must not hold, its reader-visible text chunks, HTML-escaped). Tags in
    `checked` were judged on an earlier page (header and navigation repeat on every page): skipped.
    `memo` keeps each distinct tag's verdict, so a tag repeated in many articles is judged once, and each
    navigation item already read on an earlier page, so it is not read again."""
    checked = set() if checked is None else checked
    memo = {} if memo is None else memo
    outside, article, chunks = _split_page(page, memo)
    outside -= checked
    checked |= outside
    findings: list[str] = []
    attr_text: list[str] = []
    tags = [(raw, False) for raw in sorted(outside)] + [(raw, True) for raw in article]
    for key in tags:
        verdict = memo.get(key)
        if verdict is None:
            m = _TAG_RE.match(key[0])
            verdict = memo[key] = _check_tag(m.group(2).lower(), m.group(3), key[1], own_hosts) if m else ([], [])
        findings += verdict[0]
        attr_text += verdict[1]
    return list(dict.fromkeys(findings)), chunks + [html.escape(t) for t in attr_text]


def _emptied(m: re.Match) -> str:
    """A <script> or <style> element without its body; nothing for a comment."""
    return f"<{m.group(1)}</{m.group(2)}>" if m.group(1) else ""


def _blank(page: str) -> str:
    """The page without comments and with empty <script> and <style> elements."""
    return _RAW_RE.sub(_emptied, page)


# Each navigation item starts with this tag. The primary navigation is most of every page (a 1,000-article
# site repeats a category's 125 links on each of its pages), so the part of a page before its <article>
# is cut into navigation items and an item already read on an earlier page is skipped.
_NAV_ITEM = '<li class="md-nav__item'
_SVG_OPEN_RE = re.compile(r"<[sS][vV][gG]\b")
_RAW_OPEN_RE = re.compile(r"<(?:(?:script|style)\b|!--)", re.I)


def _split_page(page: str, memo: dict) -> tuple[set[str], list[str], list[str]]:
    """(the start tags outside the <article>, those inside it, the page's text chunks), leaving out
    navigation items read on an earlier page. Exact: a piece is read on its own only when no comment,
    script, tag, text chunk or <svg> runs across its ends; otherwise the page is read as one."""
    start = page.find("<article")
    pieces = page[:start].split(_NAV_ITEM) if start >= 0 else []
    seen = memo.setdefault("nav pieces", set())
    tags: set[str] = set()
    chunks: list[str] = []
    for i, piece in enumerate(pieces):
        if i and piece in seen:
            continue
        raw = _NAV_ITEM + piece if i else piece
        text, n = _RAW_RE.subn(_emptied, raw)
        found = _START_TAG_RE.findall(text)
        # Nothing runs on into the next piece when each comment, script and style closes in it, every "<"
        # but those of end tags and <!doctype> starts a whole start tag (none is cut off, none hides in
        # another's quoted value), a ">" closes the last one and each <svg> closes.
        if (n != len(_RAW_OPEN_RE.findall(raw))
                or len(found) != text.count("<") - text.count("</") - text.count("<!")
                or text.rfind("<") > text.rfind(">")):
            break
        no_svg = _SVG_RE.sub("", text)
        if _SVG_OPEN_RE.search(no_svg):
            break
        tags.update(found)
        chunks += _ANY_TAG_RE.split(no_svg)
        if i:
            seen.add(piece)
    else:
        rest = _blank(page[start:]) if pieces else ""
        end = rest.rfind("</article")
        if end >= 0:
            tags.update(_START_TAG_RE.findall(rest, end))
            return tags, _START_TAG_RE.findall(rest, 0, end), chunks + _ANY_TAG_RE.split(_SVG_RE.sub("", rest))
    page = _blank(page)
    start, end = page.find("<article"), page.rfind("</article")
    if start < 0 or end < start:
        start = end = len(page)
    tags = set(_START_TAG_RE.findall(page, 0, start))
    tags.update(_START_TAG_RE.findall(page, end))
    return tags, _START_TAG_RE.findall(page, start, end), _ANY_TAG_RE.split(_SVG_RE.sub("", page))


def _check_tag(tag: str, raw: str, in_article: bool, own_hosts: set[str]) -> tuple[list[str], list[str]]:
    findings: list[str] = []
    text: list[str] = []
    if in_article and tag in _ACTIVE_TAGS:
        findings.append(f"<{tag}> in the page content")
    if not raw:
        return findings, text
    values = _attrs(raw)
    for name, value in values.items():
        if name.startswith("on"):
            findings.append(f"<{tag} {name}=...> (an event handler runs script)")
        elif name in _TEXT_ATTRS:
            text.append(value)
        elif name == "href" and value.lower().startswith("mailto:"):
            text.append(unquote(value[7:].split("?", 1)[0]))
        if (tag, name) in _FETCHING or (tag == "link" and name == "href"
                                         and _FETCHING_LINKS & set(values.get("rel", "").lower().split())):
            for url in value.split(","):            # srcset lists several
                host = _foreign_host(url.strip().split(" ")[0], own_hosts)
                if host:
                    findings.append(f"<{tag} {name}> loads from {host} (a third-party request)")
        if in_article and name in _URL_ATTRS and _SCRIPT_URL_RE.match(value):
            findings.append(f"<{tag} {name}=\"{value[:30]}\"> (a script link)")
    if "mermaid" in values.get("class", "").split():
        findings.append(f"<{tag} class=\"mermaid\"> (Material loads mermaid.js from unpkg.com for it)")
    if values.get("data-md-component") == "source":
        findings.append("a repository widget (repo_url: Material fetches its stars from the forge's API)")
    if in_article and "url(" in values.get("style", "").lower():
        findings.append(f"<{tag} style=\"...url(...)\"> (a stylesheet fetch)")
    return findings, text


def _foreign_host(url: str, own: set[str]) -> str | None:
    if not url.startswith("//") and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url):
        return None                                  # relative: the site itself
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob"):
        return None
    host = parts.hostname or url
    return None if host in own else host


def own_hosts(config: Any) -> set[str]:
    """The hosts a page may load from: the site itself."""
    own = {"localhost", "127.0.0.1"}
    if config is not None and config.desk.url:
        own.add(urlsplit(config.desk.url).hostname or "")
    return own


def pii_allowed(config: Any) -> list[str]:
    """The addresses and numbers a page may show."""
    allow = list(config.kb.pii_allow) if config is not None else []
    if config is not None and config.desk.support_email:
        allow.append(config.desk.support_email)      # the contact link publishes it on purpose
    if config is not None and config.mail is not None:
        allow.append(config.mail.address)            # so does the contact link of a desk without support_email
    return allow


def page_text(data: bytes) -> str:
    """A page's bytes as text, as `Path.read_text` reads them (undecodable bytes replaced, universal newlines)."""
    text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def html_pages(out: Path) -> list[str]:
    """Every HTML page under `out`, relative, in path order."""
    return [Path(dirpath, name).relative_to(out).as_posix()
            for dirpath, _, filenames in sorted(os.walk(out)) for name in sorted(filenames) if name.endswith(".html")]


def pii_of(rel: str, fresh: set[str], allow: list[str]) -> list[str]:
    """Findings of personal data in a page's text chunks not checked on an earlier page."""
    text = html.unescape("\n".join(sorted(fresh)))
    return [f"{rel}: {kind} {value!r} (personal data)" for _, kind, value in pii_findings(text, allow)]


def verify_pages(out: Path, config: Any) -> None:
    """Scan every built HTML page; raise listing what would run script, call another host or leak
    personal data (subtitle:, category descriptions and the home text are pages too)."""
    own, allow = own_hosts(config), pii_allowed(config)
    pages = html_pages(out)
    # Reading 80 MB of HTML is CPU-bound: the pages are split over the cores (each worker
    # skips what it read on its own earlier pages), and merged back in page order.
    scanned = in_workers(functools.partial(_scan_pages, out, own), pages, parallel_from=PARALLEL_FROM)
    findings: list[str] = []
    seen: set[str] = set()
    for rel in pages:
        page_findings, chunks = scanned[rel]
        findings += [f"{rel}: {f}" for f in page_findings]
        # The navigation repeats on every page: each piece of text is checked once, on its first page.
        fresh = chunks - seen
        seen |= fresh
        findings += pii_of(rel, fresh, allow)
    raise_findings(findings)


def raise_findings(findings: list[str]) -> None:
    """Raise listing the first findings, if there are any."""
    if findings:
        unique = list(dict.fromkeys(findings))
        more = f" and {len(unique) - MAX_FINDINGS} more" if len(unique) > MAX_FINDINGS else ""
        raise SupportctlError(f"the built site failed its page checks: {unique[0]}",
                              hint="; ".join(unique[1:MAX_FINDINGS]) + more + (" — " if len(unique) > 1 else "")
                              + "remove raw HTML, diagrams loaded from a CDN and personal data from articles, "
                                "category files and kb/_home.md, then build again")


def _scan_pages(out: Path, own: set[str], pages: list[str]) -> dict[str, tuple[list[str], set[str]]]:
    """Each page's findings and the text chunks not seen on an earlier page of `pages`, in order."""
    checked: set[str] = set()
    memo: dict = {}
    seen: set[str] = set()
    out_of: dict[str, tuple[list[str], set[str]]] = {}
    for rel in pages:
        page_findings, chunks = scan_page(page_text((out / rel).read_bytes()), own, checked, memo)
        fresh = set(chunks)
        fresh -= seen
        seen |= fresh
        out_of[rel] = (page_findings, fresh)
    return out_of


def verify_no_leaks(out: Path, kb: Kb) -> None:
    """Belt and braces: no page, sitemap entry or search entry for a non-public article."""
    public = {(a.category, a.slug) for a in kb.public()}
    hidden = [a for a in kb.articles if (a.category, a.slug) not in public]
    if not hidden:
        return
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8") if (out / "sitemap.xml").is_file() else ""
    index_path = out / "search" / "search_index.json"
    locations: set[str] = set()
    if index_path.is_file():
        data = json.loads(index_path.read_text(encoding="utf-8"))
        locations = {d.get("location", "").split("#")[0] for d in data.get("docs", [])}
    for a in hidden:
        for rel in (f"{a.category}/{a.slug}/", f"{a.category}/{a.slug}.html"):
            if (out / rel).exists() or f"/{rel}<" in sitemap or rel in locations:
                raise SupportctlError(f"{a.status} {a.visibility} article {a.slug} was found in the built site at "
                                      f"{out / rel}", path=a.path,
                                      hint="the output folder was not cleaned; delete it and build again")
