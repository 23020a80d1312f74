"""Benchmark reports: `report summary` beside `sla check` over the same desk, and `report build`.

    python bench/bench_reports.py [--tickets 1000 10000] [--runs 3] [--keep DIR]

Targets (issue 12): `report summary` over 10,000 tickets <= 1.5x the time of
`sla check` over the same desk, measured in the same run; `report build` of
that desk <= 10 s. The desks are bench_sla.py's (3-10 records per ticket,
an office calendar with public holidays, three policies). End to end: a new
process per run, warm index. Prints figures, not a timed test.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_sla", HERE / "bench_sla.py")
bench_sla = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_sla)   # its desk generator and NOW

NOW = bench_sla.NOW
PY = [sys.executable, "-m", "supportctl"]


def timed(args: list[str], root: Path, runs: int) -> tuple[float, float]:
    """(median wall, min CPU) seconds of a command run `runs` times in a new process.

    CPU is user + system time of the process and its workers: steady on a
    shared machine, where wall time depends on what else runs.
    """
    import resource

    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(args, cwd=root, capture_output=True, env={**_env(), "SUPPORTCTL_ROOT": str(root)})
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.decode()[-800:]}")
    return statistics.median(walls), min(cpus)


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(HERE.parent)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the desks under this folder (or reuse them)")
    args = parser.parse_args()
    base = (args.keep or Path(tempfile.mkdtemp(prefix="supportctl-bench-reports-"))).resolve()
    print(f"now = {NOW}; {args.runs} runs each; a new process per run, warm index\n")
    print("wall time (median) and CPU time (min, process and its workers)\n")
    print(f"{'tickets':>8}  {'sla check':>17}  {'report summary':>17}  {'ratio wall/CPU':>14}  {'report build':>17}")
    for n in args.tickets:
        root = base / f"desk-{n}"
        if not (root / "supportctl.yml").exists():
            bench_sla.build_desk(root, n)
        subprocess.run([*PY, "ticket", "list", "--all"], cwd=root, capture_output=True, env=_env())  # warm the index
        check, check_cpu = timed([*PY, "sla", "check", "--now", NOW, "--fail-on", "never"], root, args.runs)
        summary, summary_cpu = timed([*PY, "report", "summary", "--now", NOW], root, args.runs)
        out = Path(tempfile.mkdtemp(prefix="supportctl-dash-"))
        build, build_cpu = timed([*PY, "report", "build", "--out", str(out), "--now", NOW], root,
                                 max(1, args.runs - 1))
        shutil.rmtree(out, ignore_errors=True)
        print(f"{n:>8}  {check:>5.2f} s / {check_cpu:>5.2f} s  {summary:>5.2f} s / {summary_cpu:>5.2f} s  "
              f"{summary / check:>5.2f}x / {summary_cpu / check_cpu:.2f}x  {build:>5.2f} s / {build_cpu:>5.2f} s")
    print("\ngoals: report summary <= 1.5x sla check; report build <= 10 s at 10,000 tickets")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
