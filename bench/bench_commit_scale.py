"""Benchmark the commit path on repositories of up to a million ticket files, flat and in shard folders.

    python bench/bench_commit_scale.py [--files 100000 1000000] [--commits 10]

What a `ticket new` costs in git at sizes too large to render every ticket
(docs/scaling.md): the repository is written with `git mktree` (every
ticket file shares one blob, which changes nothing for the trees and the
index git walks), its index filled with `git read-tree`, and no work tree is
checked out. For each layout (`tickets/ID.md`, and `tickets/XY/ID.md` with
the first two characters of the id as the folder) it times supportctl's
commit of one new file (desk/git.py: a temporary index, plumbing) against
`git add FILE && git commit -q` of another new file, alternately.
Not a timed test.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from supportctl.desk.git import commit  # noqa: E402

ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench",
       "GIT_COMMITTER_EMAIL": "b@x"}
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY = (b"---\nid: X\ntitle: CSV export stops at 1,000 rows\nstatus: open\npriority: normal\n---\n\n"
        b"### message a1b2c3d4 \xc2\xb7 2026-10-01T09:00:00+01:00 \xc2\xb7 Dana Smith <dana@example.com> (customer)\n\n"
        b"Hi team, since this morning the export stops after 1,000 rows.\n")


def ids(count: int, rng: random.Random) -> list[str]:
    out: set[str] = set()
    while len(out) < count:
        out.add("".join(rng.choice(ALPHABET) for _ in range(7)))
    return sorted(out)


def place(tid: str, sharded: bool) -> str:
    return f"tickets/{tid[:2]}/{tid}.md" if sharded else f"tickets/{tid}.md"


def build(root: Path, names: list[str], sharded: bool) -> None:
    """One commit holding every ticket path (trees written with `git mktree`), the index filled from it."""
    def git(*args: str, data: bytes | None = None) -> str:
        return subprocess.run(["git", *args], cwd=root, input=data, check=True, env=ENV,
                              capture_output=True).stdout.decode().strip()

    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    blob = git("hash-object", "-w", "--stdin", data=BODY)
    if sharded:
        shards: dict[str, list[str]] = {}
        for tid in names:
            shards.setdefault(tid[:2], []).append(f"100644 blob {blob}\t{tid}.md\n")
        # One tree per shard, written by one `mktree --batch` (trees separated by blank lines).
        oids = git("mktree", "--batch", data="\n".join("".join(v) for v in shards.values()).encode()).split("\n")
        tickets = git("mktree", data="".join(f"040000 tree {oid}\t{name}\n"
                                             for name, oid in zip(shards, oids)).encode())
    else:
        tickets = git("mktree", data="".join(f"100644 blob {blob}\t{tid}.md\n" for tid in names).encode())
    top = git("mktree", data=f"040000 tree {tickets}\ttickets\n".encode())
    head = git("commit-tree", top, "-m", "desk")
    git("update-ref", "refs/heads/main", head)
    git("read-tree", "HEAD")


def measure(root: Path, count: int, sharded: bool, rng: random.Random) -> tuple[list[float], list[float]]:
    ours, floor = [], []
    for tid in ids(count * 2, rng):
        rel = place("Z" + tid, sharded)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(BODY)
        start = time.perf_counter()
        if len(ours) <= len(floor):
            commit(root, [rel], f"Create {tid}", author_name="bench", author_email="b@x")
            ours.append(time.perf_counter() - start)
        else:
            subprocess.run(["git", "add", rel], cwd=root, check=True, env=ENV)
            subprocess.run(["git", "commit", "-q", "-m", f"Create {tid}"], cwd=root, check=True, env=ENV,
                           capture_output=True)
            floor.append(time.perf_counter() - start)
    return ours, floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--commits", type=int, default=10)
    args = parser.parse_args()
    print(f"{'files':>9} {'layout':<8} {'build':>7} {'index':>9} {'supportctl commit':>26} "
          f"{'git add + commit':>24} {'ratio':>6}")
    for count in args.files:
        rng = random.Random(count)
        names = ids(count, rng)
        for sharded in (False, True):
            tmp = Path(tempfile.mkdtemp(prefix="bench-commit-"))
            try:
                start = time.perf_counter()
                build(tmp, names, sharded)
                built = time.perf_counter() - start
                index_mb = (tmp / ".git" / "index").stat().st_size / 1e6
                ours, floor = measure(tmp, args.commits, sharded, rng)
                med, top, base = statistics.median(ours), max(ours), statistics.median(floor)
                print(f"{count:>9} {'sharded' if sharded else 'flat':<8} {built:6.1f}s {index_mb:6.1f} MB "
                      f"{med:6.2f}s median {top:5.2f}s max {base:6.2f}s median {max(floor):5.2f}s max "
                      f"{med / base:5.2f}x", flush=True)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
