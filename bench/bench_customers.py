"""Benchmark customers and imports: `import github` of many issues, `customer show` on a big desk.

    python bench/bench_customers.py [--issues 1000] [--comments 5000] [--tickets 10000] [--own 500]

(a) `supportctl import github` of N issues with M comments (as `gh api` returns them) into a fresh
desk, one CLI run and one commit, beside the floor: `json.load` of the same files plus writing the
same number of ticket files. Goal: <= 2x the floor.

(b) `supportctl customer show` for a customer with K tickets on a desk of T tickets, beside
`supportctl ticket list --requester` for the same customer. Goal: <= 1.2x.

Seeded, deterministic data. Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXE = [sys.executable, "-m", "supportctl"]
ENV = {**os.environ, "SUPPORTCTL_AGENT": "alice", "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x", "NO_COLOR": "1"}
REPO = "https://api.github.com/repos/bench/app"


def run(desk: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([*EXE, *args], cwd=desk, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - start


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
    a, b = folder / "issues.json", folder / "comments.json"
    a.write_text(json.dumps(items))
    b.write_text(json.dumps(notes))
    return [a, b]


def floor(files: list[Path], count: int, folder: Path) -> float:
    start = time.perf_counter()
    data = [json.loads(p.read_text()) for p in files]
    out = folder / "floor"
    out.mkdir()
    for n, item in enumerate(data[0][:count]):
        (out / f"{n}.md").write_text(f"---\nid: {n}\ntitle: {item['title']}\n---\n\n{item['body']}\n")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--tickets", type=int, default=10000)
    parser.add_argument("--own", type=int, default=500)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-customers-"))
    try:
        desk = new_desk(tmp)
        with open(desk / "supportctl.yml", "a") as fh:
            fh.write("github:\n  maintainers: {alice-gh: alice}\n")
        files = github_files(tmp, args.issues, args.comments)
        took = run(desk, "import", "github", *map(str, files))
        base = floor(files, args.issues, tmp)
        print(f"import github {args.issues} issues / {args.comments} comments: {took:.2f}s; "
              f"floor {base:.2f}s; ratio {took / base:.1f}x (goal <= 2x)")
        again = run(desk, "import", "github", *map(str, files))
        print(f"  re-run (nothing new): {again:.2f}s")

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
