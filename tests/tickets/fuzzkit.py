"""The fuzz test's parts, shared with bench/fuzz_tickets.py: mutations as data, and the checks per file."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import strategies as st

from tests.tickets.mutations import ALL

NASTY_LINES = [
    "---", "", "### event abcd1234 · 2026-13-45T00:00:00+00:00 · x (agent)",
    "### message abcd1234 · 2026-11-20T09:00:00 · naive (customer)",
    "### note zzzz9999 · 9999-12-31T23:59:59+14:00 · late (agent)",
    "### event qqqq1111 · 2026-11-20T09:00:00+00:00 · x (system)", 'status: "\\ud800" -> open',
    "status: open -> [1, 2]", "status: null -> null", "escalation: ", "tags: *a", "tags: &a [x]", "title: [",
    "created: 9999-12-31T23:59:59+14:00", "created: 1969-12-31T23:59:59+00:00", "updated: 2026-02-29T00:00:00Z",
    "priority: {a: b}", "requester: [x]", "id: 12", "id: null", "status: yes", "? [a, b]", "  - - - - - - - - - -",
    "tags: [" + "[" * 50 + "]" * 50 + "]", "<<: {a: 1}", "!!python/object:os.system x", "title: !!binary aGk=",
    "\t", "\x00", "\u2028", "\\### message abcd1234 · 2026-11-20T09:00:00+00:00 · x (agent)",
]


@st.composite
def edits(draw):
    kind = draw(st.sampled_from(["named", "line", "insert", "delete", "bytes"]))
    if kind == "named":
        return ("named", draw(st.sampled_from(sorted(ALL))))
    if kind == "line":
        return ("line", draw(st.floats(0, 1)), draw(st.sampled_from(NASTY_LINES)))
    if kind == "insert":
        return ("insert", draw(st.floats(0, 1)), draw(st.text(max_size=20)))
    if kind == "delete":
        return ("delete", draw(st.floats(0, 1)), draw(st.integers(1, 200)))
    return ("bytes", draw(st.floats(0, 1)), draw(st.binary(min_size=1, max_size=4)))


def cases():
    """(ticket index, [edits]): which sample ticket, and what is done to it."""
    return st.tuples(st.integers(0, 10_000), st.lists(edits(), min_size=1, max_size=3))


def tickets_of_sample(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "tickets").glob("*.md"))


def apply(root: Path, case) -> tuple[str, bytes]:
    """The file name and its mutated bytes."""
    index, steps = case
    names = tickets_of_sample(root)
    name = names[index % len(names)]
    data = (root / "tickets" / name).read_bytes()
    for step in steps:
        where = int(step[1] * len(data)) if step[0] != "named" else 0
        if step[0] == "named":
            try:
                data = ALL[step[1]](data)
            except ValueError:  # a mutation that needs a front matter the file no longer has
                pass
        elif step[0] == "line":
            start = data.rfind(b"\n", 0, where) + 1
            end = data.find(b"\n", where)
            end = len(data) if end == -1 else end
            data = data[:start] + step[2].encode("utf-8") + data[end:]
        elif step[0] == "insert":
            data = data[:where] + step[2].encode("utf-8", "surrogatepass") + data[where:]
        elif step[0] == "delete":
            data = data[:where] + data[where + step[2]:]
        else:
            data = data[:where] + step[2] + data[where:]
    return name, data


def desk_copy(template: Path, factory) -> Path:
    root = factory.mktemp("fuzz") / "desk"
    shutil.copytree(template, root, symlinks=True)
    return root


@contextlib.contextmanager
def inside(root: Path):
    """Run commands in `root`, at a fixed time, as the sample desk's first agent."""
    old = os.getcwd()
    saved = {k: os.environ.get(k) for k in ("SUPPORTCTL_AGENT", "SUPPORTCTL_NOW", "SUPPORTCTL_ROOT")}
    os.chdir(root)
    os.environ["SUPPORTCTL_AGENT"] = "niamh"
    os.environ["SUPPORTCTL_NOW"] = "2026-11-23T16:00:00+00:00"
    os.environ.pop("SUPPORTCTL_ROOT", None)
    try:
        yield
    finally:
        os.chdir(old)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run(cli, *args):
    """A command's result; any exception but a clean exit fails the test (a traceback)."""
    result = cli(*args, ok=None)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"supportctl {' '.join(args)} raised {result.exception!r}")
    assert result.exit_code in (0, 1, 2), (args, result.exit_code)
    return result


def check_one_file(root: Path, case) -> str:
    """Every library-level promise for one mutated file; returns 'refused', 'flagged' or 'clean'."""
    import tempfile

    from supportctl.config.model import load_config
    from supportctl.errors import SupportctlError
    from supportctl.sla.engine import SlaEngine
    from supportctl.sla.escalation import fired_keys, pending_escalations
    from supportctl.tickets import actions
    from supportctl.tickets.checks import check_ticket
    from supportctl.tickets.format import parse_ticket
    from supportctl.tickets.index import IndexEntry, index_payload
    from supportctl.tickets.jsonable import json_value

    name, data = apply(root, case)
    rel = f"tickets/{name}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        payload = index_payload(path, rel)
        from supportctl.tickets.format import read_ticket

        try:
            ticket = read_ticket(path, rel)
        except SupportctlError as exc:
            # Refused: the index refuses it too, and says where and what to do.
            assert payload[0] == "error", (payload, exc)
            assert exc.path == rel and exc.hint, exc
            return "refused"
    assert payload[0] == "ok", payload
    entry = IndexEntry(rel, payload)
    assert entry.history() == ticket.history()
    json.dumps({k: json_value(v) for k, v in ticket.meta.items()}, ensure_ascii=False).encode("utf-8")
    config = load_config(root / "supportctl.yml")
    problems = check_ticket(ticket, config)
    engine = SlaEngine(config)
    now = int(datetime(2026, 11, 23, 16, tzinfo=timezone.utc).timestamp())
    for view in (entry, ticket):
        result = engine.evaluate(view, now)
        json.dumps(result.to_json())
        fired_keys(view)
        pending_escalations(engine, view, now, result)
    at = datetime(2026, 11, 23, 16, tzinfo=timezone.utc)
    actions.due_transition(ticket, config, at)
    if problems:
        return "flagged"
    # `check` passed: every command must be able to change and write it (after its last
    # record: no command writes before the ticket existed or under a later change, issue 11).
    at = max([at, *(r.at for r in ticket.records), *([ticket.created] if ticket.created is not None else [])])
    try:
        if not ticket.meta.get("merged_into"):   # a merged ticket refuses notes by design: they go to its target
            actions.internal_note(ticket, actor="niamh", at=at, text="fuzz")
        actions.tag(ticket, add=["fuzz"], remove=[], actor="niamh", at=at)
    except SupportctlError as exc:
        raise AssertionError(f"check passed but a write failed: {exc}") from exc
    again = parse_ticket(ticket.render(), rel)
    assert [r.id for r in again.records] == [r.id for r in ticket.records]
    return "clean"



