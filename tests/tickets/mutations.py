"""Ways a ticket file goes bad in the wild (issue 9): each takes the file's bytes and returns new bytes.

Shared by the finding-by-finding tests, the hypothesis fuzz test and bench/fuzz_tickets.py.
"""

from __future__ import annotations

import re


def _fm(data: bytes, add: bytes) -> bytes:
    """Append lines at the end of the front matter."""
    end = data.index(b"\n---\n", 3)
    return data[:end + 1] + add + data[end + 1:]


def _set(data: bytes, key: bytes, value: bytes) -> bytes:
    """Replace one front-matter key's value (or add the key)."""
    end = data.index(b"\n---\n", 3)
    head, rest = data[:end + 1], data[end + 1:]
    new, n = re.subn(rb"(?m)^" + re.escape(key) + rb":.*$", key + b": " + value, head, count=1)
    return new + rest if n else _fm(data, key + b": " + value + b"\n")


def empty_front_matter(data: bytes) -> bytes:
    end = data.index(b"\n---\n", 3)
    return b"---\n---\n" + data[end + 5:]


def impossible_date(data: bytes) -> bytes:
    return _set(data, b"created", b"2026-02-30T09:00:00+01:00")


def deep_nesting(data: bytes) -> bytes:
    return _fm(data, b"deep: " + b"[" * 2000 + b"]" * 2000 + b"\n")


def alias_bomb(data: bytes) -> bytes:
    lines = [b"a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(b"a%d: &a%d [" % (i, i) + b", ".join([b"*a%d" % (i - 1)] * 9) + b"]")
    return _fm(data, b"\n".join(lines) + b"\n")


def year_one(data: bytes) -> bytes:
    return _set(data, b"created", b"0001-01-01")


def year_one_timestamp(data: bytes) -> bytes:
    return _set(data, b"created", b"0001-01-01T00:00:00+01:00")


def record_year_one(data: bytes) -> bytes:
    return re.sub(rb"(?m)^(### \w+ \w+ \xc2\xb7 )\d{4}", rb"\g<1>0001", data, count=1)


def duplicate_key(data: bytes) -> bytes:
    return _fm(data, b"title: A second title\n")


def tags_number(data: bytes) -> bytes:
    return _set(data, b"tags", b"5")


def requester_text(data: bytes) -> bytes:
    return _set(data, b"requester", b"Dana")


def status_list(data: bytes) -> bytes:
    return _set(data, b"status", b"[open, closed]")


def lone_surrogate(data: bytes) -> bytes:
    event = (b"\n### event zzzz0001 \xc2\xb7 2026-11-23T10:00:00+00:00 \xc2\xb7 alice (agent)\n\n"
             b'priority: "\\udc80" -> high\n')
    return data.rstrip(b"\n") + b"\n" + event


def latin1(data: bytes) -> bytes:
    return _set(data, b"title", b"Caf\xe9 cr\xe8me")


def no_final_newline(data: bytes) -> bytes:
    return data.rstrip(b"\n")


def crlf(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


def truncated(data: bytes) -> bytes:
    return data[:len(data) // 2]


def header_junk(data: bytes) -> bytes:
    return re.sub(rb"(?m)^(### \w+ \w+ \xc2\xb7 )\S+", rb"\g<1>yesterday", data, count=1)


def binary(data: bytes) -> bytes:
    return b"\x00\xff\xfe" + data


def null_meta(data: bytes) -> bytes:
    return _set(data, b"id", b"~")


def scalar_front_matter(data: bytes) -> bytes:
    end = data.index(b"\n---\n", 3)
    return b"---\njust text\n---\n" + data[end + 5:]


def conflict_markers(data: bytes) -> bytes:
    """A line merge without the merge driver: both branches' last lines between git's markers."""
    lines = data.rstrip(b"\n").split(b"\n")
    return b"\n".join(lines[:-1] + [b"<<<<<<< HEAD", lines[-1], b"=======", b"Their line", b">>>>>>> b"]) + b"\n"


# The findings of issue 9, item 1, by name.
FINDINGS = {f.__name__: f for f in (empty_front_matter, impossible_date, deep_nesting, alias_bomb, year_one,
                                    year_one_timestamp, record_year_one, duplicate_key, tags_number, lone_surrogate,
                                    latin1)}
# More of the same kind, for the fuzz test.
OTHERS = {f.__name__: f for f in (requester_text, status_list, no_final_newline, crlf, truncated, header_junk,
                                  binary, null_meta, scalar_front_matter, conflict_markers)}
ALL = {**FINDINGS, **OTHERS}
