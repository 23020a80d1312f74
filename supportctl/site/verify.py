"""Checks of the built site: nothing hidden leaked, no script we did not put there, no third-party
request, no personal data in any page. They run on the engine's output, whatever produced it."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from supportctl.errors import SupportctlError
from supportctl.kb.model import Kb, pii_findings

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
_SKIP_TEXT = {"script", "style", "svg"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
MAX_FINDINGS = 20


class _PageScan(HTMLParser):
    """One page: what its <article> holds that it must not, its third-party fetches, and its text."""

    def __init__(self, own_hosts: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.own_hosts = own_hosts
        self.findings: list[str] = []
        self.text: list[str] = []
        self._stack: list[str] = []
        self._article = 0        # depth of <article> elements we are in
        self._skip = 0           # inside <script>, <style> or <svg>: not reader-visible text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)
        if tag in _VOID:
            return
        self._stack.append(tag)
        self._article += tag == "article"
        self._skip += tag in _SKIP_TEXT

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self._stack:
            return
        while self._stack:
            top = self._stack.pop()
            self._article -= top == "article"
            self._skip -= top in _SKIP_TEXT
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.findings.append(f"<{tag} {name}=...> (an event handler runs script)")
            if name in _TEXT_ATTRS:
                self.text.append(value)
            if name == "href" and value.lower().startswith("mailto:"):
                self.text.append(unquote(value[7:].split("?", 1)[0]))
        if "mermaid" in values.get("class", "").split():
            self.findings.append(f"<{tag} class=\"mermaid\"> (Material loads mermaid.js from unpkg.com for it)")
        if values.get("data-md-component") == "source":
            self.findings.append("a repository widget (repo_url: Material fetches its stars from the forge's API)")
        for name, value in values.items():
            fetches = (tag, name) in _FETCHING or (tag == "link" and name == "href" and
                                                    _FETCHING_LINKS & set(values.get("rel", "").lower().split()))
            if fetches:
                for url in value.split(","):        # srcset lists several
                    host = _foreign_host(url.strip().split(" ")[0], self.own_hosts)
                    if host:
                        self.findings.append(f"<{tag} {name}> loads from {host} (a third-party request)")
        if self._article:
            if tag in _ACTIVE_TAGS:
                self.findings.append(f"<{tag}> in the page content")
            for name in _URL_ATTRS & set(values):
                if _SCRIPT_URL_RE.match(values[name]):
                    self.findings.append(f"<{tag} {name}=\"{values[name][:30]}\"> (a script link)")
            if "url(" in values.get("style", "").lower():
                self.findings.append(f"<{tag} style=\"...url(...)\"> (a stylesheet fetch)")


def _foreign_host(url: str, own: set[str]) -> str | None:
    if not url.startswith("//") and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url):
        return None                                  # relative: the site itself
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob"):
        return None
    host = parts.hostname or url
    return None if host in own else host


def verify_pages(out: Path, config: Any) -> None:
    """Scan every built HTML page; raise listing what would run script, call another host or leak
    personal data (subtitle:, category descriptions and the home text are pages too)."""
    own = {"localhost", "127.0.0.1"}
    if config is not None and config.desk.url:
        own.add(urlsplit(config.desk.url).hostname or "")
    allow = list(config.kb.pii_allow) if config is not None else []
    if config is not None and config.desk.support_email:
        allow.append(config.desk.support_email)      # the contact link publishes it on purpose
    findings: list[str] = []
    for dirpath, _, filenames in os.walk(out):
        for name in sorted(filenames):
            if not name.endswith(".html"):
                continue
            path = Path(dirpath, name)
            rel = path.relative_to(out).as_posix()
            scan = _PageScan(own)
            scan.feed(path.read_text(encoding="utf-8", errors="replace"))
            scan.close()
            findings += [f"{rel}: {f}" for f in dict.fromkeys(scan.findings)]
            text = "\n".join(" ".join(chunk.split()) for chunk in scan.text if chunk.strip())
            findings += [f"{rel}: {kind} {value!r} (personal data)" for _, kind, value in pii_findings(text, allow)]
    if findings:
        unique = list(dict.fromkeys(findings))
        more = f" and {len(unique) - MAX_FINDINGS} more" if len(unique) > MAX_FINDINGS else ""
        raise SupportctlError(f"the built site failed its page checks: {unique[0]}",
                              hint="; ".join(unique[1:MAX_FINDINGS]) + more + (" — " if len(unique) > 1 else "")
                              + "remove raw HTML, diagrams loaded from a CDN and personal data from articles, "
                                "category files and kb/_home.md, then build again")


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
