"""Benchmark the desk at scale: writes, warm reads, peak memory and the cold index at 1k, 10k and 100k tickets.

    python bench/bench_scale.py [--sizes 1000 10000 100000] [--desks DIR] [--writes 20]

Each figure is printed beside its floor (issue 16), one row per size, so the
growth is visible as a curve:

- writes: `ticket new` and `ticket reply` (with their commit) against a plain
  `git add FILE && git commit -q` of the same change in the same repository,
  measured alternately over `--writes` random tickets; median and max.
- warm reads: `ticket list --json --all`, `sla check` and `queue` with a valid
  index (and saved SLA plans), against a process that only reads the listing
  index (`marshal.loads` of .supportctl/cache/tickets.marshal), in paired
  rounds (ratios: the median of each round's); output written to a file, as
  `> out.json` would, and the listing's also read through a pipe by this
  process; peak memory of each; and `sla check` with the index warm but no
  saved plans (the first run after a config change).
- cold: the index built from nothing in-process against reading every file
  and parsing its front matter with CSafeLoader (the parse floor), and the
  whole `ticket list` command from nothing; the ratio is the median of each
  round's (`--runs` rounds, 3 at 100,000 tickets).

Desks are built once per size under `--desks` (bench_tickets.build_desk) and
copied before anything writes to them. Not a timed test.
"""

from __future__ import annotations

import argparse
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_tickets import build_desk, floor_parse  # noqa: E402

EXE = str(Path(sys.executable).with_name("supportctl"))
ENV = {**os.environ, "SUPPORTCTL_AGENT": "alice", "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x", "NO_COLOR": "1"}
READ_INDEX = "import marshal, sys; marshal.loads(open(sys.argv[1], 'rb').read())"


def run(args: list[str], cwd: Path, *, pipe: bool = True, ok: tuple[int, ...] = (0, 1)) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one child process; its output read through a pipe, or
    with `pipe=False` written to a file (as `> out.json` would)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.run(args, cwd=cwd, env=ENV, stdout=subprocess.PIPE if pipe else out,
                              stderr=subprocess.PIPE)
        took = time.perf_counter() - start
    if proc.returncode not in ok:   # sla check exits 1 when something is breached
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.decode()[-800:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest so far: a smaller child reports nothing new.
    return took, (peak if peak > before else float("nan")) / 1024


def peak_of(args: list[str], cwd: Path) -> float:
    """Peak resident MiB of one run, measured alone (GNU time), so an earlier larger child does not mask it."""
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *args], cwd=cwd, env=ENV, capture_output=True, text=True)
    return int(proc.stderr.strip().splitlines()[-1]) / 1024


def desk_of(size: int, desks: Path) -> Path:
    """A built desk of `size` tickets (kept for the next run), with its files aged past the racy window."""
    root = desks / f"desk-{size}"
    if not (root / ".git").is_dir():
        shutil.rmtree(root, ignore_errors=True)
        start = time.perf_counter()
        build_desk(root, size)
        print(f"  (built a desk of {size} tickets in {time.perf_counter() - start:.0f} s)", flush=True)
    return root


def copy_desk(src: Path, dest: Path) -> Path:
    # The desk itself, not a link to it (`--desks` may hold links to desks built elsewhere):
    # writes must never reach the built desk.
    subprocess.run(["cp", "-a", str(src.resolve()), str(dest)], check=True)
    old = time.time() - 3600
    for entry in os.scandir(dest / "tickets"):
        os.utime(entry.path, (old, old))
    return dest


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True)


def ticket_files(root: Path) -> dict[str, Path]:
    """Ticket id -> its file, flat or in shard folders."""
    return {name[:-3]: Path(folder) / name for folder, _, names in os.walk(root / "tickets")
            for name in names if name.endswith(".md") and name != "README.md"}


def writes(root: Path, count: int, rng: random.Random) -> dict[str, list[float]]:
    """`ticket new` and `ticket reply` against a plain add-and-commit of the same change, alternately."""
    out: dict[str, list[float]] = {"new": [], "new floor": [], "reply": [], "reply floor": []}
    files = ticket_files(root)
    ids = sorted(files)
    for n in range(count):
        out["new"].append(run([EXE, "ticket", "new", "--title", f"Bench {n}", "--from", "b@example.com",
                               "-m", "The export stops at 1,000 rows."], root)[0])
        now = ticket_files(root)
        made = now[(now.keys() - files.keys()).pop()]
        files = now
        twin = made.parent / f"Z{n:05d}{made.name}"   # beside it: the same folder, flat or sharded
        twin.write_bytes(made.read_bytes())
        start = time.perf_counter()
        git(root, "add", str(twin.relative_to(root)))
        git(root, "commit", "-q", "-m", "floor")
        out["new floor"].append(time.perf_counter() - start)

        tid = rng.choice(ids)
        path = files[tid]
        size = path.stat().st_size
        out["reply"].append(run([EXE, "ticket", "reply", tid, "-m", "Thanks, this is fixed now."], root)[0])
        added = path.read_bytes()[size:]
        other = files[rng.choice(ids)]
        with open(other, "ab") as fh:   # the same bytes appended to another ticket: the same size of change
            fh.write(added)
        start = time.perf_counter()
        git(root, "add", str(other.relative_to(root)))
        git(root, "commit", "-q", "-m", "floor")
        out["reply floor"].append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--desks", type=Path, default=Path(tempfile.gettempdir()) / "supportctl-bench-desks")
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip", nargs="*", default=[], choices=["writes", "reads", "cold"])
    parser.add_argument("--sharded", action="store_true",
                        help="run `supportctl shard` on each desk first (timed), then measure writes and reads "
                             "(the cold floor reads a flat folder: give --skip cold)")
    args = parser.parse_args()
    args.desks.mkdir(parents=True, exist_ok=True)
    # An installed package has its bytecode compiled at install time; an editable
    # checkout under PYTHONDONTWRITEBYTECODE would otherwise recompile on every run.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "supportctl")], check=True)
    rng = random.Random(16)
    rows: dict[str, list[str]] = {"writes": [], "reads": [], "cold": []}
    for size in args.sizes:
        built = desk_of(size, args.desks)
        work = copy_desk(built, Path(tempfile.mkdtemp(prefix=f"bench-scale-{size}-")) / "desk")
        try:
            if args.sharded:
                took, mem = run([EXE, "shard"], work, ok=(0,))
                print(f"[shard] {size:>7}  supportctl shard {took:6.2f} s, {mem:4.0f} MiB "
                      f"(every ticket moved in one commit)", flush=True)
            if "reads" not in args.skip:
                run([EXE, "ticket", "list", "--all"], work)          # build the index
                run([EXE, "sla", "check", "--fail-on", "never"], work)   # and the timelines
                index = work / ".supportctl" / "cache" / "tickets.marshal"
                reader = [sys.executable, "-c", READ_INDEX, str(index)]
                commands = {"list": ["ticket", "list", "--json", "--all"],
                            "sla check": ["sla", "check", "--fail-on", "never"], "queue": ["queue"]}
                # Paired rounds: the floor and each command in turn, each command's output to a file
                # and the listing's also through a pipe (read by this process, as a slow reader).
                times: dict[str, list[float]] = {name: [] for name in ("floor", *commands, "list | pipe")}
                for _ in range(args.runs):
                    times["floor"].append(run(reader, work)[0])
                    for name, cmd in commands.items():
                        times[name].append(run([EXE, *cmd], work, pipe=False)[0])
                    times["list | pipe"].append(run([EXE, *commands["list"]], work)[0])
                floor = statistics.median(times["floor"])
                floor_mem = peak_of(reader, work)
                line = [f"{size:>7}  read the listing index {floor:6.2f} s {floor_mem:5.0f} MiB"]
                for name in (*commands, "list | pipe"):
                    took = statistics.median(times[name])
                    ratio = statistics.median(t / f for t, f in zip(times[name], times["floor"]))
                    mem = peak_of([EXE, *commands[name.split(" |")[0]]], work)
                    line.append(f"{name} {took:6.2f} s = {ratio:4.2f}x, {mem:4.0f} MiB")
                # The first `sla check` after a change to the config, the customers or supportctl
                # itself evaluates every open ticket again (no saved plans; the index is warm).
                plans = work / ".supportctl" / "cache" / "sla-plans.marshal"
                firsts = []
                for _ in range(args.runs):
                    plans.unlink(missing_ok=True)
                    firsts.append(run([EXE, "sla", "check", "--fail-on", "never"], work)[0])
                plans.unlink(missing_ok=True)
                mem = peak_of([EXE, "sla", "check", "--fail-on", "never"], work)
                line.append(f"sla check without saved plans {statistics.median(firsts):6.2f} s, {mem:4.0f} MiB")
                rows["reads"].append(" | ".join(line))
            if "cold" not in args.skip:
                floors, colds, clis = [], [], []
                for _ in range(3 if size >= 100_000 else args.runs):
                    floors.append(floor_parse(work))
                    shutil.rmtree(work / ".supportctl" / "cache", ignore_errors=True)
                    colds.append(cold_index(work))
                    shutil.rmtree(work / ".supportctl" / "cache", ignore_errors=True)
                    clis.append(run([EXE, "ticket", "list", "--json", "--all"], work)[0])
                floor, cold, cli = map(statistics.median, (floors, colds, clis))
                # Ratios of each round's pair, then their median: a round slowed by other load
                # slows its floor too.
                ratio = statistics.median(c / f for c, f in zip(colds, floors))
                cli_ratio = statistics.median(c / f for c, f in zip(clis, floors))
                rows["cold"].append(f"{size:>7}  parse floor {floor:6.2f} s | index from nothing {cold:6.2f} s = "
                                    f"{ratio:4.2f}x | ticket list from nothing {cli:6.2f} s = "
                                    f"{cli_ratio:4.2f}x")
            if "writes" not in args.skip:
                got = writes(work, args.writes, rng)
                parts = []
                for name in ("new", "reply"):
                    times, floors = got[name], got[f"{name} floor"]
                    med, top, base = statistics.median(times), max(times), statistics.median(floors)
                    parts.append(f"ticket {name} {med:5.2f} s (max {top:5.2f} = {top / med:3.1f}x median) "
                                 f"vs add+commit {base:5.2f} s = {med / base:4.2f}x")
                rows["writes"].append(f"{size:>7}  " + " | ".join(parts))
        finally:
            shutil.rmtree(work.parent, ignore_errors=True)
        for what, lines in rows.items():
            if lines and lines[-1].lstrip().startswith(str(size)):
                print(f"[{what}] {lines[-1]}", flush=True)
    print("\nGoals (issue 16): writes <= 2x add+commit, max <= 3x median; warm list <= 1.0 s and <= 1.5x reading "
          "its index; sla check and queue <= 2.5 s at 100k; peak memory <= 300 MiB; cold index <= 1.5x the parse "
          "floor.")
    for what, lines in rows.items():
        if lines:
            print(f"\n{what}")
            for line in lines:
                print("  " + line)


def cold_index(root: Path) -> float:
    """The index built from nothing in a fresh process, timed inside it (no interpreter start-up, no imports)."""
    # What the parse needs is imported before the clock starts, as the floor has it imported.
    code = ("import time, sys, yaml; from pathlib import Path; from supportctl.desk.store import Desk; "
            "from supportctl.tickets.store import TicketStore; import supportctl.tickets.fastmeta; "
            "import supportctl.base.loader; t = time.perf_counter(); "
            "TicketStore(Desk(Path(sys.argv[1]))).load_index(); print(time.perf_counter() - t)")
    proc = subprocess.run([sys.executable, "-c", code, str(root)], env={**ENV, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, check=True)
    return float(proc.stdout.strip())


if __name__ == "__main__":
    main()
