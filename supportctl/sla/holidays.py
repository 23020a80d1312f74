"""Public holidays from the `holidays` package, remembered on disk.

Importing the package and building one country's calendar costs ~170 ms, a
sixth of the `sla check` budget, on every run. The dates of a year do not
change for a given package version, so they are kept in
`.supportctl/cache/holidays.json` and the package is only imported when a
year is missing or the package was upgraded. The SLA engine stays pure: this
is just a `HolidayLookup` the CLI hands to it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from supportctl.sla.calendar import HolidayLookup, package_holidays

FILE = "holidays.json"


def package_version() -> str:
    """The installed holidays package's version, from its dist-info folder's name when there is one.

    importlib.metadata would tell it too, but importing it costs `sla check`
    more than everything else it does on a small desk (bench/bench_startup.py).
    """
    from importlib.util import find_spec

    spec = find_spec("holidays")
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent.parent
        found = sorted(site.glob("holidays-*.dist-info"))
        if len(found) == 1:
            return found[0].name[len("holidays-"):-len(".dist-info")]
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("holidays")
    except PackageNotFoundError:  # pragma: no cover - a dependency of supportctl
        return "unknown"


def cached_holidays(cache_dir: Path) -> HolidayLookup:
    """A lookup that reads years from the cache file and asks the package only for missing ones."""
    path = cache_dir / FILE
    state: dict = {}

    def load() -> dict:
        if not state:
            current = package_version()
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("holidays_version") != current:
                    raise ValueError("another version of the holidays package")
            except (OSError, ValueError, AttributeError):
                data = {"holidays_version": current, "years": {}}
            state.update(data)
        return state

    def lookup(country: str, subdiv: str | None, year: int) -> dict[date, str]:
        data = load()
        key = f"{country}/{subdiv or ''}/{year}"
        entry = data["years"].get(key)
        if entry is None:
            found = package_holidays(country, subdiv, year)   # NotImplementedError passes through
            data["years"][key] = {d.isoformat(): name for d, name in sorted(found.items())}
            try:
                from supportctl.desk.store import atomic_write

                atomic_write(path, json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True))
            except OSError:
                pass  # a read-only checkout still works, just without the cache
            return found
        return {date.fromisoformat(d): name for d, name in entry.items()}

    return lookup
