"""CSAT ratings that come back by mail: the subject the rating links write, or a first line `Rating: good`.

The links in a solved reply (templating.rating_links) open a mail with the
subject `Rating: good [<subject_tag> #ID]`; clients add `Re:` and the like. A
customer who answers by hand may instead start the text with `Rating: bad`.
Whatever else the mail says becomes the rating's comment.
"""

from __future__ import annotations

import re

from supportctl.mail.threads import remove_ticket_tags, strip_reply_prefixes

_RATING = re.compile(r"^\s*rating\s*[:：]\s*(good|bad|[1-5])\s*$", re.IGNORECASE)
_FIRST_LINE = re.compile(r"^\s*rating\s*[:：]\s*(good|bad|[1-5])\s*[.!]?\s*$", re.IGNORECASE)


def rating_in(subject: str, text: str, subject_tag: str) -> tuple[str, str | None] | None:
    """(rating as typed, comment or None) when the mail is a CSAT rating, else None."""
    bare = strip_reply_prefixes(remove_ticket_tags(subject or "", subject_tag))
    match = _RATING.match(bare)
    lines = (text or "").strip().split("\n")
    if match is None:
        first = _FIRST_LINE.match(lines[0]) if lines else None
        if first is None:
            return None
        value, rest = first.group(1), lines[1:]
    else:
        value = match.group(1)
        rest = lines[1:] if lines and _FIRST_LINE.match(lines[0]) else lines
    comment = " ".join(" ".join(rest).split())
    return value.lower(), comment or None
