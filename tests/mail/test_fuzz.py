"""Garbage in, a result or a MailParseError out: arbitrary bytes and mutated real messages, quickly."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportctl.mail.bounces import detect_bounce
from supportctl.mail.classify import automated_reason
from supportctl.mail.errors import MailParseError
from supportctl.mail.message import ParsedMessage, parse_message
from supportctl.mail.threads import candidate_ids, find_ticket_id, title_from_subject
from tests.mail.conftest import DESK, MESSAGES

SAMPLES = [p.read_bytes() for p in sorted(MESSAGES.glob("*.eml"))]
# Bytes that matter to MIME parsing, so mutations hit boundaries, encodings and headers, not just text.
TOKENS = [b"\r\n", b"\n", b"--", b"=?", b"?=", b"?B?", b"?Q?", b"=", b";", b":", b"\"", b"<", b">", b"\x00", b"\xff",
          b"boundary=", b"Content-Type: multipart/mixed; boundary=x\n", b"Content-Transfer-Encoding: base64\n",
          b"charset=", b"filename*0*=", b"message/rfc822", b"text/html", b"<blockquote>", b"On x wrote:\n> "]

FAST = settings(max_examples=120, deadline=2000, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _everything(raw: bytes) -> None:
    """Parse, then run every domain function on the result: none may raise anything but MailParseError."""
    started = time.perf_counter()
    try:
        msg = parse_message(raw)
    except MailParseError:
        return
    assert isinstance(msg, ParsedMessage)
    assert isinstance(msg.text, str) and isinstance(msg.subject, str)
    automated_reason(msg, DESK)
    detect_bounce(msg)
    candidate_ids(msg)
    find_ticket_id(msg.subject, "Ledgerly")
    title_from_subject(msg.subject, "Ledgerly")
    assert time.perf_counter() - started < 2  # no input may make the parser crawl


@FAST
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(raw):
    _everything(raw)


@FAST
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 40),
                                                    st.sampled_from(TOKENS) | st.binary(max_size=8)), max_size=8))
def test_mutated_real_messages(sample, edits):
    raw = bytearray(sample)
    for position, cut, insert in edits:
        at = position % (len(raw) + 1)
        raw[at:at + cut] = insert
    _everything(bytes(raw))


@FAST
@given(st.sampled_from(SAMPLES), st.integers(0, 10**6))
def test_truncated_real_messages(sample, length):
    _everything(sample[: length % (len(sample) + 1)])


LINES = st.sampled_from(["> quoted", "On Tue, 5 Mar 2024, X <x@y> wrote:", "-- ", "From: a", "Sent: b", "To: c",
                         "-----Original Message-----", "Am 5.3.2024 schrieb X:", "", "text", "Sent from my iPhone",
                         "---------- Forwarded message ---------", "<blockquote>", "</blockquote>", "<p>", "\ue000"])


@FAST
@given(st.lists(LINES | st.text(max_size=40), max_size=40))
def test_reply_and_html_text_on_any_text(lines):
    from supportctl.mail.htmltext import html_to_text
    from supportctl.mail.replies import reply_text

    text = "\n".join(lines)
    assert isinstance(reply_text(text), str)
    assert isinstance(html_to_text(text), str)
