"""The flat front-matter writer (base/yamlemit.py) against ruamel, the writer it stands in for."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from supportctl.base import yamlemit
from supportctl.base.yamlio import load_fast
from supportctl.tickets.frontmatter import load_meta, new_front_matter_meta, rt_front_matter

PATH = "tickets/ABC123.md"


def same(a, b) -> bool:
    """Equal, of the same types all the way down, and times with the same UTC offset."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    return a == b


def check(fields: dict) -> bool:
    """The flat writer writes what ruamel writes, and knows what the loader reads back; False if it declined."""
    fast = yamlemit.dump_flat(fields)
    if fast is None:
        return False
    text, meta = fast
    assert text == rt_front_matter(fields)
    assert same(meta, load_fast(text))
    return True


def outcome(make):
    """What `make()` returns, or the error it raises (as text: its type, message, path and line)."""
    try:
        return make()
    except Exception as exc:   # noqa: BLE001 - whatever the old path raises, the new one must too
        return f"{type(exc).__name__}: {exc}"


# Titles as people write them, and text built to hit every quoting rule.
_tricky = st.sampled_from([
    ": ", " #", "#", ":", "-", "- ", "? ", "?", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", '"', "%",
    "@", "`", "\\", "\t", "\n", "\r", "\x85", "\u2028", "\u2029", "\ufeff", "\xa0", "\u3000", "\x00", "\x1b",
    "\x7f", "\x9f", "\ud800", "\U0001f600", "\ue000", "\ufffd", "\ufffe", "---", "...", " ", "  ", "yes", "No",
    "on", "OFF", "true", "False", "null", "NULL", "~", "0", "07", "0o17", "0x1F", "1e3", "1.5", ".inf", ".nan",
    "12:30", ":?", "yes:?", "2026-11-20", "2026-11-20T09:15:00+01:00", "2026-11-20 09:15", "<<", "=", "Issue 12",
    "Can't log in", "é", "Zoë", "日本語", "github:bench/app#12", "a:b", "x#y", "y", "n", "Y", "N", "1E5", "1E+5", "2TZA3B", "7QH2KD", "0B1", "0X1F", "0O17", "1T2", "9Z",
])
_text = st.lists(_tricky | st.text(max_size=6), max_size=8).map("".join)
_word = st.from_regex(r"[a-z][a-z0-9_-]{0,11}", fullmatch=True)
_code = st.from_regex(r"[0-9][0-9A-Z]{0,5}", fullmatch=True)
_zone = st.sampled_from([timezone.utc, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)),
                         ZoneInfo("Europe/Dublin"), ZoneInfo("America/New_York"),
                         timezone(timedelta(hours=1, seconds=7))])
_time = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30), timezones=_zone)
_scalar = (_text | _word | _code | st.none() | st.booleans() | st.integers(-10**20, 10**20) | _time
           | st.datetimes() | st.floats(allow_nan=False))
_requester = st.dictionaries(st.sampled_from(["name", "email", "phone", "github", "social"]),
                             _text | _word | st.none(), max_size=3)


@st.composite
def ticket_fields(draw) -> dict:
    """A new ticket's fields as create_ticket builds them, some values drawn from anywhere."""
    at = draw(_time)
    fields = {"id": draw(_code | st.from_regex(r"[0-9A-Z]{6}", fullmatch=True)), "title": draw(_text | _word),
              "status": draw(_word), "priority": draw(_word), "type": draw(st.none() | _word),
              "channel": draw(_word), "requester": draw(_requester), "assignee": draw(st.none() | _word),
              "group": draw(st.none() | _word), "tags": draw(st.lists(_word | _text, max_size=4)),
              "created": at, "updated": draw(st.sampled_from([at, at + timedelta(hours=3)]))}
    for key in draw(st.lists(st.sampled_from(["customer", "organization", "source", "handle_time", "csat",
                                              "due", "related", "custom"]), max_size=4, unique=True)):
        fields[key] = draw(_scalar | st.lists(_scalar, max_size=3))
    return fields


@settings(max_examples=400, deadline=None)
@given(ticket_fields())
@example({"id": "ABC123", "title": "Issue 868: export fails at 4,000 rows", "status": "new", "priority": "normal",
          "type": None, "channel": "github", "requester": {"name": "user268", "github": "user268"},
          "assignee": None, "group": "tier-1", "tags": ["api"],
          "created": datetime(2026, 10, 1, 4, tzinfo=timezone.utc),
          "updated": datetime(2026, 10, 1, 23, 47, tzinfo=timezone.utc), "source": "github:bench/app#868"})
def test_flat_writer_matches_ruamel(fields):
    check(fields)
    # With the shape check every ticket gets: the same text and mapping, or the same error.
    got = outcome(lambda: new_front_matter_meta(fields, PATH))
    want = outcome(lambda: (rt_front_matter(fields), load_meta(rt_front_matter(fields), PATH)))
    assert got == want if isinstance(want, str) else same(list(got), list(want))


@settings(max_examples=400, deadline=None)
@given(_text)
@example("yes:?")   # libyaml refuses `[yes:?]`, which ruamel wrote plain
def test_any_title_is_written_as_ruamel_writes_it(title):
    check({"id": "ABC123", "title": title, "tags": [title], "requester": {"name": title}})


@pytest.mark.parametrize("title", [
    "Export fails", "Can't log in after the update", "Zoë's invoice is wrong", "Why does sync stop?",
    "Issue 12: export fails", "500 error on save", "\"Quoted\" title", "tabs\there", "trailing space ",
    "line\nbreak", "yes", "12:30", "- starts with a dash", "#hashtag", "日本語のタイトル", "emoji \U0001f600",
])
def test_realistic_titles_take_the_fast_path(title):
    """Titles people write are all handled without ruamel (none makes the writer unsure)."""
    assert check({"id": "ABC123", "title": title, "status": "new", "tags": ["bug"],
                  "requester": {"name": "Dana Smith", "email": "dana@example.com"},
                  "created": datetime(2026, 11, 20, 9, 15, tzinfo=timezone.utc)})


def test_escapes_are_ruamels():
    from ruamel.yaml.emitter import Emitter

    assert yamlemit.ESCAPES == Emitter.ESCAPE_REPLACEMENTS


def test_unsure_values_go_to_ruamel():
    """A float, a nested list, a naive time or an over-long line: the writer declines, ruamel writes it."""
    for fields in ({"x": 1.5}, {"x": [[1]]}, {"x": datetime(2026, 1, 1)}, {"x": "a" * 5000}, {"x": {"a": {}}},
                   {"x": "-dash"}):
        assert yamlemit.dump_flat(fields) is None
        text, meta = new_front_matter_meta({"id": "ABC123", **fields}, PATH)
        assert text == rt_front_matter({"id": "ABC123", **fields})
