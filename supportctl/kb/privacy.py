"""Personal data in published text: e-mail addresses and phone numbers."""

from __future__ import annotations

import re
from typing import Iterable

EMAIL_RE = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# A phone number in one of the forms people write them: international
# (+353 1 555 0199), a bracketed area code ((415) 555-2671), a national trunk
# prefix (030 1234567) or North American 415-555-2671; 9-15 digits in all
# (E.164 allows 15). Plain digit runs, amounts, dates and versions do not match.
PHONE_RE = re.compile(r"(?<![\w+/.-])(?:\+\d{1,3}(?:[ .-]?\(\d{1,5}\))?(?:[ .-]?\d{1,8}){1,6}"
                      r"|\(\d{2,5}\)[ .-]?\d{2,8}(?:[ .-]\d{2,8}){0,4}"
                      r"|0\d{1,4}(?:[ /.-]\d{2,8}){1,4}"
                      r"|\d{3}[.-]\d{3}[.-]\d{4})(?![\w/-]|\.\d)")
_SAFE_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
_SAFE_TLDS = (".example", ".test", ".invalid", ".localhost")


def pii_findings(text: str, allow: Iterable[str]) -> list[tuple[int, str, str]]:
    """(line index, kind, value) for email addresses and phone numbers not in `allow`."""
    allowed = {a.lower() for a in allow}
    found = []
    for n, line in enumerate(text.split("\n")):
        if "@" in line:
            for m in EMAIL_RE.finditer(line):
                value = m.group(0)
                domain = value.rsplit("@", 1)[1].lower()
                if (value.lower() in allowed or domain in allowed or domain in _SAFE_EMAIL_DOMAINS
                        or domain.endswith(_SAFE_TLDS) or any(domain.endswith("." + d) for d in _SAFE_EMAIL_DOMAINS)):
                    continue
                found.append((n, "email address", value))
        if sum(c.isdigit() for c in line) >= 9:
            for m in PHONE_RE.finditer(line):
                value = m.group(0)
                digits = sum(c.isdigit() for c in value)
                if not 9 <= digits <= 15 or value.strip() in allowed:
                    continue
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", value) or re.fullmatch(r"[\d.]+", value):
                    continue            # dates and version numbers
                found.append((n, "phone number", value))
    return found
