"""Benchmark start-up: each read command's whole-process time on a small desk, beside `import typer`.

    python bench/bench_startup.py [--runs 15] [--desk DIR] [--python PYTHON]

A read command on a small desk is almost all fixed cost (interpreter, imports,
the CLI, the config); issue 16 asks for that cost to stay within 1.5x of
`python -c "import typer"` and for `kb suggest` to finish within 150 ms.
Runs are paired: every round times the floors and each command in turn, so a
busy machine slows them alike; the figures are medians. Not a timed test.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The sample desk that ships in the repository: its files, not the package.
# `python -c "import typer"` on the machine where issue 16 set kb suggest's 150 ms goal.
REFERENCE_TYPER = 0.070
DESK_FILES = ["supportctl.yml", "tickets", "kb", "customers", "templates", "mail", "mkdocs.yml", "overrides",
              ".gitattributes"]


def sample_desk(root: Path) -> None:
    """A git repository holding a copy of the repository's own sample desk (about 60 tickets)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in DESK_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, root / name)
        elif src.exists():
            shutil.copy2(src, root / name)
    (root / ".gitignore").write_text(".supportctl/\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "b@x"}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "sample desk"], cwd=root, check=True, env=env)


def first(folder: Path, suffix: str) -> str:
    """The name (without suffix) of the first file in a folder, sorted."""
    return sorted(p.name[:-len(suffix)] for p in folder.iterdir() if p.name.endswith(suffix))[0]


def commands(root: Path) -> list[tuple[str, list[str]]]:
    ticket = first(root / "tickets", ".md")
    customer = first(root / "customers", ".yml") if (root / "customers").is_dir() else "nobody"
    return [
        ("--help", ["--help"]),
        ("ticket show ID", ["ticket", "show", ticket]),
        ("ticket list", ["ticket", "list"]),
        ("queue", ["queue"]),
        ("sla status ID", ["sla", "status", ticket]),
        ("sla check", ["sla", "check"]),
        ("kb suggest ID", ["kb", "suggest", ticket]),
        ("customer show", ["customer", "show", customer]),
        ("report summary", ["report", "summary"]),
    ]


def run(args: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU time (user + system) suffers less from a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    # `sla check` exits 1 when a ticket is in breach; anything else is a failure.
    if proc.returncode not in (0, 1) or b"Traceback" in proc.stderr:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.decode()[-800:]}")
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="paired rounds (default 15)")
    parser.add_argument("--desk", type=Path, help="an existing desk to measure (default: a copy of the sample desk)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter (a venv with another Typer)")
    args = parser.parse_args()
    py = args.python
    # An installed package has its bytecode compiled at install time; an
    # editable checkout under PYTHONDONTWRITEBYTECODE (set on these machines)
    # would otherwise recompile every module on every run and measure that.
    subprocess.run([py, "-m", "compileall", "-q", str(ROOT / "supportctl")], check=True)
    tmp = None
    if args.desk:
        root = args.desk
    else:
        tmp = Path(tempfile.mkdtemp(prefix="supportctl-startup-"))
        root = tmp / "desk"
        sample_desk(root)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    env.pop("SUPPORTCTL_NOW", None)
    cmds = commands(root)
    typer_version = subprocess.run([py, "-c", "import typer; print(typer.__version__)"], capture_output=True,
                                   text=True, env=env).stdout.strip()
    floors = [("python -c pass", [py, "-c", "pass"]), ('python -c "import typer"', [py, "-c", "import typer"])]
    every = floors + [(name, [py, "-m", "supportctl", *argv]) for name, argv in cmds]
    # `report summary` evaluates every active ticket's metrics on each run (34 of the sample's
    # 59): on a desk with no tickets what is left is its fixed cost alone.
    empty = Path(tempfile.mkdtemp(prefix="supportctl-empty-")) / "desk"
    subprocess.run([py, "-m", "supportctl", "init", str(empty), "--name", "Empty", "--timezone", "UTC",
                    "--agent", "alice"], env=env, check=True, capture_output=True)
    every += [(f"{name} (no tickets)", [py, "-m", "supportctl", "-C", str(empty), *argv])
              for name, argv in cmds if name in ("report summary", "sla check")]
    for _, argv in every:   # warm: the index cache and the OS's file cache
        run(argv, root, env)
    times: dict[str, list[float]] = {name: [] for name, _ in every}
    cpus: dict[str, list[float]] = {name: [] for name, _ in every}
    for _ in range(args.runs):
        for name, argv in every:
            wall, cpu = run(argv, root, env)
            times[name].append(wall)
            cpus[name].append(cpu)
    med = {name: statistics.median(values) for name, values in times.items()}
    cpu = {name: statistics.median(values) for name, values in cpus.items()}
    floor, cpu_floor = med['python -c "import typer"'], cpu['python -c "import typer"']
    tickets = sum(1 for p in (root / "tickets").iterdir() if p.suffix == ".md")
    print(f"start-up on a desk of {tickets} tickets; typer {typer_version}; median of {args.runs} paired rounds")
    print(f"  {'command':<28} {'wall':>8} {'min':>8} {'cpu':>8}   vs import typer, wall and cpu (goal <= 1.5x)")
    for name, _ in every:
        ratio, cpu_ratio = med[name] / floor, cpu[name] / cpu_floor
        note = "" if name in dict(floors) else (f"{ratio:5.2f}x {cpu_ratio:5.2f}x"
                                                 + ("" if max(ratio, cpu_ratio) <= 1.5 else "  over"))
        if name == "kb suggest ID":
            # The issue set 150 ms on a machine where `import typer` took 70 ms; on a slower
            # day the same goal, scaled by the floor, is printed beside it.
            scaled = 0.150 * floor / REFERENCE_TYPER
            note += (f"   goal <= 150 ms: {'met' if med[name] <= 0.150 else 'missed'}; scaled to this machine "
                     f"<= {scaled * 1000:.0f} ms: {'met' if med[name] <= scaled else 'missed'}")
        print(f"  {name:<28} {med[name] * 1000:6.0f} ms {min(times[name]) * 1000:5.0f} ms "
              f"{cpu[name] * 1000:5.0f} ms   {note}")
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(empty.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
