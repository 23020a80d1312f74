"""Bytes to text for mail, where declared charsets are often wrong, unknown or missing."""

from __future__ import annotations

import codecs

# Charset names seen in real mail that Python's codec registry does not know.
_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",
    "unicode-1-1-utf-8": "utf-8",
    "utf8": "utf-8",
    "x-unknown": "",
    "unknown": "",
    "unknown-8bit": "",
    "x-user-defined": "",
    "default": "",
    "charset": "",
    "ansi_x3.4-1968": "ascii",
    "x-mac-roman": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",  # senders label GBK/GB18030 text as gb2312; gb18030 is a superset
    "gbk": "gb18030",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
}

# Single-byte labels that mail clients put on what is really UTF-8 (old webmail defaults).
_LATIN_LABELS = {"ascii", "iso8859-1", "iso8859-15", "cp1252"}


# Charsets whose ASCII-only bytes are not ASCII text (ISO-2022-JP is 7-bit with escape sequences).
_NOT_ASCII_COMPATIBLE = ("iso2022", "utf-7", "hz", "utf-16", "utf-32")


def codec_name(charset: str | None) -> str | None:
    """Python's codec name for a MIME charset label, or None when unknown or empty."""
    if not charset:
        return None
    label = charset.strip().strip('"').strip("'").lower()
    label = _ALIASES.get(label, label)
    if not label:
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        # "x-" prefixed labels are often a known charset in disguise (x-sjis, x-euc-jp).
        if label.startswith("x-"):
            return codec_name(label[2:])
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode text bytes with the declared charset when it fits, else the likeliest one; never raises."""
    codec = codec_name(charset)
    if data.isascii() and (codec is None or not codec.startswith(_NOT_ASCII_COMPATIBLE)):
        return data.decode("ascii")
    if codec is None or codec in _LATIN_LABELS:
        # Missing/unknown labels and latin labels on valid UTF-8 are the usual real-mail mistakes:
        # valid UTF-8 is almost never an accident in a single-byte text.
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if codec is not None:
        try:
            return data.decode(codec)
        # LookupError: labels like "base64" or "rot13" name codecs that are not bytes-to-text.
        except (UnicodeError, LookupError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Statistical detectors (charset-normalizer, chardet) guess wildly on mail-sized texts (a short
    # latin-1 "Café" came out as CJK), so the last resort is the commonest real mislabel: Windows-1252.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # defines all 256 bytes: cannot fail
