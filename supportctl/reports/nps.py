"""NPS answers on the customer's file, `customers/<slug>.yml` (shared/spec.md §12, §13).

Until customers and organisations arrive, a customer file holds only what NPS
needs; that work extends the same file with names, handles and the rest:

    email: dana@example.com
    nps:
      - {score: 9, comment: Great support, at: 2026-11-20T10:00:00+00:00}

Answers are appended (a customer may answer every quarter); the latest one
in a period counts.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.errors import UsageError

CUSTOMERS_DIR = "customers"


@datatype(frozen=True)
class NpsAnswer:
    """One customer's answer to the NPS question (0-10), when they gave it."""

    email: str
    score: int
    at: int                       # POSIX seconds
    comment: str | None = None


def customer_slug(email: str) -> str:
    """The customer file's name for an address: dana@example.com -> dana-example-com."""
    slug = re.sub(r"[^a-z0-9]+", "-", email.strip().lower()).strip("-")
    if not slug or "@" not in email:
        raise UsageError(f"{email!r} is not an email address", hint="rate a customer by email, e.g. dana@example.com")
    return slug


def parse_score(text: str | int) -> int:
    """A score 0-10 as typed."""
    value = str(text).strip()
    if not value.isdigit() or not 0 <= int(value) <= 10:
        raise UsageError(f"{text!r} is not an NPS score", hint="give a whole number from 0 to 10")
    return int(value)


def answer_entry(score: int, at: datetime, comment: str | None) -> dict[str, Any]:
    """One `nps:` entry of a customer file: score, comment (when given, on one line), at."""
    entry: dict[str, Any] = {"score": score}
    if comment and comment.strip():
        entry["comment"] = " ".join(comment.split())
    entry["at"] = at
    return entry


def answers_of(data: Any) -> list[NpsAnswer]:
    """The NPS answers a customer file holds (see `problems_of` for the entries left out)."""
    return read_answers(data)[0]


def problems_of(data: Any) -> list[str]:
    """Why entries of a customer file are not NPS answers (reports warn about each one)."""
    return read_answers(data)[1]


def read_answers(data: Any) -> tuple[list[NpsAnswer], list[str]]:
    if not isinstance(data, dict):
        return [], ["no `email:` at the top of the file"]
    entries = data.get("nps") or []
    # A customer file (docs/customers.md) may list several addresses, or none (a phone or GitHub
    # customer): the first address, else the first handle, names whose answers these are.
    who = next((v for k in ("email", "phone", "github", "social")
                for v in (data.get(k) if isinstance(data.get(k), list) else [data.get(k)]) if isinstance(v, str)), None)
    if who is None:
        return [], (["no `email:` at the top of the file"] if entries else [])
    data = {**data, "email": who}
    out, problems = [], []
    if not isinstance(entries, list):
        return [], ["`nps:` must be a list of {score, comment, at}"]
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            problems.append(f"nps entry {n} is not a mapping {{score, comment, at}}")
            continue
        score, at = entry.get("score"), entry.get("at")
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
            problems.append(f"nps entry {n}: score {score!r} is not a whole number from 0 to 10")
            continue
        if not isinstance(at, datetime) or at.tzinfo is None:
            problems.append(f"nps entry {n}: `at` must be a timestamp with an offset")
            continue
        comment = entry.get("comment")
        out.append(NpsAnswer(data["email"].lower(), score, int(at.timestamp()),
                             comment if isinstance(comment, str) else None))
    return out, problems


def latest_scores(answers: list[NpsAnswer], since: int | None, until: int) -> list[int]:
    """The latest score of each customer who answered in [since, until]."""
    latest: dict[str, NpsAnswer] = {}
    for a in answers:
        if (since is None or a.at >= since) and a.at <= until:
            if a.email not in latest or a.at >= latest[a.email].at:
                latest[a.email] = a
    return [a.score for a in latest.values()]
