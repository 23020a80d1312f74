"""Personal data: e-mail addresses and phone numbers as a reader of the help site would see them."""

from __future__ import annotations

from supportctl.kb.privacy import pii_findings
from tests.kb.kbkit import article, config, problems, write


def test_personal_data_in_public_articles(tmp_path):
    body = ("Write to jane.doe@gmail.com or call +49 30 1234 5678.\n"
            "US office: (415) 555-2671. Our address: help@acme.io, demo@example.com, bot@shop.example.\n"
            "Invoice LGR-2026-10481 of 2026-11-20, version 4.12.1, test card 4242 4242 4242 4242.\n")
    write(tmp_path, {"kb/a/pii.md": article("PII", body=body),
                     "kb/a/internal.md": article("Internal", visibility="internal", body=body)})
    found = [(p.message, p.line) for p in problems(tmp_path) if p.code == "personal-data"]
    assert found == [("email address 'jane.doe@gmail.com' in a public article", 12),
                     ("phone number '+49 30 1234 5678' in a public article", 12),
                     ("phone number '(415) 555-2671' in a public article", 13)]
    cfg = config(pii_allow=["gmail.com", "+49 30 1234 5678", "(415) 555-2671"])
    assert [p for p in problems(tmp_path, cfg) if p.code == "personal-data"] == []


def test_pii_findings_ignores_dates_and_versions():
    assert pii_findings("Released 2026-11-20 as 10.2.3.4567, order 12345678.", []) == []


def test_addresses_written_as_entities_escapes_or_wide_characters():
    text = ("a jane&#64;gmail.com\nb jane&#x40;gmail.com\nc jane&commat;gmail.com\nd jane\\.doe\\@gmail\\.com\n"
            "e jane＠gmail．com\nf help&#64;example.com\n")
    assert [(n, kind) for n, kind, _ in pii_findings(text, [])] == [(0, "email address"), (1, "email address"),
                                                                   (2, "email address"), (3, "email address"),
                                                                   (4, "email address")]
    assert pii_findings("call &#43;49 30 1234 5678", [])[0][1:] == ("phone number", "+49 30 1234 5678")


def test_international_addresses():
    text = "jürgen@müller.de\ninfo@xn--mller-kva.de\nivan@пример.рф\nyuki@例え.jp\n"
    assert [value for _, _, value in pii_findings(text, [])] == ["jürgen@müller.de", "info@xn--mller-kva.de",
                                                                 "ivan@пример.рф", "yuki@例え.jp"]
    # One allow-list entry covers both spellings of an international domain.
    assert [value for _, _, value in pii_findings(text, ["müller.de"])] == ["ivan@пример.рф", "yuki@例え.jp"]
    assert [value for _, _, value in pii_findings(text, ["xn--mller-kva.de", "IVAN@пример.рф"])] == ["yuki@例え.jp"]


def test_entity_addresses_block_a_public_article(tmp_path):
    write(tmp_path, {"kb/a/x.md": article("X", body="Mail jane&#64;gmail.com.\n")})
    (p,) = problems(tmp_path)
    assert (p.code, p.line, p.blocking) == ("personal-data", 12, True)
    assert problems(tmp_path, config(pii_allow=["gmail.com"])) == []
