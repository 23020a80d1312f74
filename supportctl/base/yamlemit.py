"""Flat YAML mappings written byte for byte as `yamlio.rt_dump` writes them, without ruamel (new front matter).

ruamel's emitter costs about 2 ms a document (it builds a YAML object, looks
for plug-ins, walks an event stream); an import creating a thousand tickets
spent most of its time there. A new ticket's front matter is flat: names to
text, numbers, times, nulls, and one level of `[a, b]` / `{k: v}`. This writes
that shape directly, deciding each scalar's style as ruamel and `yamlio.quoted`
do; anything it is not sure of (a float, a nested list, a very long line, a
string ruamel would single-quote) makes it return None, and the caller uses
ruamel. tests/base/test_yamlemit.py compares the two on generated values.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from supportctl.base.timeutil import format_timestamp

# Text written plain (unquoted) in block and flow context alike, which the fast
# loader also reads back unchanged: no flow indicator, tab, control, line break,
# BOM or surrogate anywhere; `: `, ` #`, `:?`, a final `:` and the YAML 1.1/1.2
# keywords are checked apart, and the first character in `plain_text`.
_PLAIN = re.compile(r"[^\x00-\x1f\x7f-\x9f,\[\]{}\ufeff\u2028\u2029\ud800-\udfff\ufffe\uffff]+")
# A letter no number, date or time can hold (not a-f, o, t, x, z): text that starts
# with a digit and has one (`500 error`, `2FA fails`) is never resolved as either.
_WORDY = re.compile(r"[g-np-su-wyG-NP-SU-WY]")
# Digits and capitals with a capital (a ticket id, 2TZA3B): no number or date in either YAML
# version but digits-E-digits (1E5, a float to YAML 1.2).
_CODE = re.compile(r"[0-9][0-9A-Z]*[A-Z][0-9A-Z]*")
_EXPONENT = re.compile(r"[0-9]+E[0-9]+")
_KEYWORDS = frozenset("true True TRUE false False FALSE yes Yes YES no No NO on On ON off Off OFF "
                      "null Null NULL".split())
# Text `yamlio.quoted` always double-quotes (no plain scalar can hold it), decided without a YAML parse.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
# What ruamel escapes inside double quotes (allow_unicode): these, and anything not printable.
_ESCAPED = re.compile("[\"\\\\\x85\u2028\u2029\ufeff]|[^\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ESCAPES = {"\0": "0", "\x07": "a", "\x08": "b", "\x09": "t", "\x0a": "n", "\x0b": "v", "\x0c": "f",
           "\x0d": "r", "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L",
           "\u2029": "P"}
_SURROGATE = re.compile("[\ud800-\udfff]")
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
# ruamel folds lines longer than its width (4096); lines near that go to ruamel.
_MAX_LINE = 4000


class _Unsure(Exception):
    """A value this writer does not know how ruamel writes: the caller falls back to ruamel."""


def plain_text(text: str) -> bool:
    """True if ruamel writes `text` unquoted and the fast loader reads it back as the same text."""
    if (_PLAIN.fullmatch(text) is None or text[-1].isspace() or text[-1] == ":" or ": " in text or " #" in text
            or ":?" in text):   # libyaml refuses `x:?` in flow context
        return False
    first = text[0]
    if first.isascii():
        # An ASCII letter cannot start an indicator, a number or a date; only the keywords remain.
        if first.isalpha():
            return text not in _KEYWORDS
        return first.isdigit() and (_WORDY.search(text) is not None
                                    or (_CODE.fullmatch(text) is not None and _EXPONENT.fullmatch(text) is None))
    return first > "\xa0" and not first.isspace()


def _escape(m: re.Match) -> str:
    ch = m.group()
    if ch in ESCAPES:
        return "\\" + ESCAPES[ch]
    code = ord(ch)
    return f"\\x{code:02X}" if code <= 0xFF else f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def double_quoted(text: str) -> str:
    return '"' + _ESCAPED.sub(_escape, text) + '"'


def _text(text: str) -> str:
    if plain_text(text):
        return text
    if _SURROGATE.search(text):   # not text the loader reads back: the old path says what is wrong
        raise _Unsure
    if not text or text != text.strip() or _CONTROL.search(text) or ": " in text or " #" in text:
        return double_quoted(text)
    from supportctl.base.yamlio import quoted

    if type(quoted(text)) is str:   # plain to the loader, but not a shape this writer knows ruamel keeps plain
        raise _Unsure
    return double_quoted(text)


def _scalar(value: Any) -> tuple[str, Any]:
    """(YAML text, the value the fast loader reads back) of one scalar."""
    kind = type(value)
    if kind is str:
        return _text(value), value
    if value is None:
        return "null", None
    if kind is bool:
        return ("true" if value else "false"), value
    if kind is int and -10**18 < value < 10**18:
        return str(value), value
    if kind is datetime and value.tzinfo is not None:
        text = format_timestamp(value)
        if _STAMP.fullmatch(text):
            return text, datetime.fromisoformat(text)
    raise _Unsure


def _value(value: Any) -> tuple[str, Any]:
    kind = type(value)
    if kind is list or kind is tuple:
        items = [_scalar(v) for v in value]
        return "[" + ", ".join(t for t, _ in items) + "]", [v for _, v in items]
    if kind is dict:
        pairs = [(_key(k), _scalar(v)) for k, v in value.items()]
        return "{" + ", ".join(f"{k}: {t}" for k, (t, _) in pairs) + "}", {k: v for k, (_, v) in pairs}
    return _scalar(value)


def _key(key: Any) -> str:
    if type(key) is not str or not plain_text(key) or len(key) > 100:
        raise _Unsure
    return key


def dump_flat(fields: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(the text `rt_dump` writes for these fields, the mapping the fast loader reads back), or None if unsure.

    Values as `tickets.frontmatter.to_yaml_value` takes them: text (quoted as
    `yamlio.quoted` decides), None, bools, ints, aware datetimes (whole
    seconds), and lists or flat dicts of those (written in flow style).
    """
    lines, data = [], {}
    try:
        for key, value in fields.items():
            text, data[_key(key)] = _value(value)
            line = f"{key}: {text}\n"
            if len(line) > _MAX_LINE:
                return None
            lines.append(line)
    except _Unsure:
        return None
    return "".join(lines), data
