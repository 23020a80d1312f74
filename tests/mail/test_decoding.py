"""Charsets, header words, addresses, ids, dates, HTML and file names as real mail has them."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from supportctl.mail.charsets import decode_bytes
from supportctl.mail.filenames import safe_filename, unique_names
from supportctl.mail.headers import Address, decode_words, parse_addresses, parse_date, parse_msgids
from supportctl.mail.htmltext import html_to_text


@pytest.mark.parametrize(("data", "charset", "expected"), [
    ("Grüße".encode("iso-8859-1"), "iso-8859-1", "Grüße"),
    ("Grüße".encode("utf-8"), "iso-8859-1", "Grüße"),  # labelled latin-1, really UTF-8
    ("Grüße".encode("iso-8859-1"), "utf-8", "Grüße"),  # labelled UTF-8, really latin-1
    ("Grüße".encode("iso-8859-1"), "x-no-such-charset", "Grüße"),
    ("Grüße".encode("iso-8859-1"), "base64", "Grüße"),  # a codec, but not a text one
    ("Grüße".encode("utf-8"), None, "Grüße"),
    ("請求書".encode("iso-2022-jp"), "ISO-2022-JP", "請求書"),  # 7-bit, yet not ASCII
    ("Привет".encode("koi8-r"), "koi8-r", "Привет"),
    ("€".encode("cp1252"), "windows-1252", "€"),
    ("hi".encode("utf-16-le"), "utf-16-le", "hi"),  # ASCII-only bytes that are not ASCII text
    (b"plain", "utf-16", "plain"),  # odd length: cannot be UTF-16, so the label is wrong
])
def test_decode_bytes(data, charset, expected):
    assert decode_bytes(data, charset) == expected


def test_decode_bytes_never_raises_on_any_byte():
    assert isinstance(decode_bytes(bytes(range(256)), "utf-8"), str)
    assert isinstance(decode_bytes(bytes(range(256)), "shift_jis"), str)


@pytest.mark.parametrize(("raw", "expected"), [
    ("=?iso-8859-1?Q?J=FCrgen_M=FCller?=", "Jürgen Müller"),
    ("=?UTF-8?B?0J3QtSDQvNC+0LPRgyDQstC+0LnRgtC4?=", "Не могу войти"),
    ("Re: =?utf-8?q?Caf=C3=A9?=\r\n =?utf-8?q?_ok?=", "Re: Café ok"),  # folded, adjacent words joined
    ("=?x-unknown?q?caf=E9?= bar", "café bar"),
    ("=?utf-8*en?q?hello?=", "hello"),  # RFC 2231 language suffix
    ("Plain   subject\twith\r\n  folding", "Plain subject with folding"),
    ("Caf\udcc3\udca9 raw UTF-8", "Café raw UTF-8"),  # RFC 6532 8-bit header as the parser hands it over
])
def test_decode_words(raw, expected):
    assert decode_words(raw) == expected


def test_addresses_decode_names_after_splitting():
    found = parse_addresses(['"=?utf-8?q?M=C3=BCller,_Hans?=" <hans@x.example>, bob@y.example',
                             "undisclosed-recipients:;"])
    assert found == (Address("Müller, Hans", "hans@x.example"), Address("", "bob@y.example"))
    assert str(found[0]) == "Müller, Hans <hans@x.example>"


@pytest.mark.parametrize(("raw", "expected"), [
    ("<a@b> <c@d>\r\n <a@b>", ("<a@b>", "<c@d>")),
    ("  no-brackets@host  ", ("<no-brackets@host>",)),
    ("<a@b> (comment) garbage", ("<a@b>",)),
    ("", ()),
    (None, ()),
])
def test_parse_msgids(raw, expected):
    assert parse_msgids(raw) == expected


def test_parse_date():
    assert parse_date("Tue, 5 Mar 2024 11:42:07 +0100").utcoffset() == timedelta(hours=1)
    assert parse_date("Tue, 5 Mar 2024 11:42:07 -0000").tzinfo == timezone.utc
    assert parse_date("5 Mar 2024 11:42:07").tzinfo == timezone.utc
    assert parse_date("not a date") is None
    assert parse_date("Tue, 99 Foo 99999 99:99:99 +9999") is None
    assert parse_date(None) is None


def test_html_to_text_drops_scripts_and_marks_quotes():
    html = ("<html><head><style>p{color:red}</style><script>alert(1)</script><title>T</title></head><body>"
            "<p>Hello &amp; welcome,</p><p>See <a href='https://x.example/a'>https://x.example/a</a> or "
            "<a href='https://x.example/help'>help</a>.</p><ul><li>one</li><li>two</li></ul>"
            "<blockquote type='cite'>old<blockquote>older</blockquote>after</blockquote><p>end</p></body></html>")
    text = html_to_text(html)
    assert "alert" not in text and "color" not in text and "T\n" not in text
    assert "Hello & welcome," in text
    assert "See https://x.example/a or [help](https://x.example/help)." in text
    assert "* one" in text
    assert "> old\n> > older\n> after" in text
    assert text.endswith("end")


@pytest.mark.parametrize("html", ["", "   ", "<!-- only a comment -->", "<", "<?xml version='1.0' encoding='utf-8'?>",
                                  "\x00\x01<b>x", "<table><tr><td>" * 50])
def test_html_to_text_survives_garbage(html):
    assert isinstance(html_to_text(html), str)


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\report.pdf", "report.pdf"),
    (".bashrc", "bashrc"),
    ("..", "attachment.png"),
    ("con.txt", "_con.txt"),
    ("a\x00b\nc.png", "abc.png"),
    ("", "attachment.png"),
    (None, "attachment.png"),
    ('inv<o>ice:"2024"|?*.pdf', "invoice2024.pdf"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name, "image/png") == expected


def test_safe_filename_keeps_long_names_within_file_system_limits():
    name = safe_filename("ü" * 300 + ".pdf", "application/pdf")
    assert name.endswith(".pdf") and len(name.encode("utf-8")) <= 200


def test_unique_names():
    assert unique_names(["a.png", "A.png", "a.png", "b", "b"]) == ["a.png", "A-2.png", "a-3.png", "b", "b-2"]
