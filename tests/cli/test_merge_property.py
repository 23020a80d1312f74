"""Property: concurrent edits of one ticket on two branches merge through real git the same either way.

From a common base, branches `a` and `b` each apply random commands
(replies, notes, customer messages, status, assignment, priority, tags) and
hand edits of one front-matter field, at times that often coincide across the
branches. Then `a` is merged into `b` and `b` into `a` with real `git merge`,
through the merge driver `init` registered, with supportctl not on PATH. No
record is lost or duplicated, and both directions give the same records and
the same front matter; a field hand-edited on both sides to different values
is a conflict in both directions (the driver keeps "ours" and git stops the
merge for a person to decide).

Each example is real git (two merges, each running the driver), so the
example count is a small fraction of the hypothesis profile's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportctl.tickets.format import parse_ticket
from tests.conftest import Cli, git

EXAMPLES = max(4, settings().max_examples // 25)   # dev 4, ci 8: each is two real merges
T0 = datetime.fromisoformat("2026-03-02T09:00:00+01:00")

AGENTS = ["alice", "bob", "carol"]
TAGS = ["billing", "export", "vip", "bug"]
WORDS = ["Thanks", "Any news?", "Fixed now.", "Still broken", "### message not a header", "<<<<<<< HEAD",
         "Café — ünïcödé", "a\n\nb"]
# Fields people edit by hand (no command records them here): their values, written as YAML.
HAND = {"plan": ["free", "pro", "enterprise"], "seats": ["5", "50", "500"],
        "title": ['"Export fails"', '"CSV: export stops at 1,000 rows"', '"Login loop"']}

_text = st.sampled_from(WORDS)
edit = st.one_of(
    st.tuples(st.just("reply"), _text, st.sampled_from([None, "pending", "solved"])),
    st.tuples(st.just("note"), _text),
    st.tuples(st.just("message"), _text),
    st.tuples(st.just("status"), st.sampled_from(["open", "pending", "solved"])),
    st.tuples(st.just("assign"), st.sampled_from([*AGENTS, None]), st.sampled_from([None, "tier-1", "tier-2"])),
    st.tuples(st.just("priority"), st.sampled_from(["low", "normal", "high", "urgent"])),
    st.tuples(st.just("tag"), st.sampled_from(TAGS), st.booleans()),
    st.sampled_from(sorted(HAND)).flatmap(lambda key: st.tuples(st.sampled_from(["hand", "set"]), st.just(key),
                                                                   st.sampled_from(HAND[key]))),
)
# Minutes after the previous edit of the same branch: 0 and small steps make
# records of the two branches fall on the same instant often.
timed = st.tuples(st.integers(0, 2), edit, st.sampled_from(AGENTS))
plans = st.tuples(st.lists(timed, max_size=3), st.lists(timed, min_size=1, max_size=6),
                  st.lists(timed, min_size=1, max_size=6))


def apply(cli, root, tid, edits, start: datetime) -> datetime:
    """Run the edits (each command refused or done, as on a real desk); return the last time used."""
    at = start
    path = root / "tickets" / f"{tid}.md"
    for minutes, (kind, *args), agent in edits:
        at += timedelta(minutes=minutes)
        stamp = ["--at", at.isoformat(), "--no-commit"]
        who = ["--as", agent]
        if kind == "reply":
            cli("-C", root, "ticket", "reply", tid, "-m", args[0], *(["--status", args[1]] if args[1] else []),
                *who, *stamp, ok=None)
        elif kind == "note":
            cli("-C", root, "ticket", "note", tid, "-m", args[0], *who, *stamp, ok=None)
        elif kind == "message":
            cli("-C", root, "ticket", "message", tid, "-m", args[0], *stamp, ok=None)
        elif kind == "status":
            cli("-C", root, "ticket", "status", tid, args[0], *who, *stamp, ok=None)
        elif kind == "assign":
            target = [args[0]] if args[0] else ([] if args[1] else ["--unassign"])
            cli("-C", root, "ticket", "assign", tid, *target, *(["--group", args[1]] if args[1] else []), *who,
                *stamp, ok=None)
        elif kind == "priority":
            cli("-C", root, "ticket", "priority", tid, args[0], *who, *stamp, ok=None)
        elif kind == "set":   # the same fields through the command, which records an event
            cli("-C", root, "ticket", "set", tid, args[0], args[1].strip('"'), *who, *stamp, ok=None)
        elif kind == "tag":
            cli("-C", root, "ticket", "tag", tid, args[0], *(["--remove"] if args[1] else []), *who, *stamp,
                ok=None)
        else:  # a hand edit of one front-matter line, as in an editor
            text = path.read_text(encoding="utf-8")
            head, sep, rest = text[4:].partition("\n---\n")
            line = f"{args[0]}: {args[1]}"
            head, n = re.subn(rf"(?m)^{args[0]}:.*$", lambda _: line, head, count=1)
            path.write_text("---\n" + (head if n else head + "\n" + line) + sep + rest, encoding="utf-8")
    return at


def commit(root, message):
    git(root, "add", "-A")
    git(root, "commit", "-qm", message, "--allow-empty")


def merge(root, ours, theirs, tid):
    """Merge `theirs` into a new branch at `ours`; (exit code, output, file text after the merge)."""
    git(root, "checkout", "-q", "-b", f"{ours}-{theirs}", ours)
    proc = subprocess.run(["git", "merge", "--no-edit", theirs], cwd=root, capture_output=True, text=True)
    text = (root / "tickets" / f"{tid}.md").read_text(encoding="utf-8")
    if proc.returncode != 0:
        git(root, "merge", "--abort")
    return proc.returncode, proc.stdout + proc.stderr, text


def show(root, rev, tid):
    return parse_ticket(git(root, "show", f"{rev}:tickets/{tid}.md"), f"tickets/{tid}.md")


def records(ticket):
    return [(r.id, r.kind, r.at, r.author, r.role, r.body) for r in ticket.records]


MISSING = object()


def last_set(ticket, key, only=None):
    """The value the ticket's last event setting `key` recorded (among records `only`), else MISSING."""
    value = MISSING
    for record in ticket.records:
        if only is None or record.id in only:
            for change in record.changes():
                if change.field == key and change.op == "set":
                    value = change.new
    return value


def same(value, recorded):
    """A front-matter value against an event's text (`seats: 50` is recorded as `50`)."""
    if recorded is MISSING:
        return False
    return value == recorded or (value is not None and recorded is not None and str(value) == recorded)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(plan=plans)
def test_concurrent_edits_merge_the_same_either_way_without_losing_a_record(template_desk, tmp_path_factory,
                                                                             monkeypatch, plan):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")   # git finds the driver by its registered path alone
    monkeypatch.setenv("SUPPORTCTL_AGENT", "alice")
    root = tmp_path_factory.mktemp("merge") / "desk"
    shutil.copytree(template_desk, root, symlinks=True)
    cli = Cli()
    base_edits, edits_a, edits_b = plan
    tid = cli("-C", root, "ticket", "new", "--title", "Export fails", "--from", "Dana <dana@example.com>",
              "-m", "It fails.", "--at", T0.isoformat()).stdout.strip()
    start = apply(cli, root, tid, base_edits, T0 + timedelta(minutes=1))
    commit(root, "base")
    for branch, edits in (("a", edits_a), ("b", edits_b)):
        git(root, "checkout", "-q", "-b", branch, "main")
        apply(cli, root, tid, edits, start + timedelta(minutes=1))
        commit(root, branch)
    base, side_a, side_b = (show(root, rev, tid) for rev in ("main", "a", "b"))

    code_ab, out_ab, text_ab = merge(root, "a", "b", tid)
    code_ba, out_ba, text_ba = merge(root, "b", "a", tid)
    ab = parse_ticket(text_ab, f"tickets/{tid}.md")
    ba = parse_ticket(text_ba, f"tickets/{tid}.md")

    # No record lost or duplicated; the same records in the same order either way, each as its branch wrote it.
    union = {r[0]: r for r in records(side_a) + records(side_b)}
    assert [r[0] for r in records(ab)] == list(dict.fromkeys(r[0] for r in records(ab)))
    assert sorted(r[0] for r in records(ab)) == sorted(union)
    assert records(ab) == records(ba)
    assert all(union[r[0]] == r for r in records(ab))
    assert [r.at for r in ab.records] == sorted(r.at for r in ab.records)

    # A field both sides changed to different values, at least one by hand (no event of its own history says
    # so), is a true conflict: both merges stop, each keeping its own side's value for a person to decide;
    # everything else is merged the same way.
    def by_hand(side, key):
        return side.meta.get(key) != base.meta.get(key) and not same(side.meta.get(key), last_set(side, key))

    conflicts = sorted(k for k in HAND if side_a.meta.get(k) != base.meta.get(k) != side_b.meta.get(k)
                       and side_a.meta.get(k) != side_b.meta.get(k) and (by_hand(side_a, k) or by_hand(side_b, k)))
    assert (code_ab != 0, code_ba != 0) == (bool(conflicts), bool(conflicts)), (out_ab, out_ba)
    for key in conflicts:
        assert f"{key}: ours" in out_ab and f"{key}: ours" in out_ba
        assert ab.meta[key] == side_a.meta[key] and ba.meta[key] == side_b.meta[key]
    assert {k: v for k, v in ab.meta.items() if k not in conflicts} == \
           {k: v for k, v in ba.meta.items() if k not in conflicts}
    assert set(ab.meta) == set(ba.meta)

    # The merged front matter is what the merged history says for fields a command changed on a branch, and
    # the changed side's value for a field changed by hand on one side only.
    new_ids = {r.id for r in ab.records} - {r.id for r in base.records}
    for key in ("status", "priority", "assignee", "group", *HAND):
        if key in conflicts:
            continue
        recorded = last_set(ab, key, only=new_ids)
        if recorded is not MISSING and not (by_hand(side_a, key) or by_hand(side_b, key)):
            assert same(ab.meta.get(key), last_set(ab, key)), key
        elif key in HAND:
            changed = [s.meta.get(key) for s in (side_a, side_b) if s.meta.get(key) != base.meta.get(key)]
            assert ab.meta.get(key) == (changed[0] if changed else base.meta.get(key)), key
    tags = set(base.meta.get("tags") or [])
    added = (set(side_a.meta.get("tags") or []) | set(side_b.meta.get("tags") or [])) - tags
    removed = (tags - set(side_a.meta.get("tags") or [])) | (tags - set(side_b.meta.get("tags") or []))
    assert set(ab.meta.get("tags") or []) == (tags | added) - removed
    assert ab.meta["updated"] == max(side_a.meta["updated"], side_b.meta["updated"])

    # A merge that went through leaves a ticket `check` accepts.
    if not conflicts:
        git(root, "checkout", "-q", "a-b")
        result = cli("-C", root, "check", "--json", ok=None)
        assert json.loads(result.stdout) == [], result.stdout
