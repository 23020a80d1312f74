"""Automated mail (RFC 3834 and the usual vendor headers): recorded, but never acknowledged or reopening."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from supportctl.mail.headers import domain_of

if TYPE_CHECKING:
    from supportctl.mail.message import ParsedMessage

_ROBOT_SENDERS = {"mailer-daemon", "postmaster"}


def automated_reason(msg: ParsedMessage, desk_address: str) -> str | None:
    """Why the message is automated (first rule that fires), or None for mail a person wrote."""
    auto_submitted = msg.header("Auto-Submitted")
    # The keyword may carry parameters ("; owner-email=...") and comments ("no (manual)").
    keyword = re.match(r"\s*([A-Za-z0-9-]*)", auto_submitted or "").group(1).lower()
    if auto_submitted is not None and keyword != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = (msg.header("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        value = msg.header(name)
        if value is not None:
            return f"{name}: {value}"
    for name in ("List-Id", "List-Unsubscribe"):
        if msg.header(name) is not None:
            return f"{name} (mailing list)"
    desk = desk_address.strip().lower()
    if desk and any(desk in value.lower() for value in msg.header_all("X-Loop")):
        return "X-Loop names the desk (mail loop)"
    sender = msg.from_addr.email.lower() if msg.from_addr else ""
    if sender.partition("@")[0] in _ROBOT_SENDERS:
        return f"From {msg.from_addr.email}"
    desk_domain = domain_of(desk)
    if desk_domain and msg.message_id and domain_of(msg.message_id) == desk_domain:
        return "Message-ID from the desk's own domain"
    # Not in the spec's list, but RFC 3834/5321: only delivery reports and auto-responses use the
    # null reverse path; a Maildir copy still carries it as "Return-Path: <>".
    if any(value.strip() == "<>" for value in msg.header_all("Return-Path")):
        return "Return-Path: <> (null sender)"
    if msg.content_type == "multipart/report":
        return "multipart/report (delivery or read report)"
    return None

