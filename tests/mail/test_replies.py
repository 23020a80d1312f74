"""Quoted history and signatures removed: GitHub's email_reply_parser fixtures plus other clients and languages."""

from __future__ import annotations

import time

import pytest
import yaml

from supportctl.mail.replies import reply_text
from tests.mail.conftest import DATA

FIXTURES = DATA / "email_reply_parser"
CASES = yaml.safe_load((FIXTURES / "expected.yaml").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_upstream_fixture(case):
    text = (FIXTURES / case["file"]).read_text(encoding="utf-8")
    started = time.perf_counter()
    visible = reply_text(text)
    elapsed = time.perf_counter() - started
    if "visible_text_exact" in case:
        assert visible == case["visible_text_exact"]
    if "visible_text_startswith" in case:
        assert visible.startswith(case["visible_text_startswith"])
    for kept in case.get("visible_text_must_contain", []):
        assert kept in visible
    for dropped in case.get("visible_text_must_not_contain", []):
        assert dropped not in visible
    if "max_seconds" in case:
        assert elapsed < case["max_seconds"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Danke, klappt jetzt.\n\nAm 12.03.2024 um 10:00 schrieb Ledgerly Support <support@ledgerly.example>:\n"
     "> Bitte neu starten.", "Danke, klappt jetzt."),
    ("Merci !\n\nLe mar. 12 mars 2024 à 10:00, Support <support@x.example> a écrit :\n> Bonjour", "Merci !"),
    ("Gracias\n\nEl mar, 12 mar 2024 a las 10:00, Support (<support@x.example>) escribió:\n> Hola", "Gracias"),
    ("Bedankt\n\nOp di 12 mrt. 2024 om 10:00 schreef Support <support@x.example>:\n> Hallo", "Bedankt"),
    # Gmail wraps a long attribution over two lines.
    ("Thanks!\n\nOn Tue, Mar 12, 2024 at 10:00 AM Ledgerly Support <\nsupport@ledgerly.example> wrote:\n\n> Restart.",
     "Thanks!"),
    ("It works now.\n\nJohn\n\n-----Original Message-----\nFrom: Support <s@x>\nSent: Tuesday\nTo: John\n"
     "Subject: RE: x\n\nPlease restart.", "It works now.\n\nJohn"),
    ("Geht jetzt.\r\n\r\n________________________________\r\nVon: Support <s@x>\r\nGesendet: Dienstag, 12. März"
     " 2024 10:00\r\nAn: John\r\nBetreff: AW: x\r\n\r\nBitte neu starten.", "Geht jetzt."),
    ("Ça marche.\n\nDe : Support <s@x>\nEnvoyé : mardi 12 mars 2024 10:00\nÀ : Jean\nObjet : RE: x\n\nAncien",
     "Ça marche."),
    ("Fixed.\n\n-- \nJohn Doe\nACME", "Fixed."),
    ("Ok\n\nVon meinem iPhone gesendet", "Ok"),
    ("Yes.\n\n> On 12 Mar 2024, at 10:00, Support <s@x> wrote:\n>\n> old\n", "Yes."),
    ("Sure.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n", "Sure."),
])
def test_clients_and_languages(text, expected):
    assert reply_text(text) == expected


@pytest.mark.parametrize("text", [
    # Upstream takes any line starting with "To:" for a header and hides all below it.
    "To: whom it may concern\nOur invoice 42 is wrong.\nPlease fix.",
    # Prose that looks a little like an attribution but has no quote after it and no date.
    "On Monday the client wrote:\nplease fix it\n\nThanks",
    "Subject: invoice 42\n\nThe amount is wrong.",
])
def test_new_text_is_not_mistaken_for_history(text):
    assert reply_text(text) == text


def test_forward_keeps_the_forwarded_mail():
    text = ("See below.\n\n---------- Forwarded message ---------\nFrom: Bank <b@x>\nDate: Tue\n"
            "Subject: Payment failed\nTo: me\n\nYour payment failed.")
    assert reply_text(text) == text
    outlook = "FYI\n\n-----Original Message-----\nFrom: Bank <b@x>\nSent: Tue\n\nYour payment failed."
    assert reply_text(outlook, forwarded=True) == outlook


def test_a_reply_with_nothing_new_keeps_the_whole_text():
    # Nothing is lost: an empty reply (only a quote) shows what was sent rather than nothing.
    text = "On Tue, Mar 12, 2024 at 10:00 AM X <x@y> wrote:\n> hi"
    assert reply_text(text) == text


def test_inline_answers_between_quotes_are_kept():
    text = ("On Tue, Mar 12, 2024 at 10:00 AM Support <s@x> wrote:\n> Which plan?\n\nPro.\n\n> How many seats?\n\n"
            "Five.\n\n> Regards\n")
    visible = reply_text(text)
    assert "Pro." in visible and "Five." in visible and "Regards" not in visible


def test_marker_characters_in_the_input_are_harmless():
    assert reply_text("a \ue0000 b\n\nOn \ue0000 wrote:\n> x") == "a 0 b"
