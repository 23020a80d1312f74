"""One ticket file parsed into what the index keeps: plain tuples, fast to marshal.

Apart from tickets/index.py, so that a command reading a saved index
imports no parser (the record scanner, the YAML front matter). A change to
what this returns needs index.py's CACHE_VERSION bumped: saved indexes key
on the file, not on this code.
"""

from __future__ import annotations

import json
import marshal
from datetime import datetime
from pathlib import Path

from supportctl.errors import SupportctlError
from supportctl.tickets.fastmeta import load_meta_lines
from supportctl.tickets.format import (bad_timestamp, check_event_body, decode_file, merged_source, parse_at, record_body,
                                       refuse_conflict, scan_records)
from supportctl.tickets.frontmatter import split_front_matter
from supportctl.tickets.jsonable import plain


def payload_of(path: Path, rel: str) -> tuple:
    """Parse one file into what the index stores (plain tuples, fast to marshal), or an error tuple."""
    try:
        with open(path, "rb") as fh:
            text = decode_file(fh.read(), rel)
        refuse_conflict(text, rel)
        fm_text, rest = split_front_matter(text, rel)
        meta = load_meta_lines(fm_text, rel)   # load_meta's dict or error, repeated lines parsed once
        records = []
        first_line = fm_text.count("\n") + 3
        for kind, rid, at, author, role, start, header_end, end, line in scan_records(rest, first_line, rel):
            try:
                ts = parse_at(at)[1]
            except ValueError:
                raise bad_timestamp(rid, at, rel, line) from None
            if kind == "event":  # message text stays out of the index
                body = record_body(rest, header_end, end)
                check_event_body(body, rid, rel, line)
            else:
                body = merged_source(rest[start:header_end]) or ""
            records.append((kind, rid, at, author, role, body, ts))
        json_meta, dt_keys = {}, []
        for key, value in meta.items():
            json_meta[key], is_dt = plain(value)
            if is_dt:
                dt_keys.append(key)
        # The fields are also kept as JSON text, encoded once here: a listing of
        # 10,000 tickets then splices text instead of encoding 150,000 values.
        meta_json = json.dumps(json_meta, ensure_ascii=False, default=str)
    except SupportctlError as exc:
        return ("error", exc.message, exc.hint, exc.line)
    except OSError as exc:
        return ("error", f"the file cannot be read ({exc.strerror})", "check its permissions", None)
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
        # A shape the parser did not foresee: one bad file must not stop the desk.
        return ("error", f"the file cannot be parsed ({type(exc).__name__}: {exc})",
                "run `supportctl check` and fix what it reports", None)
    messages = sum(1 for r in records if r[0] != "event")
    created = _epoch(meta.get("created"))
    # The last instant the file tells of: a replay (`--now` before it) must
    # rebuild the ticket as it was; at or after it the entry is used as is.
    latest = max((r[6] for r in records), default=None)
    if created:
        latest = int(created) if latest is None else max(latest, int(created))
    # What a JSON listing adds after the fields and the category, made once here
    # rather than on every listing (a third of listing 100,000 tickets).
    tail = f', "path": {json.dumps(rel)}, "messages": {messages}}}'
    return ("ok", meta_json, str(json_meta.get("status", "")), tuple(dt_keys), created, _epoch(meta.get("updated")),
            messages, latest, tail, marshal.dumps(tuple(records)))


def _epoch(value) -> float:
    return value.timestamp() if isinstance(value, datetime) and value.tzinfo is not None else 0.0
