"""Benchmark `automate run` when nothing is due, beside `sla check` on the same desk.

    python bench/bench_automation.py [--tickets 1000 10000] [--runs 5]

Target (issue 13): `automate run` over 10,000 tickets with 10 rules when
nothing is due takes at most 1.2x `sla check` on the same desk in the same
run. The desk is bench_sla.py's (3-10 records per ticket, a split-day office
calendar with public holidays); the rules are a realistic set: bump, bump,
solve in pending (business time), a next-reply warning from the SLA engine,
a check-in after solving, onboarding days 1 and 7, a time-based assignment
of tickets left unassigned, and two routing rules (event rules, which a run
skips). A first run applies whatever is due; the figures are of the runs
after it, when nothing is. Prints figures, not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_sla import CONFIG, NOW, build_desk  # noqa: E402

# This checkout's code (not whatever `supportctl` is installed), in a new process each time.
EXE = [sys.executable, "-m", "supportctl"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

RULES = """
automations:
  - {name: refund-to-tier-2, when: created, if: {text: [refund]}, do: {group: tier-2}}
  - {name: urgent-tag, when: created, if: {priority: urgent}, do: {tags: {add: [urgent]}}}
  - name: bump
    when: {status: pending, after: 27h, time: business}
    do: {reply: replies/bump}
  - name: bump-again
    when: {status: pending, after: 54h, time: business}
    do: {reply: replies/bump}
  - name: solve
    when: {status: pending, after: 63h, time: business}
    do: {reply: replies/bump, status: solved}
  - name: next-reply-warning
    when: {sla: next_reply, before: 1h}
    do: {note: notes/warn}
  - name: check-in
    when: {status: solved, after: 2d}
    if: {tags: [vip]}
    do: {reply: replies/bump}
  - name: onboarding-1
    when: {since: created, after: 1d}
    if: {tags: [onboarding]}
    do: {reply: replies/bump}
  - name: onboarding-7
    when: {since: created, after: 7d}
    if: {tags: [onboarding]}
    do: {reply: replies/bump}
  - name: assign-leftovers
    when: {status: new, after: 4h, time: business}
    if: {assignee: none}
    do: {assign: {least_loaded: tier-1}}
"""
AGENTS = "agents:\n  alice: {group: tier-1}\n  bob: {group: tier-2}\n  carol: {group: tier-1}\n"


def make(root: Path, n: int) -> None:
    build_desk(root, n)
    config = CONFIG.replace("agents: [alice, bob, carol]\n", AGENTS) + RULES
    (root / "supportctl.yml").write_text(config)
    (root / "templates" / "replies").mkdir(parents=True)
    (root / "templates" / "notes").mkdir(parents=True)
    (root / "templates" / "replies" / "bump.md.j2").write_text("Hi {{ requester.first_name }}, any news?\n")
    (root / "templates" / "notes" / "warn.md.j2").write_text("Next reply due soon on {{ ticket.id }}.\n")


def timed_cli(args: list[str], root: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(args, cwd=root, capture_output=True, env=ENV)
        times.append(time.perf_counter() - t0)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.decode()[-800:]}")
    return statistics.median(times)


def in_process(root: Path, runs: int) -> tuple[float, float, int]:
    """(sla check, automate run) CPU seconds (min of runs) after start-up, and what the run found due."""
    from supportctl.base.timeutil import parse_timestamp
    from supportctl.desk.store import Desk
    from supportctl.services import automation, sla
    from supportctl.services.session import Session

    at = parse_timestamp(NOW)

    def check():
        return sla.check(Session(Desk(root), at=at))

    def run():
        return automation.run(Session(Desk(root), at=at), dry_run=True)

    figures = []
    found = 0
    for fn in (check, run):
        cpu = []
        for _ in range(runs):
            c0 = time.process_time()
            out = fn()
            cpu.append(time.process_time() - c0)
            if fn is run:
                found = len(out.fired)
        figures.append(min(cpu))
    return figures[0], figures[1], found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for n in args.tickets:
        root = Path(tempfile.mkdtemp(prefix="supportctl-bench-auto-")) / "desk"
        t0 = time.perf_counter()
        make(root, n)
        first = subprocess.run([*EXE, "automate", "run", "--now", NOW, "--no-commit", "--json"], cwd=root,
                               capture_output=True, text=True, env=ENV)
        if first.returncode != 0:
            raise SystemExit(first.stderr[-800:])
        applied = len(json.loads(first.stdout)["actions"])
        print(f"\n{n} tickets, 10 rules (8 time rules): desk built and a first run applied {applied} actions "
              f"in {time.perf_counter() - t0:.1f} s")
        sla_cpu, run_cpu, found = in_process(root, args.runs)
        print(f"  in-process CPU (min of {args.runs}), warm index:")
        print(f"    sla check                         {sla_cpu * 1000:7.0f} ms")
        print(f"    automate run (nothing due: {found})    {run_cpu * 1000:7.0f} ms   "
              f"{run_cpu / sla_cpu:.2f}x sla check (target <= 1.2x)")
        check_wall = timed_cli([*EXE, "sla", "check", "--now", NOW, "--fail-on", "never"], root, args.runs)
        run_wall = timed_cli([*EXE, "automate", "run", "--now", NOW, "--dry-run"], root, args.runs)
        print(f"  end to end, a new process each run (wall, median of {args.runs}):")
        print(f"    supportctl sla check              {check_wall * 1000:7.0f} ms")
        print(f"    supportctl automate run --dry-run {run_wall * 1000:7.0f} ms   {run_wall / check_wall:.2f}x")
        shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
