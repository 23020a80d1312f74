"""A longer fuzz run over supportctl.yml than the test suite's (issue 9); prints counts.

    python bench/fuzz_config.py [--examples 2000] [--seed 1]

Every mutated config must load or be a ConfigError within the per-example
deadline, and one that loads must drive the SLA engine, timed transitions and
escalations over the sample tickets. Failures are printed with their input and
make the exit code 1.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.config.test_fuzz_config import check_one, configs  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from hypothesis import HealthCheck, given, settings

    counts: collections.Counter = collections.Counter()
    failures: list[tuple[bytes, str]] = []
    slowest = [0.0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        @settings(max_examples=args.examples, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck))
        @given(data=configs())
        def run(data: bytes) -> None:
            start = time.monotonic()
            try:
                counts[check_one(folder, data)] += 1
            except BaseException as exc:  # noqa: BLE001 - a fuzzer reports everything
                counts["FAILED"] += 1
                failures.append((data, "".join(traceback.format_exception_only(type(exc), exc)).strip()))
            slowest[0] = max(slowest[0], time.monotonic() - start)

        random.seed(args.seed)
        started = time.monotonic()
        run()
    print(f"{sum(counts.values())} configs in {time.monotonic() - started:.0f} s: "
          f"{counts['ok']} loaded and drove the SLA engine, {counts['rejected']} rejected with a ConfigError, "
          f"{counts['FAILED']} failed; slowest example {slowest[0]:.2f} s")
    for data, error in failures[:10]:
        print(f"\n--- {error}\n{data[:400]!r}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
