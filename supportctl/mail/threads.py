"""What a message threads onto: the ticket tag in its subject, the ids it answers, a title for a new ticket."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from supportctl.mail.message import ParsedMessage

# Ticket ids: 6 characters of Crockford base32 (no I, L, O, U).
ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ID_CHARS = re.compile(f"[{ID_ALPHABET}]{{6}}")

# Reply and forward prefixes of common clients and languages, with counters ("Re[2]:", "Re(3):", "Re^2:")
# and full-width colons. Forward prefixes: Fwd/Fw (en), WG (de), TR (fr), RV (es), I (it), Doorst (nl),
# VB (sv), PD (pl), 转发/轉寄/転送 (zh/ja). "VS" is left out of forwards: Danish forward, Finnish reply.
_FORWARD_WORDS = r"fwd?|wg|tr|rv|i|doorst|vb|pd|enc|转发|轉寄|転送"
_REPLY_WORDS = r"re|aw|sv|vs|antw|antwort|odp|r|rif|res|ynt|回复|回覆|答复|返信"
_PREFIX = re.compile(
    rf"^\s*(?:\[?\s*)?(?P<word>{_FORWARD_WORDS}|{_REPLY_WORDS})\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*",
    re.IGNORECASE,
)
_FORWARD = re.compile(rf"^(?:{_FORWARD_WORDS})$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def find_ticket_id(subject: str, subject_tag: str) -> str | None:
    """The ticket id of the first `[<subject_tag> #ID]` in the subject, upper-cased; None when there is none."""
    if not subject or not subject_tag:
        return None
    pattern = re.compile(rf"\[\s*{re.escape(subject_tag.strip())}\s*#\s*([0-9a-z]{{6}})\s*\]", re.IGNORECASE)
    for match in pattern.finditer(subject):
        ticket_id = match.group(1).upper()
        if _ID_CHARS.fullmatch(ticket_id):
            return ticket_id
    return None


_KB_FEEDBACK = re.compile(r"\[\s*kb\s*:\s*([a-z0-9]+(?:-[a-z0-9]+)*)\s*\]", re.IGNORECASE)


def find_kb_feedback(subject: str) -> str | None:
    """The article slug of a help-site feedback mail ("Feedback: <title> [kb:<slug>]"); None otherwise."""
    match = _KB_FEEDBACK.search(subject or "")
    return match.group(1).lower() if match else None


def remove_ticket_tags(subject: str, subject_tag: str) -> str:
    """The subject without any `[<subject_tag> #...]` tag, whitespace collapsed."""
    if subject_tag:
        pattern = re.compile(rf"\[\s*{re.escape(subject_tag.strip())}\s*#[^\]]*\]", re.IGNORECASE)
        subject = pattern.sub(" ", subject)
    return _SPACE.sub(" ", subject).strip()


def strip_reply_prefixes(subject: str) -> str:
    """The subject without leading Re:/Fwd:/AW:/SV:/... prefixes (however many and in whatever case)."""
    subject = _SPACE.sub(" ", subject).strip()
    while True:
        match = _PREFIX.match(subject)
        if not match:
            return subject
        rest = subject[match.end():]
        if match.group(0).lstrip().startswith("["):
            # "[Fwd: ...]" (old Mozilla forwards): the closing bracket ends the subject.
            rest = rest[:-1] if rest.endswith("]") else rest
        subject = rest.strip()


def title_from_subject(subject: str, subject_tag: str = "") -> str:
    """A new ticket's title: the subject without desk tags and reply prefixes ('' when nothing is left)."""
    return strip_reply_prefixes(remove_ticket_tags(subject, subject_tag))


def is_forward(subject: str) -> bool:
    """Whether the subject's first prefix marks a forward (Fwd:, Fw:, WG:, TR:, ...)."""
    match = _PREFIX.match(_SPACE.sub(" ", subject or ""))
    return bool(match and _FORWARD.match(match.group("word")))


def candidate_ids(msg: ParsedMessage) -> list[str]:
    """Message ids this message answers, most likely first: In-Reply-To, then References newest first."""
    ids = [msg.in_reply_to] if msg.in_reply_to else []
    ids += reversed(msg.references)
    own = msg.message_id
    return [i for i in dict.fromkeys(ids) if i != own]
