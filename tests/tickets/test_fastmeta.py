"""Front matter read line by line with repeated lines remembered gives exactly what load_meta gives."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportctl.errors import TicketFormatError
from supportctl.tickets import fastmeta
from supportctl.tickets.frontmatter import load_meta, split_front_matter
from tests.tickets.mutations import ALL

REPO = Path(__file__).resolve().parent.parent.parent

# Lines that parse alone, lines that only parse with a neighbour, and lines the
# full parser must see (indentation, comments, anchors, odd breaks, tabs).
LINES = [
    "id: ABC123", "id: 7E5442", "id: 0123", "title: Export fails", "title: 'it''s quoted'", 'title: "esc \\u00e9"',
    "title: a: b", "title: x # comment", "title:", "title: yes", "title: 12:30", "title: ~", "title: null",
    "status: open", "status: [open]", "status: {a: b}", "priority: normal", "priority: 5", "priority: 5.0",
    "tags: [billing, api]", "tags: [yes, no]", "tags: [a,", "  b]", "tags:", "  - a", "- b", "tags: []",
    "requester: {name: Dana, email: dana@example.com}", "requester: {name: Dana, tags: [a]}",
    "created: 2026-03-02T09:00:00+01:00", "created: 2026-03-02T09:00:00", "created: 2026-03-02",
    "created: 2026-02-30T09:00:00+01:00", "created: 0001-01-01T00:00:00Z", "updated: 2026-03-02 09:00:00 +01:00",
    'title: "open', 'quote"', "x: 'a", "b'", "anchor: &a 1", "alias: *a", "merge: {<<: *a}", "true: 1",
    "null: 2", "yes: 3", "on: 4", "k: !!str 5", "k: !!binary aGk=", "k: v", "k: w", "# comment", "",
    "  indented: 1", "k:\tv", "k: \u2028v", "k: \x85", "k: |", "k: >", "  folded", "? complex", "a b: c",
    "deep: [[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]", "big: " + "[x] " * 3, "seats: 12", "seats: many",
    "plan: pro", "k: @bad", "k: `bad", "k: %bad", "---", "...", "k: 'a' b", "k: \"\\udc00\"",
    # plain scalars the loader's resolver and constructor build without the scanner
    "title: CSV export stops at 1,000 rows (again)", "title: Dana's invoice", "title: a=b+c/d@e", "title: x:y",
    "title: ends with a colon:", "title: has a: colon", "title: has #hash", "title: x #", "title: a  b",
    "k: 1_000", "k: 0x1F", "k: 0o17", "k: +12", "k: -3", "k: 1:2:3", "k: 190:20:30", "k: 1e3", "k: 1.5e+3",
    "k: 6.8523015e+5", "k: .inf", "k: .NaN", "k: 7E5442", "k: 0b101", "k: 1.", "k: 0.", "k: 00", "k: 0",
    "k: True", "k: FALSE", "k: Off", "k: y", "k: n", "k: NULL", "k: Null", "k: =", "k: a=",
    "created: 2026-10-02T05:09:00+01:00", "created: 2026-10-02T05:09:00-05:30", "created: 2026-10-02T05:09:00Z",
    "created: 2026-10-02T05:09:00.123456+00:00", "created: 2026-10-02t05:09:00+01:00",
    "created: 2026-10-02 05:09:00", "created: 2026-10-02T24:00:00+01:00", "created: 2026-10-02T05:09:60+01:00",
    "created: 2026-10-02T05:09:00+25:00", "created: 2026-13-02T05:09:00+01:00", "created: 0000-01-01",
    "created: 2026-1-2", "created: 2026-10-02T05:09+01:00", "created: 9999-12-31T23:59:59-23:59",
]


def same(a, b) -> bool:
    """Equal and of the same types all the way down (1 == True and date == datetime are not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(k1, k2) and same(a[k1], b[k2]) for k1, k2 in zip(a, b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and a != a:
        return b != b
    if isinstance(a, (datetime, date)):
        return a == b and repr(a) == repr(b)
    return a == b


def outcome(load, fm_text: str):
    try:
        return "ok", load(fm_text, "tickets/X.md")
    except TicketFormatError as exc:
        return "error", (exc.message, exc.hint, exc.line, exc.path)


def assert_same(fm_text: str) -> None:
    expected = outcome(load_meta, fm_text)
    for _ in range(2):   # once parsing, once from memory
        got = outcome(fastmeta.load_meta_lines, fm_text)
        assert got[0] == expected[0] and (same(got[1], expected[1]) if got[0] == "ok" else got == expected), \
            (fm_text, got, expected)


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch):
    monkeypatch.setattr(fastmeta, "_MEMO", {})


def sample_front_matters() -> list[str]:
    out = []
    for path in sorted((REPO / "tickets").glob("*.md")):
        data = path.read_bytes()
        for mutate in [lambda d: d, *ALL.values()]:
            try:
                text = mutate(data).decode("utf-8")
                out.append(split_front_matter(text.replace("\r\n", "\n"), "x")[0])
            except Exception:
                continue
    return out


def test_every_sample_ticket_and_each_way_it_goes_bad_reads_the_same():
    texts = sample_front_matters()
    assert len(texts) > 500
    for text in texts:
        assert_same(text)


@given(st.lists(st.sampled_from(LINES), min_size=0, max_size=12), st.booleans())
def test_any_mix_of_plain_and_tricky_lines_reads_the_same(lines, newline):
    assert_same("\n".join(lines) + ("\n" if newline else ""))


@given(st.lists(st.sampled_from(LINES[:20]), min_size=1, max_size=6), st.lists(st.sampled_from(LINES), max_size=6))
def test_lines_remembered_from_one_ticket_read_the_same_in_another(first, second):
    assert_same("\n".join(first) + "\n")
    assert_same("\n".join(second + first) + "\n")


def test_a_remembered_list_is_never_shared_between_tickets():
    one = fastmeta.load_meta_lines("id: A\ntags: [x]\nrequester: {name: D, email: d@x.example}\n", "a")
    one["tags"].append("changed")
    one["requester"]["name"] = "changed"
    two = fastmeta.load_meta_lines("id: B\ntags: [x]\nrequester: {name: D, email: d@x.example}\n", "b")
    assert two["tags"] == ["x"] and two["requester"]["name"] == "D"
