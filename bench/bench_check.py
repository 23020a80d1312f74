"""Benchmark `supportctl check` cold and warm beside the parse floor, at several desk sizes.

    python bench/bench_check.py [--sizes 1000,10000] [--desk 100000=/path/to/desk] [--runs 3] [--code DIR]

Each size gets a copy of the given desk (or a desk built by bench_tickets.build_desk),
whose files are aged past the cache's racy window as on a real desk. Per round,
alternately: the floor (read every ticket and parse its front matter with
CSafeLoader, in this process), `check` with no cache (cold), `check` again
(warm: nothing changed). Medians of the rounds; the cold ratio is the median of
each round's cold/floor. The CPU ratio compares the CPU seconds of the cold
check (its workers included) with the floor's: it holds on a busy machine,
where wall-clock ratios swing with other load. Peak memory is the child's
maximum resident set.
`--code DIR` runs another checkout's supportctl (e.g. the main branch, for
the figures before a change). Issue 16 goal 4: warm <= 10 s and cold <= 1.5x
the floor at 100,000 tickets. Not a timed test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_tickets import build_desk, floor_parse  # noqa: E402


def run_check(root: Path, code: Path) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak MiB, exit code) of one `supportctl check`, its workers included."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "supportctl", "check"], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read()
    # wait4's usage covers the child and the workers it waited for (ru_maxrss is the largest).
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"supportctl check failed in {root}: {stderr.decode()[-800:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def prepare(size: int, source: Path | None, work: Path) -> Path:
    root = work / f"d{size}"
    if source is not None:
        shutil.copytree(source, root, symlinks=True)
    else:
        build_desk(root, size)
    shutil.rmtree(root / ".supportctl", ignore_errors=True)
    old = time.time() - 3600
    for path in (root / "tickets").iterdir():
        os.utime(path, (old, old))
    return root


def measure(root: Path, code: Path, runs: int) -> dict:
    floors, colds, warms, ratios, warm_ratios, mem_cold, mem_warm, codes = [], [], [], [], [], [], [], set()
    cpu_ratios = []
    for _ in range(runs):
        shutil.rmtree(root / ".supportctl" / "cache", ignore_errors=True)
        cpu = time.process_time()
        floor = floor_parse(root)
        floor_cpu = time.process_time() - cpu
        cold, cold_cpu, cold_mib, rc = run_check(root, code)
        warm, _, warm_mib, rc2 = run_check(root, code)
        cpu_ratios.append(cold_cpu / floor_cpu)
        floors.append(floor)
        colds.append(cold)
        warms.append(warm)
        ratios.append(cold / floor)
        warm_ratios.append(warm / floor)
        mem_cold.append(cold_mib)
        mem_warm.append(warm_mib)
        codes |= {rc, rc2}
    med = statistics.median
    return {"floor": med(floors), "cold": med(colds), "warm": med(warms), "ratio": med(ratios),
            "warm_ratio": med(warm_ratios), "cpu_ratio": med(cpu_ratios), "mem_cold": max(mem_cold),
            "mem_warm": max(mem_warm),
            "problems": codes != {0}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated sizes to build")
    parser.add_argument("--desk", action="append", default=[], metavar="N=PATH",
                        help="use (a copy of) an existing desk of N tickets")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", type=Path, default=ROOT, help="the supportctl checkout to run")
    args = parser.parse_args()
    sources: dict[int, Path | None] = {int(n): None for n in args.sizes.split(",") if n}
    for item in args.desk:
        n, _, path = item.partition("=")
        sources[int(n)] = Path(path)
    # Bytecode compiled once, as an installed package has it (PYTHONDONTWRITEBYTECODE may be set).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(args.code / "supportctl")], check=True,
                   env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    work = Path(tempfile.mkdtemp(prefix="supportctl-bench-check-"))
    print(f"supportctl check, code {args.code}, median of {args.runs} paired rounds")
    print(f"{'tickets':>8} {'floor':>8} {'cold':>8} {'cold/floor':>10} {'cpu ratio':>9} {'warm':>8}"
          f" {'warm/floor':>10} {'MiB cold':>9} {'MiB warm':>9}  goal (100k: warm <= 10 s, cold <= 1.5x floor)")
    try:
        for size in sorted(sources):
            root = prepare(size, sources[size], work)
            r = measure(root, args.code, args.runs)
            shutil.rmtree(root, ignore_errors=True)
            verdict = ("met" if r["warm"] <= 10 and r["ratio"] <= 1.5 else "NOT met") + \
                      (" (desk has problems)" if r["problems"] else "")
            print(f"{size:>8} {r['floor']:>7.2f}s {r['cold']:>7.2f}s {r['ratio']:>9.2f}x {r['cpu_ratio']:>8.2f}x"
                  f" {r['warm']:>7.2f}s"
                  f" {r['warm_ratio']:>9.2f}x {r['mem_cold']:>9.0f} {r['mem_warm']:>9.0f}  {verdict}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
