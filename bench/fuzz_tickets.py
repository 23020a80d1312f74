"""A longer fuzz run over the sample desk's tickets (issue 9); prints counts. Not a timed test.

    python bench/fuzz_tickets.py [--examples 2000] [--seed N]

Runs the library-level checks of tests/tickets/test_fuzz.py on many mutated
tickets and counts how each ended: refused by the parser (reported with
file, line and hint), read but flagged by `check`, or read clean. Any other
outcome (a traceback, a failed promise) is printed and counted as a failure.
"""

from __future__ import annotations

import argparse
import collections
import random
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    from tests.tickets import fuzzkit
    from tests.tickets.conftest import SAMPLE

    tmp = Path(tempfile.mkdtemp(prefix="supportctl-fuzz-"))
    root = tmp / "desk"
    root.mkdir()
    for name in SAMPLE:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, root / name, symlinks=True)
        elif src.exists():
            shutil.copy2(src, root / name)
    counts: collections.Counter = collections.Counter()
    failures: list[str] = []

    @hseed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=fuzzkit.cases())
    def run(case):
        t0 = time.perf_counter()
        try:
            counts[fuzzkit.check_one_file(root, case)] += 1
        except Exception:  # noqa: BLE001 - counted and shown, the run goes on
            counts["failed"] += 1
            if len(failures) < 10:
                failures.append(f"{case}\n{traceback.format_exc(limit=4)}")
        slow = time.perf_counter() - t0
        if slow > 2:
            counts["slow (> 2 s)"] += 1

    t0 = time.perf_counter()
    random.seed(args.seed)
    run()
    elapsed = time.perf_counter() - t0
    shutil.rmtree(tmp, ignore_errors=True)
    total = sum(v for k, v in counts.items() if not k.startswith("slow"))
    print(f"{total} mutated tickets in {elapsed:.1f} s")
    for key in ("refused", "flagged", "clean", "failed", "slow (> 2 s)"):
        print(f"  {key:<14} {counts.get(key, 0)}")
    for failure in failures:
        print("\n" + failure)
    sys.exit(1 if counts.get("failed") else 0)


if __name__ == "__main__":
    main()
