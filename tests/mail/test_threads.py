"""Threading: the ticket tag in a subject, the ids a message answers, titles without reply prefixes."""

from __future__ import annotations

import pytest

from supportctl.mail.message import parse_message
from supportctl.mail.threads import candidate_ids, find_ticket_id, is_forward, strip_reply_prefixes, title_from_subject


@pytest.mark.parametrize(("subject", "ticket"), [
    ("[Ledgerly #7QH2KD] Invoice", "7QH2KD"),
    ("Re: AW: [ledgerly #7qh2kd] Invoice", "7QH2KD"),
    ("RE: Fw: Invoice [Ledgerly #7QH2KD]", "7QH2KD"),
    ("SV: Re[2]: Invoice [ Ledgerly # 7QH2KD ]", "7QH2KD"),
    ("Fwd: [Other #7QH2KD] [Ledgerly #0A1B2C] x", "0A1B2C"),
    ("[Ledgerly #7QH2KI] I is not Crockford", None),
    ("[Ledgerly #7QH2K] too short", None),
    ("[Ledgerly #7QH2KDX] too long", None),
    ("Ledgerly #7QH2KD without brackets", None),
    ("", None),
])
def test_find_ticket_id(subject, ticket):
    assert find_ticket_id(subject, "Ledgerly") == ticket


def test_find_ticket_id_escapes_the_tag():
    assert find_ticket_id("[A.B (x) #7QH2KD]", "A.B (x)") == "7QH2KD"
    assert find_ticket_id("[AxB #7QH2KD]", "A.B") is None


@pytest.mark.parametrize(("subject", "title"), [
    ("Re: AW: WG: Invoice wrong", "Invoice wrong"),
    ("RE:Fw:  Invoice   wrong", "Invoice wrong"),
    ("Re[2]: Re(3): Re^4: Invoice", "Invoice"),
    ("SV: VS: Antw: Odp: Invoice", "Invoice"),
    ("回复：发票", "发票"),
    ("[Fwd: Invoice]", "Invoice"),
    ("Invoice: wrong total", "Invoice: wrong total"),
    ("Regarding: the invoice", "Regarding: the invoice"),
    ("Re:", ""),
])
def test_strip_reply_prefixes(subject, title):
    assert strip_reply_prefixes(subject) == title


def test_title_from_subject_drops_the_desk_tag():
    assert title_from_subject("Re: [Ledgerly #7QH2KD] Fwd: Invoice", "Ledgerly") == "Invoice"


@pytest.mark.parametrize(("subject", "forward"), [
    ("Fwd: x", True), ("FW: x", True), ("WG: x", True), ("TR: x", True), ("Re: Fwd: x", False), ("x", False),
])
def test_is_forward(subject, forward):
    assert is_forward(subject) is forward


def test_candidate_ids_newest_first_without_own_id():
    msg = parse_message(b"Message-ID: <me@x>\nIn-Reply-To: <c@x>\nReferences: <a@x> <b@x> <c@x> <me@x>\n\nhi\n")
    assert candidate_ids(msg) == ["<c@x>", "<b@x>", "<a@x>"]
