"""Benchmark the SLA engine: `sla check` over a large desk, beside the floor of loading the same tickets.

    python bench/bench_sla.py [--tickets 10000] [--keep DIR] [--runs 5]

Targets (issue 4): `sla check` over 10,000 tickets (3-10 messages and status
changes each) in <= 1.0 s with a warm index; the SLA computation adds at most
50 % to the time of loading the tickets. Prints figures, not a timed test.
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

from supportctl.tickets.model import Change, Record, new_record_id, new_ticket_id  # noqa: E402
from supportctl.base.timeutil import format_timestamp  # noqa: E402

EXE = str(Path(sys.executable).with_name("supportctl"))
NOW = "2026-11-20T12:00:00+01:00"
REPLAY = "2026-11-10T12:00:00+01:00"
CET = timezone(timedelta(hours=1))
# A desk as the spec describes it: a split-day office calendar with fixed and
# public holidays (the `holidays` package is part of what is measured), a 24/7
# calendar for urgent tickets, a premium-customer policy and escalation rules.
CONFIG = """\
desk: {name: Bench Desk, timezone: Europe/Berlin}
agents: [alice, bob, carol]
groups: {tier-1: {}, tier-2: {escalates_from: tier-1}}
customers:
  premium: ["@bigco.example", "ceo@acme.example"]
calendars:
  office:
    timezone: Europe/Berlin
    hours: {mon: ["08:00-13:00", "14:00-18:00"], tue: ["08:00-18:00"], wed: ["08:00-18:00"],
            thu: ["08:00-18:00"], fri: ["08:00-18:00"]}
    holidays: ["2026-12-24", "12-25", "12-26", "12-31"]
    holidays_from: {country: DE, subdiv: BE}
  always: {timezone: UTC, hours: all}
sla:
  policies:
    - name: urgent
      match: {priority: urgent}
      calendar: always
      first_response: 1h
      next_reply: 2h
      resolution: 8h
      warn_before: 25%
      escalate:
        - {"when": breached, group: tier-2}   # quoted: YAML 1.1 reads a bare on as true
    - name: premium
      match: {requester: "customers:premium"}
      calendar: office
      first_response: 2h
      next_reply: 4h
      resolution: 18h
      warn_before: 30m
    - name: standard
      calendar: office
      first_response: 4h
      next_reply: 8h
      resolution: 27h
      warn_before: 20%
      escalate:
        - {clock: first_response, "when": warning, tag: at-risk}
        - {"when": breached, priority: high}
"""
TITLES = ["CSV export stops at 1,000 rows", "Invoice PDF shows the wrong VAT rate", "Stripe payout missing",
          "Bank feed disconnected again", "Cannot reset my password", "SAML login loops back to the start",
          "Recurring invoice sent twice", "API returns 429 after a few calls", "Mobile app won't sync"]
BODY = ("Hi team,\n\nsince this morning the export stops after 1,000 rows. We have 4,312 invoices this quarter "
        "and our accountant needs all of them by Friday.\n\nThanks,\nDana")
REPLY = "Hi Dana,\n\nthanks for the details. I can reproduce it and have passed it to our engineers.\n\nBest,\nAlice"


def make_ticket(rng: random.Random, tid: str, now: datetime) -> str:
    """The text of one ticket: a customer message, then 2-9 more records (replies, notes, status changes)."""
    created = now - timedelta(minutes=rng.randint(10, 60 * 24 * 45))
    domain = rng.choice(["example.com"] * 9 + ["bigco.example"])
    requester = f"{{name: Dana Smith, email: dana{rng.randint(1, 3000)}@{domain}}}"
    records = [Record("message", new_record_id(), created, "Dana Smith <dana@example.com>", "customer", BODY)]
    status, at = "new", created
    for _ in range(rng.randint(2, 9)):
        at += timedelta(minutes=rng.randint(5, 900))
        if at > now:
            break
        roll = rng.random()
        if roll < 0.35:
            records.append(Record("message", new_record_id(), at, "alice", "agent", REPLY))
            if status == "new":
                records.append(Record("event", new_record_id(), at, "alice", "agent",
                                      Change("status", status, "open").render()))
                status = "open"
        elif roll < 0.55:
            records.append(Record("message", new_record_id(), at, "Dana Smith <dana@example.com>", "customer",
                                  "Any news?"))
            if status in ("pending", "solved"):
                records.append(Record("event", new_record_id(), at, "supportctl", "system",
                                      Change("status", status, "open").render() + "\nreason: customer reply"))
                status = "open"
        elif roll < 0.65:
            records.append(Record("note", new_record_id(), at, "bob", "agent", "Checked the logs; see ENG-1234."))
        else:
            new = {"new": "open", "open": rng.choice(["pending", "solved", "solved"]), "pending": "open",
                   "solved": "closed", "closed": "closed"}[status]
            if new != status:
                records.append(Record("event", new_record_id(), at, "alice", "agent",
                                      Change("status", status, new).render()))
                status = new
    tags = rng.sample(["billing", "export", "bug", "vip", "api"], k=rng.randint(0, 2))
    front = "\n".join([
        f"id: {tid}", f"title: {rng.choice(TITLES)}", f"status: {status}",
        f"priority: {rng.choice(['low', 'normal', 'normal', 'normal', 'high', 'urgent'])}",
        f"type: {rng.choice(['question', 'incident', 'problem'])}",
        f"channel: {rng.choice(['email', 'web', 'chat', 'phone'])}", f"requester: {requester}",
        f"assignee: {rng.choice(['null', 'alice', 'bob', 'carol'])}", f"group: {rng.choice(['tier-1', 'tier-2'])}",
        f"tags: [{', '.join(tags)}]", f"created: {format_timestamp(created)}", f"updated: {format_timestamp(at)}",
    ])
    return "---\n" + front + "\n---\n\n" + "\n".join(r.canonical() for r in records)


def build_desk(root: Path, n: int) -> None:
    rng = random.Random(4)
    (root / "tickets").mkdir(parents=True)
    (root / "supportctl.yml").write_text(CONFIG)
    now = datetime.fromisoformat(NOW)
    taken: set[str] = set()
    for _ in range(n):
        tid = new_ticket_id(taken)
        taken.add(tid)
        (root / "tickets" / f"{tid}.md").write_text(make_ticket(rng, tid, now))
    # Age the files past the index cache's "racily clean" window, as on a real desk.
    old = time.time() - 3600
    for path in (root / "tickets").iterdir():
        os.utime(path, (old, old))


def median_time(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def timed_cli(args: list[str], root: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(args, cwd=root, capture_output=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.decode()[-800:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="build the desk here (or reuse it) and keep it")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = (args.keep or Path(tempfile.mkdtemp(prefix="supportctl-bench-sla-"))).resolve()
    if not (root / "supportctl.yml").exists():
        t0 = time.perf_counter()
        build_desk(root, args.tickets)
        print(f"built a desk of {args.tickets} tickets in {time.perf_counter() - t0:.1f} s at {root}")

    from supportctl.sla.calendar import to_ts
    from supportctl.sla.engine import SlaEngine
    from supportctl.sla.results import CLOCKS
    from supportctl.desk.store import Desk
    from supportctl.tickets.store import TicketStore
    from supportctl.base.timeutil import parse_timestamp

    now_ts = to_ts(parse_timestamp(NOW))
    desk = Desk(root)
    config = desk.config
    TicketStore(desk).load_all()  # warm the index cache
    active = ("new", "open", "pending")
    category = config.lifecycle.category

    def load():
        """The floor: every ticket, as `ticket list` gets them."""
        return TicketStore(Desk(root)).load_all().tickets

    def load_index():
        return TicketStore(Desk(root)).load_index()[0]

    def load_and_check():
        """What `sla check` does after start-up: index, keep new/open/pending, evaluate the entries, pick risks."""
        entries = TicketStore(Desk(root)).load_index()[0]
        tickets = [e for e in entries if category(e.status) in active]
        engine = SlaEngine(config)   # a fresh engine: calendars are rebuilt every run
        results = [engine.evaluate(t, now_ts) for t in tickets]
        risks = [(r, c) for r in results for c in (r.clocks[n] for n in CLOCKS)
                 if c.live and c.state in ("breached", "warning")]
        return results, risks

    def load_and_status_all():
        """`sla status --all`: every ticket, closed ones included (index entries, as the command does)."""
        tickets = TicketStore(Desk(root)).load_index()[0]
        engine = SlaEngine(config)
        return [engine.evaluate(t, now_ts) for t in tickets]

    # Two clocks: CPU time (min of N) is steady on a shared machine; wall time (median) is what people see.
    figures = {}
    for name, fn in (("load", load), ("index", load_index), ("check", load_and_check),
                     ("all", load_and_status_all)):
        cpu, wall = [], []
        for _ in range(args.runs):
            c0, w0 = time.process_time(), time.perf_counter()
            out = fn()
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        figures[name] = (min(cpu), statistics.median(wall), out)
    tickets = figures["load"][2]
    results, risks = figures["check"][2]
    everything = figures["all"][2]
    records = sum(len(t.records) for t in tickets)
    states: dict[str, int] = {}
    for r in everything:
        for c in r.clocks.values():
            states[c.state] = states.get(c.state, 0) + 1

    def row(what: str, key: str, versus: str = "") -> None:
        cpu, wall, _ = figures[key]
        print(f"  {what:<46} {cpu * 1000:7.0f} ms {wall * 1000:7.0f} ms   {versus}")

    def extra(key: str, floor: str) -> str:
        return f"{(figures[key][0] - figures[floor][0]) / figures[floor][0] * 100:+.0f} % CPU"

    print(f"\n{len(tickets)} tickets, {records} records ({records / len(tickets):.1f} per ticket), "
          f"{len(results)} open; now = {NOW}; {args.runs} runs")
    print(f"  clock states over all tickets: {', '.join(f'{k} {v}' for k, v in sorted(states.items()))}")
    print(f"  at risk in `sla check`: {len(risks)} clocks\n")
    print(f"in-process, warm index{'':<26} CPU (min)  wall (median)")
    row("floor: TicketStore.load_all() (every ticket)", "load")
    row("floor: TicketStore.load_index() (no Ticket objects)", "index")
    row("`sla check`: index + open tickets + SLA", "check",
        f"SLA adds {extra('check', 'load')} over load_all (target <= +50 %)")
    row("`sla status --all`: load_all + SLA, all", "all", f"SLA adds {extra('all', 'load')}")
    per = (figures["all"][0] - figures["load"][0]) / len(tickets) * 1e6
    print(f"  {'SLA CPU per ticket, all three clocks':<46} {per:7.1f} µs")

    def wall_row(what: str, value: float, versus: str = "") -> None:
        print(f"  {what:<46} {'':>10} {value * 1000:7.0f} ms   {versus}")

    print("\nend to end (a new process each run, warm index)")
    wall_row("python -c pass", timed_cli([sys.executable, "-c", "pass"], root, args.runs), "(interpreter floor)")
    wall_row("supportctl --version", timed_cli([EXE, "--version"], root, args.runs), "(start-up floor)")
    wall_row("supportctl ticket list --json --all", timed_cli([EXE, "ticket", "list", "--json", "--all"], root,
                                                             args.runs), "(load floor through the CLI)")
    check = timed_cli([EXE, "sla", "check", "--now", NOW, "--fail-on", "never"], root, args.runs)
    wall_row("supportctl sla check", check, f"target <= 1000 ms: {'met' if check <= 1.0 else 'NOT met'}")
    wall_row("supportctl sla check --json", timed_cli([EXE, "sla", "check", "--json", "--now", NOW], root, args.runs))
    wall_row("supportctl queue", timed_cli([EXE, "queue", "--now", NOW], root, args.runs))
    # A replay ten days back: tickets changed since are rebuilt as they were then.
    wall_row("supportctl sla check --now (10 days back)",
             timed_cli([EXE, "sla", "check", "--now", REPLAY, "--fail-on", "never"], root, args.runs))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
