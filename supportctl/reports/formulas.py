"""The formulas of the summary (docs/reports.md): percentiles, rates, CSAT and NPS; never NaN, never x/0."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from supportctl.tickets.rating import satisfied


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    value = ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return _whole(value)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return _whole(ordered[rank - 1])


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean, to 0.1 s; None for no values."""
    if not values:
        return None
    return _whole(round(sum(values) / len(values), 1))


def describe(values: Sequence[float]) -> dict[str, Any]:
    """count, median, p90 and mean of some times."""
    return {"count": len(values), "median": median(values), "p90": percentile(values, 90), "mean": mean(values)}


def pct(part: int, whole: int) -> float | None:
    """part / whole as a percentage to 0.1; None (not 0, not NaN) when whole is 0."""
    return None if whole == 0 else round(100 * part / whole, 1)


def rate(part: int, whole: int, part_name: str, whole_name: str) -> dict[str, Any]:
    return {part_name: part, whole_name: whole, "pct": pct(part, whole)}


def csat(ratings: Iterable[Any]) -> dict[str, Any]:
    """CSAT % = satisfied ratings / all ratings (good, or 4-5 on the 5-point scale)."""
    values = [r for r in ratings if r is not None]
    happy = sum(1 for r in values if satisfied(r))
    return {"ratings": len(values), "satisfied": happy, "pct": pct(happy, len(values))}


def nps(scores: Iterable[int]) -> dict[str, Any]:
    """NPS = % promoters (9-10) - % detractors (0-6), over one (latest) score per customer."""
    values = list(scores)
    promoters = sum(1 for s in values if s >= 9)
    detractors = sum(1 for s in values if s <= 6)
    passives = len(values) - promoters - detractors
    score = None if not values else round(100 * (promoters - detractors) / len(values), 1)
    return {"responses": len(values), "promoters": promoters, "passives": passives, "detractors": detractors,
            "score": _whole(score) if score is not None else None}


def _whole(value: float) -> float:
    """3.0 -> 3: a whole number of seconds prints and compares as an int."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
