"""Personal data in published text: e-mail addresses and phone numbers."""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Iterable

# An e-mail address, international ones included: Unicode letters in the
# name and the domain (jürgen@müller.de), and punycode top-level domains.
EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.(?:[^\W\d_]{2,}|xn--[a-z0-9-]{2,})\b", re.I)
# A phone number in one of the forms people write them: international
# (+353 1 555 0199), a bracketed area code ((415) 555-2671), a national trunk
# prefix (030 1234567) or North American 415-555-2671; 9-15 digits in all
# (E.164 allows 15). Plain digit runs, amounts, dates and versions do not match.
PHONE_RE = re.compile(r"(?<![\w+/.-])(?:\+\d{1,3}(?:[ .-]?\(\d{1,5}\))?(?:[ .-]?\d{1,8}){1,6}"
                      r"|\(\d{2,5}\)[ .-]?\d{2,8}(?:[ .-]\d{2,8}){0,4}"
                      r"|0\d{1,4}(?:[ /.-]\d{2,8}){1,4}"
                      r"|\d{3}[.-]\d{3}[.-]\d{4})(?![\w/-]|\.\d)")
_DIGIT_RE = re.compile(r"\d")
_SAFE_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
_SAFE_TLDS = (".example", ".test", ".invalid", ".localhost")
# A Markdown backslash escape of ASCII punctuation: the backslash is not shown.
_MD_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")


def as_published(line: str) -> str:
    """The line as a reader of the help site sees it: entities decoded (`&#64;` is @), Markdown
    escapes removed (`\\.` is .), compatibility forms folded (a fullwidth ＠ is @)."""
    if "&" in line:
        line = html.unescape(line)
    if "\\" in line:
        line = _MD_ESCAPE_RE.sub(r"\1", line)
    if not line.isascii():
        line = unicodedata.normalize("NFKC", line)
    return line


def _domain(value: str) -> str:
    """A domain in one spelling: lowercase, and punycode for international names."""
    value = value.strip().lower()
    try:
        return value.encode("idna").decode("ascii")
    except UnicodeError:
        return value


def _address(value: str) -> str:
    local, at, domain = value.strip().rpartition("@")
    return f"{local.lower()}@{_domain(domain)}" if at else _domain(value)


def pii_findings(text: str, allow: Iterable[str]) -> list[tuple[int, str, str]]:
    """(line index, kind, value) for email addresses and phone numbers not in `allow`."""
    allow = list(allow)
    allowed = {a.strip() for a in allow} | {_address(a) for a in allow}
    found = []
    for n, raw in enumerate(text.split("\n")):
        line = as_published(raw)
        if "@" in line:
            for m in EMAIL_RE.finditer(line):
                value = m.group(0)
                domain = _domain(value.rsplit("@", 1)[1])
                if (_address(value) in allowed or domain in allowed or domain in _SAFE_EMAIL_DOMAINS
                        or domain.endswith(_SAFE_TLDS) or any(domain.endswith("." + d) for d in _SAFE_EMAIL_DOMAINS)):
                    continue
                found.append((n, "email address", value))
        if len(_DIGIT_RE.findall(line)) >= 9:      # a phone number has nine digits at least
            for m in PHONE_RE.finditer(line):
                value = m.group(0)
                digits = sum(c.isdigit() for c in value)
                if not 9 <= digits <= 15 or value.strip() in allowed:
                    continue
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", value) or re.fullmatch(r"[\d.]+", value):
                    continue            # dates and version numbers
                found.append((n, "phone number", value))
    return found
