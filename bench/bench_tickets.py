"""Benchmark the ticket store: start-up, listing (cold and warm) and writes on a large desk.

    python bench/bench_tickets.py [--tickets 10000] [--keep DIR]

Prints each figure beside its floor or target (issue 3). Not a timed test.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from supportctl.tickets.frontmatter import new_front_matter  # noqa: E402
from supportctl.tickets.model import Change, Record, Ticket, new_record_id, new_ticket_id  # noqa: E402

EXE = str(Path(sys.executable).with_name("supportctl"))
SUBJECTS = ["CSV export stops at 1,000 rows", "Invoice PDF shows the wrong VAT rate", "Stripe payout missing",
            "Bank feed disconnected again", "Cannot reset my password", "SAML login loops back to the start",
            "Recurring invoice sent twice", "Exchange rate on invoice is a day old", "Add a bookkeeper role",
            "API returns 429 after a few calls", "QuickBooks import skipped customers", "Mobile app won't sync"]
BODIES = ["Hi team,\n\nsince this morning the export stops after 1,000 rows. We have 4,312 invoices this "
          "quarter and our accountant needs all of them by Friday.\n\nThanks,\nDana",
          "Hello, invoice INV-2026-0412 shows 19% VAT but the customer is in Ireland (23%). "
          "Can you check the tax settings? Browser: Firefox 132.",
          "We expected a payout of EUR 2,310.50 on Monday and nothing arrived. Stripe says it was sent."]
REPLIES = ["Hi Dana,\n\nthanks for the details. I can reproduce it and have passed it to our engineers. "
           "I'll update you by tomorrow.\n\nBest,\nTomás",
           "Thanks for your patience. Could you send us a screenshot of the settings page?",
           "This is fixed now: the export streams all rows. Please try again and let us know."]
CONFIG = """\
desk: {name: Bench Desk, timezone: Europe/Dublin}
agents: [alice, bob, carol]
groups: {tier-1: {}, tier-2: {escalates_from: tier-1}}
calendars:
  office:
    timezone: Europe/Dublin
    hours: {mon: ["09:00-17:30"], tue: ["09:00-17:30"], wed: ["09:00-17:30"], thu: ["09:00-17:30"],
            fri: ["09:00-17:30"]}
  always: {timezone: UTC, hours: all}
sla:
  policies:
    - {name: urgent, match: {priority: urgent}, calendar: always, first_response: 1h, next_reply: 2h,
       resolution: 8h}
    - {name: standard, calendar: office, first_response: 4h, next_reply: 8h, resolution: 27h}
"""


def make_ticket(rng: random.Random, tid: str, start: datetime) -> Ticket:
    """A realistic ticket: 3-10 records, a reply, status changes, sometimes a note and a pause."""
    created = start + timedelta(minutes=rng.randint(0, 60 * 24 * 60))
    meta = {"id": tid, "title": rng.choice(SUBJECTS), "status": "new",
            "priority": rng.choice(["low", "normal", "normal", "high", "urgent"]),
            "type": rng.choice(["question", "incident", "problem"]),
            "channel": rng.choice(["email", "web", "chat", "phone", "github"]),
            "requester": {"name": "Dana Smith", "email": f"dana{rng.randint(1, 3000)}@example.com"},
            "assignee": rng.choice([None, "alice", "bob", "carol"]), "group": rng.choice(["tier-1", "tier-2"]),
            "tags": rng.sample(["billing", "export", "bug", "vip", "api"], k=rng.randint(0, 2)),
            "created": created, "updated": created}
    t = Ticket(path=f"tickets/{tid}.md", meta={}, fm_text="")
    at = created
    status = "new"
    t.add_record(Record("message", new_record_id(), at, "Dana Smith <dana@example.com>", "customer",
                        rng.choice(BODIES)))
    for _ in range(rng.randint(2, 9)):
        at += timedelta(minutes=rng.randint(5, 600))
        kind = rng.random()
        if kind < 0.4:
            t.add_record(Record("message", new_record_id(), at, "alice", "agent", rng.choice(REPLIES)))
            if status == "new":
                t.add_record(Record("event", new_record_id(), at, "alice", "agent",
                                    Change("status", status, "open").render()))
                status = "open"
        elif kind < 0.6:
            t.add_record(Record("message", new_record_id(), at, "Dana Smith <dana@example.com>", "customer",
                                rng.choice(BODIES)))
        elif kind < 0.75:
            t.add_record(Record("note", new_record_id(), at, "bob", "agent", "Checked the logs; see ENG-1234."))
        else:
            new = {"new": "open", "open": "pending", "pending": "open", "solved": "open"}.get(status, "open")
            if rng.random() < 0.3:
                new = "solved"
            t.add_record(Record("event", new_record_id(), at, "alice", "agent", Change("status", status, new).render()))
            status = new
    meta["status"], meta["updated"] = status, at
    t.fm_text = new_front_matter(meta)
    return t


def build_desk(root: Path, n: int) -> None:
    rng = random.Random(2026)
    (root / "tickets").mkdir(parents=True)
    (root / "supportctl.yml").write_text(CONFIG)
    start = datetime(2026, 9, 1, 9, tzinfo=timezone(timedelta(hours=1)))
    taken: set[str] = set()
    # Rendering through ruamel is slow; render a pool of tickets and vary ids.
    for i in range(n):
        tid = new_ticket_id(taken)
        taken.add(tid)
        t = make_ticket(rng, tid, start)
        (root / "tickets" / f"{tid}.md").write_text(t.render())
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "b@x"}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / ".gitignore").write_text(".supportctl/\n")
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "bench desk"], cwd=root, check=True, env=env)


def timed(args: list[str], cwd: Path, runs: int = 9, env: dict | None = None, setup=None) -> float:
    """Median wall time of a command, in seconds."""
    times = []
    for _ in range(runs):
        if setup:
            setup()
        t0 = time.perf_counter()
        proc = subprocess.run(args, cwd=cwd, capture_output=True, env={**os.environ, **(env or {})})
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.decode()[-500:]}")
    return statistics.median(times)


def floor_parse(root: Path) -> float:
    """Read every ticket file and parse its front matter with PyYAML's CSafeLoader: nothing else."""
    import yaml

    t0 = time.perf_counter()
    for path in (root / "tickets").iterdir():
        text = path.read_text(encoding="utf-8")
        end = text.find("\n---\n", 3)
        yaml.load(text[4:end + 1], Loader=yaml.CSafeLoader)
    return time.perf_counter() - t0


def floor_python(root: Path) -> float:
    return timed([sys.executable, "-c", "pass"], root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="build the desk here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="supportctl-bench-"))
    if not (root / "supportctl.yml").exists():
        t0 = time.perf_counter()
        build_desk(root, args.tickets)
        print(f"built a desk of {args.tickets} tickets in {time.perf_counter() - t0:.1f} s at {root}")
    env = {"SUPPORTCTL_AGENT": "alice", "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"}
    # An installed package has its bytecode compiled at install time; an
    # editable checkout under PYTHONDONTWRITEBYTECODE (set on these machines)
    # would otherwise recompile every module on every run and measure that.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "supportctl")], check=True)
    cache = root / ".supportctl" / "cache"

    def drop_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    def row(what: str, value: float, versus: str) -> None:
        print(f"  {what:<44} {value * 1000:8.0f} ms   {versus}")

    print(f"\nstart-up (median of 9)        python -c pass: {floor_python(root) * 1000:.0f} ms")
    row("supportctl --version", timed([EXE, "--version"], root), "target <= 120 ms")
    row("supportctl --help", timed([EXE, "--help"], root), "target <= 120 ms")

    # Let the files age past the cache's racy window, as on a real desk.
    old = time.time() - 3600
    for path in (root / "tickets").iterdir():
        os.utime(path, (old, old))
    floors = [floor_parse(root) for _ in range(3)]
    floor = statistics.median(floors)
    print(f"\nticket list --json over {args.tickets} tickets")
    row("floor: read + CSafeLoader front matter", floor, "(in-process, no start-up)")
    cold = timed([EXE, "ticket", "list", "--json", "--all"], root, runs=3, env=env, setup=drop_cache)
    row("cold (no cache)", cold, f"{cold / floor:.2f}x floor; target <= 1.5x = {1.5 * floor * 1000:.0f} ms")
    timed([EXE, "ticket", "list", "--json", "--all"], root, runs=1, env=env)
    warm = timed([EXE, "ticket", "list", "--json", "--all"], root, env=env)
    row("warm (cache valid)", warm, "target <= 400 ms")
    one = next((root / "tickets").iterdir())
    one.write_text(one.read_text().replace("priority: low", "priority: high"))
    after_edit = timed([EXE, "ticket", "list", "--json", "--all"], root, runs=1, env=env)
    row("after a hand edit of one file", after_edit, "re-parses that file only")

    print(f"\nwrites on a {args.tickets}-ticket desk, including the git commit")
    tid = one.stem
    new = timed([EXE, "ticket", "new", "--title", "Bench", "--from", "b@example.com", "-m", "hi"], root, env=env)
    row("ticket new", new, "target <= 500 ms")
    reply = timed([EXE, "ticket", "reply", tid, "-m", "Thanks, fixed now."], root, env=env)
    row("ticket reply", reply, "target <= 500 ms")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
