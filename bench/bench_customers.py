"""Benchmark customers and imports: `import github` of many issues, `customer show` on a big desk.

    python bench/bench_customers.py [--sizes 100:500,1000:5000,3000:15000] [--runs 5]
                                    [--tickets 10000] [--own 500] [--only import|show]

(a) `supportctl import github` of N issues with M comments (as `gh api` returns them) into a fresh
desk: one CLI run, one commit, timed end to end. Beside it, measured in the same run on the same
disk (the median of --runs paired runs, figure and floors alternating, each on a fresh copy):

- the issue's floor: `json.load` of the same files plus writing the same number of ticket files,
  each with the bytes the import wrote (read back from the imported desk beforehand, so the floor
  writes exactly as much). Goal: the import <= 2x this floor.
- the whole-command floor: that, plus `git add -A && git commit -q` of those files in a copy of
  the same desk (a fresh repository of the same kind) and interpreter start-up (`python -c pass`):
  what any command that reads the export, writes the tickets and commits them must spend.
- where the time goes: the import service in-process (no CLI start-up) without and with its
  commit, and the CLI's own start-up (`supportctl import github --help`).

A re-run of the same files (nothing new) is timed too. Sizes grow so that growth shows.

(b) `supportctl customer show` for a customer with K tickets on a desk of T tickets, beside
`supportctl ticket list --requester` for the same customer. Goal: <= 1.2x.

Seeded, deterministic data. Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXE = [sys.executable, "-m", "supportctl"]
ENV = {**os.environ, "SUPPORTCTL_AGENT": "alice", "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x", "NO_COLOR": "1"}
REPO = "https://api.github.com/repos/bench/app"
# The import service in-process, timed from just before the call: modules imported and the
# desk's configuration loaded first, as every command does (that is start-up, not import work).
SERVICE = """
import sys, time
import supportctl.imports.apply, supportctl.imports.github, supportctl.services.customers
from supportctl.desk.store import Desk
from supportctl.services.imports import import_github
from supportctl.services.session import Session
session = Session(Desk(sys.argv[1]))
session.config, session.directory
start = time.perf_counter()
import_github(session, sys.argv[3:], commit=sys.argv[2] == "commit")
print(time.perf_counter() - start)
"""


def run(desk: Path, *args: str) -> float:
    return measure([*EXE, *args], desk)[0]


def timed(cmd: list[str], cwd: Path) -> float:
    return measure(cmd, cwd)[0]


def measure(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the process and its children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=ENV, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def new_desk(root: Path) -> Path:
    desk = root / "desk"
    subprocess.run([*EXE, "init", str(desk), "--name", "Bench", "--agent", "alice"], env=ENV, check=True,
                   capture_output=True)
    return desk


def github_files(folder: Path, issues: int, comments: int) -> list[Path]:
    rnd = random.Random(14)
    items = [{"id": 10_000 + n, "number": n, "title": f"Issue {n}: export fails at {rnd.randint(1, 9)},000 rows",
              "body": "Steps to reproduce:\n\n1. Open reports\n2. Export\n\nIt stops.", "user": {"login": f"user{n % 300}"},
              "labels": [{"name": rnd.choice(["bug", "question", "api"])}], "state": rnd.choice(["open", "closed"]),
              "created_at": f"2026-10-{1 + n % 28:02d}T{n % 24:02d}:00:00Z", "updated_at": "2026-11-01T00:00:00Z",
              "url": f"{REPO}/issues/{n}", "repository_url": REPO} for n in range(1, issues + 1)]
    notes = [{"id": 90_000 + c, "issue_url": f"{REPO}/issues/{1 + c % issues}",
              "user": {"login": rnd.choice(["alice-gh", f"user{(c % issues + 1) % 300}"])},
              "body": "Thanks, any update on this? " * rnd.randint(1, 4),
              "created_at": f"2026-10-{1 + (c % issues + 1) % 28:02d}T23:{c % 60:02d}:00Z"} for c in range(comments)]
    folder.mkdir(parents=True, exist_ok=True)
    a, b = folder / "issues.json", folder / "comments.json"
    a.write_text(json.dumps(items))
    b.write_text(json.dumps(notes))
    return [a, b]


def fresh(template: Path, where: Path) -> Path:
    shutil.rmtree(where, ignore_errors=True)
    shutil.copytree(template, where, symlinks=True)
    return where


def imported_files(desk: Path) -> dict[str, bytes]:
    """The files the import's commit added or changed, with their bytes."""
    names = subprocess.run(["git", "diff", "--name-only", "HEAD~1", "HEAD"], cwd=desk, check=True,
                           capture_output=True, text=True).stdout.split()
    return {name: (desk / name).read_bytes() for name in names}


def floor(files: list[Path], written: dict[str, bytes], desk: Path) -> tuple[float, float]:
    """The issue's floor: json.load of the export plus writing the same ticket files (same bytes) into `desk`.

    (wall, CPU) seconds."""
    start, cpu = time.perf_counter(), time.process_time()
    for path in files:
        with open(path, encoding="utf-8") as fh:
            json.load(fh)
    for name, data in written.items():
        with open(desk / name, "wb") as fh:
            fh.write(data)
    return time.perf_counter() - start, time.process_time() - cpu


def bench_import(tmp: Path, issues: int, comments: int, runs: int) -> None:
    root = tmp / f"import-{issues}"
    template = new_desk(root)
    with open(template / "supportctl.yml", "a") as fh:
        fh.write("github:\n  maintainers: {alice-gh: alice}\n")
    subprocess.run(["git", "commit", "-qam", "github maintainers"], cwd=template, env=ENV, check=True)
    # A desk where a command has run since the config last changed (its validated config is
    # cached), as on an agent's machine or a CI runner that keeps .supportctl/cache.
    run(template, "ticket", "list")
    files = github_files(root / "export", issues, comments)
    args = [str(p) for p in files]
    rows: dict[str, list[float]] = {k: [] for k in ("cli", "floor", "whole", "service", "service_commit",
                                                    "startup", "git", "python", "cli_cpu", "floor_cpu",
                                                    "whole_cpu")}
    written: dict[str, bytes] = {}
    again: list[float] = []
    for n in range(runs):
        # The order alternates so neither side always runs on a warmer cache or a quieter machine.
        # The first run imports first: the floor writes the bytes that import wrote.
        for step in ["cli", "floors", "service"] if n % 2 == 0 else ["floors", "service", "cli"]:
            if step == "cli":
                desk = fresh(template, root / "cli")
                wall, cpu = measure([*EXE, "import", "github", *args], desk)
                rows["cli"].append(wall)
                rows["cli_cpu"].append(cpu)
                if not written:
                    written = imported_files(desk)
                if n == 0:
                    again.append(run(desk, "import", "github", *args))
            elif step == "floors":
                desk = fresh(template, root / "floor")
                wall, cpu = floor(files, written, desk)
                rows["floor"].append(wall)
                rows["floor_cpu"].append(cpu)
                git = [measure(["git", "add", "-A"], desk), measure(["git", "commit", "-qm", "floor"], desk)]
                python = measure([sys.executable, "-c", "pass"], root)
                rows["git"].append(git[0][0] + git[1][0])
                rows["python"].append(python[0])
                rows["whole"].append(wall + rows["git"][-1] + python[0])
                rows["whole_cpu"].append(cpu + git[0][1] + git[1][1] + python[1])
            else:
                for key, mode in (("service", "no-commit"), ("service_commit", "commit")):
                    desk = fresh(template, root / "service")
                    out = subprocess.run([sys.executable, "-c", SERVICE, str(desk), mode, *args], cwd=desk, env=ENV,
                                         check=True, capture_output=True, text=True).stdout
                    rows[key].append(float(out.strip().splitlines()[-1]))
                rows["startup"].append(run(root, "import", "github", "--help"))
    m = {k: statistics.median(v) for k, v in rows.items()}
    size = sum(len(b) for b in written.values())

    def ratio(figure: str, base: str) -> float:
        """The median of the paired runs' ratios (each run's figure over the same run's floor)."""
        return statistics.median(a / b for a, b in zip(rows[figure], rows[base]))

    def verdict(value: float) -> str:
        return "met" if value <= 2 else "NOT met"

    issue, whole = ratio("cli", "floor"), ratio("cli", "whole")
    print(f"import github {issues} issues / {comments} comments -> {len(written)} files, {size / 1e6:.2f} MB "
          f"(medians of {runs} paired runs)")
    print(f"  supportctl import github (CLI, one commit):       {m['cli']:6.2f} s")
    print(f"  floor (issue): json.load + write the same files:  {m['floor']:6.2f} s   ratio {issue:5.1f}x "
          f"(goal <= 2x: {verdict(issue)})")
    print(f"  whole-command floor: that + git add -A && git commit ({m['git']:.2f} s) + python -c pass "
          f"({m['python']:.2f} s): {m['whole']:.2f} s   ratio {whole:4.2f}x (<= 2x: {verdict(whole)})")
    print(f"  CPU seconds (user+sys, less sensitive to a busy machine): CLI {m['cli_cpu']:.2f}; floor "
          f"{m['floor_cpu']:.2f} (ratio {ratio('cli_cpu', 'floor_cpu'):.1f}x); whole-command floor "
          f"{m['whole_cpu']:.2f} (ratio {ratio('cli_cpu', 'whole_cpu'):.2f}x)")
    print(f"  where it goes: CLI start-up (import github --help) {m['startup']:.2f} s; the import service "
          f"in-process (config loaded) {m['service']:.2f} s without its commit, {m['service_commit']:.2f} s with it")
    print(f"  re-run (nothing new): {statistics.median(again):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100:500,1000:5000,3000:15000", help="issues:comments,...")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tickets", type=int, default=10000)
    parser.add_argument("--own", type=int, default=500)
    parser.add_argument("--only", choices=["import", "show"])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-customers-"))
    try:
        if args.only != "show":
            for size in args.sizes.split(","):
                issues, comments = (int(x) for x in size.split(":"))
                bench_import(tmp, issues, comments, args.runs)
        if args.only == "import":
            return
        big = new_desk(tmp / "big")
        tickets = big / "tickets"
        for n in range(args.tickets):
            who = "dana@acme.example" if n < args.own else f"c{n}@example.com"
            tid = f"B{n:05d}"
            (tickets / f"{tid}.md").write_text(
                f"---\nid: {tid}\ntitle: Ticket {n}\nstatus: new\npriority: normal\ntype: null\nchannel: email\n"
                f"requester: {{name: C{n}, email: {who}}}\nassignee: null\ngroup: null\ntags: []\n"
                f"created: 2026-10-01T09:00:00+00:00\nupdated: 2026-10-01T09:00:00+00:00\n---\n")
        (big / "customers").mkdir(exist_ok=True)
        (big / "customers" / "dana.yml").write_text("name: Dana\nemail: dana@acme.example\n")
        subprocess.run(["git", "add", "-A"], cwd=big, check=True)
        subprocess.run(["git", "commit", "-qm", "bench"], cwd=big, env=ENV, check=True)
        run(big, "ticket", "list", "--all")   # warm the index
        show = min(run(big, "customer", "show", "dana", "--json") for _ in range(3))
        listed = min(run(big, "ticket", "list", "--all", "--requester", "dana@acme.example", "--json")
                     for _ in range(3))
        print(f"customer show ({args.own} of {args.tickets} tickets): {show:.2f}s; ticket list --requester "
              f"{listed:.2f}s; ratio {show / listed:.2f}x (goal <= 1.2x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
